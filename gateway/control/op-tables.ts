/** The ops of sysControl (admin) and userControl (any participant, on what it takes part in), by op name. */
import { ErrorCodes } from '../../patterns/effects';
import type { Store, ThredRecord } from '../../store';
import type { Directory } from '../../store/directory';
import { translateMatcher } from '../../store/persistence-query';
import type { GatewayLimits } from '../types';
import type { Principal } from '../ingest';
import type { Operations } from './operations';
import { matches } from './matcher';
import { eventRecord, originalThred } from './views';
import { arg, missing, refusal, stringArg, type Op, type Values } from './protocol';

export function createOpTables(opts: {
  store: Store;
  directory: Directory;
  ops: Operations;
  limits: Pick<GatewayLimits, 'watchTtlMs'>;
  now: () => number;
}) {
  const { store, directory, ops, limits, now } = opts;

  /** getThreds' selection: `status` active (default; finished included) | terminated | all, `thredIds`, `terminatedMatcher`. */
  async function selectThreds(values: Values, participant?: string): Promise<ThredRecord[]> {
    const status = stringArg(values, 'status', false) ?? 'active';
    if (!['active', 'terminated', 'all'].includes(status)) {
      throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, 'status must be one of "active", "terminated", "all"');
    }
    const thredIds = arg(values, 'thredIds');
    if (thredIds !== undefined && (!Array.isArray(thredIds) || !thredIds.every((t) => typeof t === 'string'))) {
      throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, 'thredIds must be an array of thred ids');
    }
    const rawMatcher = arg(values, 'terminatedMatcher');
    // The matcher is on the original's archive records `{ id, thred: <Thred JSON> }` (same operators as persistence).
    const matcher = rawMatcher === undefined ? undefined : translateMatcher(rawMatcher, '/terminatedMatcher');
    const all = await ops.listAll(participant === undefined ? {} : { participant });
    return all.filter((r) => {
      if (thredIds && !(thredIds as string[]).includes(r._id)) return false;
      if (r.status === 'terminated') {
        if (status === 'active') return false;
        return matcher === undefined || matches({ _id: r._id, thred: originalThred(r) }, matcher);
      }
      return status !== 'terminated';
    });
  }

  const asParticipant = (p: Principal): Principal => ({ ...p, admin: false });

  const sysOps: Record<string, Op> = {
    async transitionThred({ values }) {
      const thredId = stringArg(values, 'thredId', true)!;
      const transition = arg(values, 'transition');
      if (transition === undefined || transition === null) throw missing('transition');
      if (
        typeof transition !== 'object' ||
        Array.isArray(transition) ||
        typeof (transition as { name?: unknown }).name !== 'string'
      ) {
        throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, 'transition must be a transition object with a name');
      }
      await ops.transition(thredId, transition as never);
      return { thredId };
    },
    async terminateThred({ values, principal }) {
      const thredId = stringArg(values, 'thredId', true)!;
      await ops.terminate(thredId, `terminated by ${principal.id} (sysControl)`);
      return { thredId };
    },
    async getThreds({ values }) {
      return { threds: (await selectThreds(values)).map(originalThred) };
    },
    async watchThreds({ event, values, principal }) {
      const directive = stringArg(values, 'directive', false) ?? 'start';
      const t = now();
      if (directive === 'start') await store.watches.start(principal.id, event.id, t, limits.watchTtlMs);
      else if (directive === 'renew') await store.watches.renew(principal.id, event.id, t, limits.watchTtlMs);
      else if (directive === 'stop') await store.watches.stop(principal.id);
      else throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, 'directive must be one of "start", "renew", "stop"');
      return { directive };
    },
    async reloadPattern({ values }) {
      const patternId = stringArg(values, 'patternId', true)!;
      await ops.reloadPattern(patternId);
      return { patternId };
    },
    async reloadAllPatterns() {
      ops.reloadAllPatterns();
      return {};
    },
    async terminateAllThreds({ principal }) {
      const { failed } = await ops.terminateAll(`terminated by ${principal.id} (sysControl terminateAllThreds)`);
      if (failed.length > 0) {
        throw new Error(
          `${failed.length} thred(s) could not be terminated: ${failed
            .slice(0, 5)
            .map((f) => `${f.thredId} (${f.reason})`)
            .join(', ')}`,
        );
      }
      return {};
    },
    async shutdown() {
      throw refusal(
        ErrorCodes.ARGUMENT_VALIDATION_ERROR,
        'shutdown is not available: Threds processes are managed by their supervisor',
      );
    },
  };

  const userOps: Record<string, Op> = {
    async getThreds({ values, principal }) {
      const records = await selectThreds(values, principal.id);
      const results = await Promise.all(
        records.map(async (r) => {
          const last = await store.events.latestForThred(r._id, principal.id);
          return { thred: originalThred(r), lastEvent: last ? eventRecord(last) : null };
        }),
      );
      const at = (x: (typeof results)[number]) => x.lastEvent?.timestamp ?? x.thred.lastUpdateTime;
      return { results: results.sort((a, b) => at(b) - at(a)) };
    },
    async getEvents({ values, principal }) {
      const thredId = stringArg(values, 'thredId', true)!;
      const events = await ops.events(asParticipant(principal), thredId);
      return { events: events.map(eventRecord) };
    },
    async getSystemSpec() {
      return { systemSpec: await systemSpec() };
    },
  };

  /** SystemSpec (reference §2.13): the agents as services, the participants and the groups of the sessions model. */
  async function systemSpec(): Promise<Values> {
    const participants = new Map<string, { id: string; name?: string }>();
    for (const p of await store.participants.list())
      participants.set(p.id, { id: p.id, ...(p.name !== undefined && { name: p.name }) });
    for (const id of [...Object.keys(directory.roles), ...Object.values(directory.groups).flat()]) {
      if (!participants.has(id)) participants.set(id, { id });
    }
    return {
      serviceSpecs: directory.agents.map((a) => ({
        name: a.name ?? a.nodeType,
        nodeType: a.nodeType,
        address: a.nodeType,
        ...(a.nodeIds && { nodeIds: a.nodeIds }),
        entitySpecs: [],
        outputSpecs: [{ eventType: a.nodeType, eventContentType: 'values', eventContentSpecs: [] }],
      })),
      addressSpec: {
        participants: [...participants.values()],
        groups: Object.entries(directory.groups).map(([name, ids]) => ({
          name,
          participants: ids.map((participantId) => ({ participantId })),
        })),
      },
    };
  }

  return { sysOps, userOps };
}
