import type { Collection, Filter } from 'mongodb';
import type { ThredState } from '../../patterns';
import { fromJsonText, toJsonText } from '../json-field';

/** The read model of a thred: what GET /threds returns, and how the router finds threds accepting unbound events. */
export interface ThredRecord {
  _id: string; // thredId
  patternId: string;
  patternName?: string;
  /** The pattern version the thred runs (SPEC §15); absent for threds started before versions were stored. */
  patternVersion?: number;
  status: ThredState['status'];
  reaction: string | null;
  /** The thred is active and its current reaction has allowUnboundEvents: the router offers it unbound events. */
  acceptsUnbound: boolean;
  participants: string[];
  locals: Record<string, unknown>;
  parentThredId?: string;
  childThredIds: string[];
  meta: ThredState['meta'];
  startTime: number;
  updateTime: number;
  endTime?: number;
  /** Monotonic version (state.seq plus a step counter): a late retry never overwrites a newer snapshot. */
  version: number;
  /**
   * The thred's own report of its queue when this snapshot was taken (`at`: workflow time of its last step); the
   * gateway's backpressure adds the events it signalled since.
   */
  backlog?: ThredBacklog;
  /**
   * Workflow time at which the run said it is about to continue as new (markClosing): the gateways hold its signals
   * for a moment, so that the run's continue-as-new is not refused for a signal arriving in its last task. The next
   * snapshot, written by the new run, drops it.
   */
  closingAt?: number;
}

export interface ThredBacklog {
  queued: number;
  at: number;
}

export interface ThredListQuery {
  status?: string;
  pattern?: string;
  participant?: string;
  limit?: number;
  cursor?: string;
}

/** What a reset run holds when the read model is rewound to it. */
export interface RewindTo {
  status: ThredRecord['status'];
  reaction: string | null;
  acceptsUnbound: boolean;
}

/** The pattern a thred runs, as the engine knows it. */
export interface RecordPattern {
  id: string;
  name?: string;
  version?: number;
}

/**
 * The read-model record of a thred's state after a step. `participants`: the people on the thred (agents already
 * left out by the caller, who knows the directory).
 */
export function thredRecordOf(
  thredId: string,
  pattern: RecordPattern,
  s: ThredState,
  at: { version: number; acceptsUnbound: boolean; participants: string[]; queued?: number; time: number },
): ThredRecord {
  return {
    _id: thredId,
    patternId: pattern.id,
    ...(pattern.name !== undefined && { patternName: pattern.name }),
    ...(pattern.version !== undefined && { patternVersion: pattern.version }),
    status: s.status,
    reaction: s.reaction,
    acceptsUnbound: at.acceptsUnbound,
    participants: at.participants,
    locals: s.locals,
    ...(s.parentThredId !== undefined && { parentThredId: s.parentThredId }),
    childThredIds: s.childThredIds,
    meta: s.meta,
    startTime: s.startTime,
    updateTime: s.updateTime,
    ...(s.endTime !== undefined && { endTime: s.endTime }),
    version: at.version,
    ...(at.queued !== undefined && { backlog: { queued: at.queued, at: at.time } }),
  };
}

export interface BacklogRead {
  patternId: string;
  version: number;
  backlog?: ThredBacklog;
  closingAt?: number;
}

const BACKLOG_PROJECTION = { patternId: 1, version: 1, backlog: 1, closingAt: 1 } as const;

const backlogOf = (doc: Pick<ThredDoc, 'patternId' | 'version' | 'backlog' | 'closingAt'>): BacklogRead => ({
  patternId: doc.patternId,
  version: doc.version,
  ...(doc.backlog && { backlog: doc.backlog }),
  ...(doc.closingAt !== undefined && { closingAt: doc.closingAt }),
});

/** The reads and writes of one thred by _id, the same in every layout: `of` names the collection holding it. */
export function byIdOps(of: (id: string) => Collection<ThredDoc>): Pick<ThredStore, 'get' | 'backlog' | 'markClosing'> {
  return {
    async get(id) {
      const doc = await of(id).findOne({ _id: id });
      return doc ? fromDoc(doc) : null;
    },
    async backlog(id) {
      const doc = await of(id).findOne({ _id: id }, { projection: BACKLOG_PROJECTION });
      return doc ? backlogOf(doc) : null;
    },
    async markClosing(id, at) {
      await of(id).updateOne({ _id: id }, at === null ? { $unset: { closingAt: '' } } : { $set: { closingAt: at } });
    },
  };
}

/** Locals are stored as JSON text (json-field.ts): a pattern's locals may hold `$` keys and nested arrays. */
export type ThredDoc = Omit<ThredRecord, 'locals'> & { locals: string };

export const toDoc = ({ locals, ...rest }: ThredRecord): ThredDoc => ({ ...rest, locals: toJsonText(locals) });
export const fromDoc = ({ locals, ...rest }: ThredDoc): ThredRecord => ({ ...rest, locals: fromJsonText(locals) });

/** A record as an earlier layout stored it: records from before locals were JSON text hold them as an object. */
export function fromEarlierDoc({ locals, ...rest }: Omit<ThredDoc, 'locals'> & { locals: unknown }): ThredDoc {
  return { ...rest, locals: typeof locals === 'string' ? locals : toJsonText(locals ?? {}) };
}

export function listFilter(q: Omit<ThredListQuery, 'cursor' | 'limit'>): Filter<ThredDoc> {
  const filter: Filter<ThredDoc> = {};
  if (q.status) filter.status = q.status as ThredDoc['status'];
  if (q.pattern) filter.patternId = q.pattern;
  if (q.participant) filter.participants = q.participant;
  return filter;
}

export const pageLimit = (limit: number | undefined) => Math.min(Math.max(limit ?? 50, 1), 500);

/** `docs` in id order, one more than `limit` when there is a next page. */
export function page(docs: ThredDoc[], limit: number): { threds: ThredRecord[]; nextCursor?: string } {
  const threds = docs.slice(0, limit).map(fromDoc);
  return docs.length > limit ? { threds, nextCursor: threds[threds.length - 1]!._id } : { threds };
}

/** Both layouts answer the same calls (store/threds/index.ts picks one). */
export interface ThredStore {
  /** Writes the snapshot unless a newer version is already stored (idempotent; safe under retries). */
  save(record: ThredRecord): Promise<void>;
  /**
   * After a Temporal reset the new run counts steps from where it was reset to, below the stored version: let its
   * next snapshot win.
   */
  rewind(id: string, now: RewindTo): Promise<void>;
  get(id: string): Promise<ThredRecord | null>;
  /** The backlog report, pattern, version and closing mark of one thred: a lookup by _id reading four small fields. */
  backlog(id: string): Promise<BacklogRead | null>;
  /** Marks the thred's run as about to continue as new at workflow time `at`, or clears the mark (null). */
  markClosing(id: string, at: number | null): Promise<void>;
  /** Ids of the active threds whose current reaction takes unbound events. */
  acceptingUnbound(): Promise<string[]>;
  /** Ordered by thred id; `nextCursor` continues after the last one returned. */
  list(q: ThredListQuery): Promise<{ threds: ThredRecord[]; nextCursor?: string }>;
  /** Threds whose snapshot time is `since` or later (the watchThreds poll). */
  changedSince(since: number, limit?: number): Promise<ThredRecord[]>;
  /** Retention (store/retention.ts): threds that ended before `cutoff`, at most `limit` per collection read. */
  endedBefore(cutoff: number, limit: number): Promise<{ id: string; endTime: number }[]>;
  /**
   * Retention: removes the records of these threds that are still ended before `cutoff` (a thred revived by a reset
   * meanwhile is kept); answers how many.
   */
  deleteEndedBefore(ids: string[], cutoff: number): Promise<number>;
  /** Which of these threds have a read-model record (retention keeps what other threds still refer to). */
  existing(ids: string[]): Promise<string[]>;
  count(q?: Omit<ThredListQuery, 'cursor' | 'limit'>): Promise<number>;
  /**
   * Moves records another layout left in this database into this one (newer records here are kept), then drops the
   * other layout's collections; answers how many it moved. Idempotent; run by ensureIndexes.
   */
  adopt(): Promise<number>;
  ensureIndexes(): Promise<void>;
}
