/**
 * Look-back (SPEC §15): the read a thred makes on entering a reaction with `lookBack`. It runs as a local activity, so
 * its answer is recorded in the workflow history and a replay offers exactly the same events again.
 *
 * "Not handled" means no transition record of this thred says the event matched or failed (thred log kinds
 * `matched` / `error`): an event that arrived while the thred sat in an earlier reaction and did not match there is
 * exactly the early answer look-back exists for. The workflow records every step before it looks back, so the log is
 * complete up to the moment of the read.
 */
import type { ThredsEvent } from '../patterns';
import type { Store, StoredEvent } from '../store';

export interface LookBackRequest {
  thredId: string;
  /** The thred's participants after the entering step's recipients were added. */
  participants: string[];
  /** ms since epoch: the entry time minus the reaction's `lookBack.interval`. */
  since: number;
  /** Ids the thred already holds (queued): they are handled in their turn, not offered twice. */
  exclude: string[];
}

/** Most events one look-back offers (the oldest ones; a window holding more is a pattern bug, logged by the caller). */
export const LOOK_BACK_LIMIT = 100;
/**
 * Pages of candidates one look-back reads at most: handled events in the window do not count against the limit, so
 * a window where a thred already took many events is read past them, up to this many pages.
 */
const MAX_PAGES = 10;

const HANDLED_KINDS = ['matched', 'error'];

export function createLookBackActivities(deps: { store: Store }) {
  const { store } = deps;
  return {
    async lookBack(req: LookBackRequest): Promise<ThredsEvent[]> {
      const exclude = new Set(req.exclude);
      const pageSize = LOOK_BACK_LIMIT + exclude.size;
      const offered: StoredEvent[] = [];
      let after: { storedAt: number; id: string } | undefined;
      for (let page = 0; page < MAX_PAGES && offered.length < LOOK_BACK_LIMIT; page++) {
        const read = await store.events.lookBack(req.thredId, req.participants, req.since, pageSize, after);
        const candidates = read.filter((e) => !exclude.has(e.event.id));
        if (candidates.length > 0) {
          const handled = await store.thredLog.query(
            { thredId: req.thredId, kind: { $in: HANDLED_KINDS }, eventId: { $in: candidates.map((e) => e.event.id) } },
            { limit: candidates.length * 4 + 10 },
          );
          const handledIds = new Set(handled.map((r) => r.eventId));
          offered.push(...candidates.filter((e) => !handledIds.has(e.event.id)));
        }
        if (read.length < pageSize) break;
        const last = read[read.length - 1]!;
        after = { storedAt: last.storedAt, id: last._id };
      }
      offered.splice(LOOK_BACK_LIMIT);
      // An unbound event offered to the thred is one of its events from now on (GET /threds/:id/events, replay).
      await Promise.all(
        offered.filter((e) => e.thredId === undefined).map((e) => store.events.linkToThred(e.event.id, req.thredId)),
      );
      return offered.map((e) => e.event);
    },
  };
}

export type LookBackActivities = ReturnType<typeof createLookBackActivities>;
