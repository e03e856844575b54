/**
 * The thred and pattern operations behind both doors (SPEC §8 admin REST routes and SPEC §14 control events): one
 * implementation, so a terminate through `POST /threds/:id/terminate` and through a `terminateThred` sysControl event
 * cannot behave differently. Failures are registry errors (gateway/errors.ts); each door renders them its own way
 * (HTTP error body, or an error event with the SPEC §7 code of controlCodeOf).
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Transition } from '../../patterns';
import { isKnownTarget } from '../../patterns/transitions';
import type { Store, StoredEvent, ThredListQuery, ThredLogRecord, ThredRecord } from '../../store';
import { controlUpdate, stateQuery, type ControlRequest } from '../../workflows/messages';
import type { Router } from '../routing';
import type { Principal } from '../ingest';
import { fail } from '../errors';
import { viewOfSnapshot } from '../thred-view';
import type { ThredView } from '../schemas';

/** Upper bound on the threds one listing walks (getThreds, terminateAllThreds): beyond it the answer is cut off. */
export const MAX_LISTED_THREDS = 10_000;
/** Threds terminated at once by terminateAll. */
const TERMINATE_CONCURRENCY = 8;

export interface OperationDeps {
  store: Store;
  client: Client;
  router: Router;
}

export function createOperations({ store, client, router }: OperationDeps) {
  async function control(thredId: string, request: ControlRequest): Promise<ThredView> {
    const record = await store.threds.get(thredId);
    if (record?.status === 'terminated') throw fail('THRED_ENDED', `thred ${thredId} has ended`);
    try {
      const snap = await client.workflow.getHandle(thredId).executeUpdate(controlUpdate, { args: [request] });
      return viewOfSnapshot(snap, record);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      if (record) throw fail('THRED_ENDED', `thred ${thredId} has ended`);
      throw fail('THRED_NOT_FOUND', `thred ${thredId} does not exist`);
    }
  }

  /** The thred if `principal` may read it; someone else's answers not found, exactly like a missing one. */
  async function readable(principal: Principal, id: string): Promise<ThredRecord> {
    const record = await store.threds.get(id);
    if (!record || (!principal.admin && !record.participants.includes(principal.id))) {
      throw fail('THRED_NOT_FOUND', `thred ${id} does not exist`);
    }
    return record;
  }

  /** Every thred the query matches, page by page (up to MAX_LISTED_THREDS). */
  async function listAll(q: Omit<ThredListQuery, 'cursor' | 'limit'>): Promise<ThredRecord[]> {
    const out: ThredRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.threds.list({ ...q, limit: 500, ...(cursor && { cursor }) });
      out.push(...page.threds);
      cursor = page.nextCursor;
    } while (cursor && out.length < MAX_LISTED_THREDS);
    return out.slice(0, MAX_LISTED_THREDS);
  }

  return {
    /** End a thred now (status terminated); answers the snapshot after the workflow ran the operation. */
    terminate(thredId: string, reason: string): Promise<ThredView> {
      return control(thredId, { op: 'terminate', reason });
    },

    /**
     * Force a transition of the current reaction. The target is checked against the stored pattern first, so a typo
     * is refused (VALIDATION) rather than an error event inside the thred.
     */
    async transition(thredId: string, transition: Transition): Promise<ThredView> {
      // A thred just started may have no record yet: then its workflow says which pattern it runs.
      const record = await store.threds.get(thredId);
      const patternId =
        record?.patternId ??
        (await client.workflow
          .getHandle(thredId)
          .query(stateQuery)
          .then(
            (s) => s.patternId,
            () => undefined,
          ));
      const pattern = patternId === undefined ? null : await store.patterns.get(patternId);
      const name = transition.name;
      if (pattern && typeof name === 'string' && !isKnownTarget(name, new Set(pattern.reactions.map((r) => r.name)))) {
        const reason = `pattern ${pattern.id} has no reaction "${name}"`;
        throw fail('VALIDATION', `invalid body: /transition/name ${reason}`, [{ path: '/transition/name', reason }]);
      }
      return control(thredId, { op: 'transition', transition });
    },

    /** Terminates every thred not yet terminated; answers how many ended and which failed. */
    async terminateAll(
      reason: string,
    ): Promise<{ terminated: string[]; failed: { thredId: string; reason: string }[] }> {
      const targets = (await listAll({})).filter((r) => r.status !== 'terminated').map((r) => r._id);
      const terminated: string[] = [];
      const failed: { thredId: string; reason: string }[] = [];
      for (let i = 0; i < targets.length; i += TERMINATE_CONCURRENCY) {
        await Promise.all(
          targets.slice(i, i + TERMINATE_CONCURRENCY).map(async (thredId) => {
            try {
              await control(thredId, { op: 'terminate', reason });
              terminated.push(thredId);
            } catch (err) {
              // One that ended meanwhile is what was asked for.
              if ((err as { code?: string }).code === 'THREDS_ERR_THRED_ENDED') terminated.push(thredId);
              else failed.push({ thredId, reason: (err as Error).message });
            }
          }),
        );
      }
      return { terminated, failed };
    },

    /** One page of threds: participants see their own (the query's participant is forced), admins all. */
    list(principal: Principal, q: ThredListQuery) {
      const participant = principal.admin ? q.participant : principal.id;
      return store.threds.list({ ...q, ...(participant !== undefined ? { participant } : {}) });
    },

    listAll,

    readable,

    /** The thred's events (admins: all; participants: those they sent or received). */
    async events(principal: Principal, thredId: string, viewerOverride?: string): Promise<StoredEvent[]> {
      await readable(principal, thredId);
      const viewer = viewerOverride ?? (principal.admin ? undefined : principal.id);
      return store.events.forThred(thredId, undefined, viewer);
    },

    async log(principal: Principal, thredId: string): Promise<ThredLogRecord[]> {
      await readable(principal, thredId);
      return store.thredLog.forThred(thredId);
    },

    /**
     * Makes this gateway's router read the pattern again now (others within their cache period); the pattern must
     * exist and be active.
     */
    async reloadPattern(patternId: string): Promise<void> {
      const pattern = await store.patterns.get(patternId);
      if (!pattern) throw fail('PATTERN_NOT_FOUND', `pattern ${patternId} does not exist`);
      if (pattern.meta?.active === false) throw fail('PATTERN_NOT_FOUND', `pattern ${patternId} is not active`);
      router.invalidatePatterns();
    },

    reloadAllPatterns(): void {
      router.invalidatePatterns();
    },
  };
}

export type Operations = ReturnType<typeof createOperations>;
