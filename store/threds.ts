import type { Db, Filter } from 'mongodb';
import type { ThredState } from '../patterns';
import { insertOnce } from './errors';
import { fromJsonText, toJsonText } from './json-field';

/** The read model of a thred: what GET /threds returns, and the index of threds accepting unbound events. */
export interface ThredRecord {
  _id: string; // thredId
  patternId: string;
  patternName?: string;
  /** The pattern version the thred runs (SPEC §15); absent for threds started before versions were stored. */
  patternVersion?: number;
  status: ThredState['status'];
  reaction: string | null;
  /** Current reaction has allowUnboundEvents (kept in step with the workflow, so the router's index stays correct). */
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

type ThredDoc = Omit<ThredRecord, 'locals'> & { locals: string }; // locals as JSON text (json-field.ts)

const fromDoc = ({ locals, ...rest }: ThredDoc): ThredRecord => ({ ...rest, locals: fromJsonText(locals) });

/**
 * The read model is spread over THRED_PARTITIONS collections by a hash of the thred id. On FerretDB's SQLite backend
 * a lookup or update by _id scans its collection (the _id index does not serve those queries; README "Benchmark"),
 * so a thred's writes cost in proportion to its partition, not to every thred there is. Listing reads all of them.
 * Fixed: changing it would hide the threds already stored.
 */
export const THRED_PARTITIONS = 16;

/** FNV-1a: stable across processes and versions, spreads ids that share a long prefix (`<pattern>_<event id>`). */
export function thredPartition(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % THRED_PARTITIONS;
}

/** Where the read model lived before it was partitioned. */
const LEGACY_COLLECTION = 'threds';

export const thredCollectionNames = Array.from(
  { length: THRED_PARTITIONS },
  (_, i) => `threds_p${String(i).padStart(2, '0')}`,
);

export function createThredStore(db: Db) {
  const partitions = thredCollectionNames.map((name) => db.collection<ThredDoc>(name));
  const partitionOf = (id: string) => partitions[thredPartition(id)]!;
  // The router reads the threds accepting unbound events on every unbound event: a collection of their ids only,
  // written when a thred's acceptance changes, stays as small as that set (a filter on `threds` would scan every
  // thred on FerretDB).
  const unbound = db.collection<{ _id: string }>('threds_accepting_unbound');
  async function setAcceptsUnbound(id: string, accepts: boolean): Promise<void> {
    if (accepts) await insertOnce(unbound, [{ _id: id }]);
    else await unbound.deleteOne({ _id: id });
  }
  return {
    /**
     * Moves a read model written before partitioning (one `threds` collection) into the partitions, then drops it:
     * those threds would otherwise vanish from the API while their workflows run on. A thred already recorded in its
     * partition keeps that newer record. Idempotent; run at start-up by ensureIndexes.
     */
    async migrateLegacy(): Promise<number> {
      if ((await db.listCollections({ name: LEGACY_COLLECTION }, { nameOnly: true }).toArray()).length === 0) return 0;
      const legacy = db.collection<Omit<ThredDoc, 'locals'> & { locals: unknown }>(LEGACY_COLLECTION);
      const docs = await legacy.find({}).toArray();
      await Promise.all(
        docs.map(async ({ locals, ...doc }) => {
          // Records from before locals were stored as JSON text hold them as an object.
          const text = typeof locals === 'string' ? locals : toJsonText(locals ?? {});
          await insertOnce(partitionOf(doc._id), [{ ...doc, locals: text }]);
          if (doc.status === 'active' && doc.acceptsUnbound) await insertOnce(unbound, [{ _id: doc._id }]);
        }),
      );
      await legacy.drop();
      return docs.length;
    },
    /**
     * Writes the snapshot unless a newer version is already stored (idempotent; safe under retries). `isNew`: the
     * caller's hint that this is the thred's first snapshot (one insert); otherwise it reads the stored version and
     * replaces an older snapshot. Either guess is corrected when wrong.
     */
    async save(record: ThredRecord, { isNew = false }: { isNew?: boolean } = {}): Promise<void> {
      const { _id, locals, ...fields } = record;
      const coll = partitionOf(_id);
      const rest = { ...fields, locals: toJsonText(locals) };
      // Filters name `_id` alone: FerretDB's SQLite backend pushes only that down (with a version condition too it
      // decodes every thred of the collection to find one). A thred's batches are recorded one at a time (its local
      // activities run in sequence), so the read and the write do not race in practice; a retry of an older batch
      // that lands late is still refused.
      const insert = () => insertOnce(coll, [{ _id, ...rest }]);
      if (isNew && (await insert())) return;
      const stored = await coll.findOne({ _id }, { projection: { version: 1 } });
      if (!stored && (await insert())) return;
      if (stored && stored.version > record.version) return;
      await coll.replaceOne({ _id }, rest);
    },
    /** Keeps the index of threds accepting unbound events; called when a thred's acceptance may have changed. */
    setAcceptsUnbound,
    /**
     * After a Temporal reset the new run counts steps from where it was reset to, below the stored version: let its
     * next snapshot win.
     */
    async rewind(
      id: string,
      now: { status: ThredRecord['status']; reaction: string | null; acceptsUnbound: boolean },
    ): Promise<void> {
      const acceptsUnbound = now.status === 'active' && now.acceptsUnbound;
      await partitionOf(id).updateOne(
        { _id: id },
        { $set: { version: -1, status: now.status, reaction: now.reaction, acceptsUnbound } },
      );
      await setAcceptsUnbound(id, acceptsUnbound);
    },
    async get(id: string): Promise<ThredRecord | null> {
      const doc = await partitionOf(id).findOne({ _id: id });
      return doc ? fromDoc(doc) : null;
    },
    /** The backlog report, pattern and version of one thred: a lookup by _id reading three small fields. */
    async backlog(id: string): Promise<{ patternId: string; version: number; backlog?: ThredBacklog } | null> {
      const doc = await partitionOf(id).findOne({ _id: id }, { projection: { patternId: 1, version: 1, backlog: 1 } });
      return doc
        ? { patternId: doc.patternId, version: doc.version, ...(doc.backlog && { backlog: doc.backlog }) }
        : null;
    },
    /** Ids of the threds whose current reaction takes unbound events. */
    async acceptingUnbound(): Promise<string[]> {
      return (await unbound.find({}).toArray()).map((d) => d._id);
    },
    /** Ordered by thred id across partitions; `nextCursor` continues after the last one returned. */
    async list(q: ThredListQuery): Promise<{ threds: ThredRecord[]; nextCursor?: string }> {
      const filter = listFilter(q);
      if (q.cursor) filter._id = { $gt: q.cursor };
      const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
      const pages = await Promise.all(
        partitions.map((c) =>
          c
            .find(filter)
            .sort({ _id: 1 })
            .limit(limit + 1)
            .toArray(),
        ),
      );
      const threds = pages
        .flat()
        .sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
        .slice(0, limit + 1)
        .map(fromDoc);
      const more = threds.length > limit;
      if (more) threds.pop();
      return more ? { threds, nextCursor: threds[threds.length - 1]!._id } : { threds };
    },
    /** Threds whose snapshot time is `since` or later (the watchThreds poll; reads every partition). */
    async changedSince(since: number, limit = 1000): Promise<ThredRecord[]> {
      const pages = await Promise.all(
        partitions.map((c) =>
          c
            .find({ updateTime: { $gte: since } })
            .limit(limit)
            .toArray(),
        ),
      );
      return pages.flat().map(fromDoc);
    },
    /** Retention (store/retention.ts): threds that ended before `cutoff`, up to `limit` of each partition. */
    async endedBefore(cutoff: number, limit: number): Promise<{ id: string; endTime: number }[]> {
      const pages = await Promise.all(
        partitions.map((c) =>
          c
            .find({ status: { $ne: 'active' }, endTime: { $lt: cutoff } }, { projection: { _id: 1, endTime: 1 } })
            .limit(limit)
            .toArray(),
        ),
      );
      return pages.flat().map((d) => ({ id: d._id, endTime: d.endTime! }));
    },
    /**
     * Retention: removes the records of these threds that are still ended before `cutoff` (a thred revived by a reset
     * meanwhile is kept); answers how many.
     */
    async deleteEndedBefore(ids: string[], cutoff: number): Promise<number> {
      const counts = await Promise.all(
        [...byPartition(ids)].map(async ([p, inP]) => {
          const filter = { _id: { $in: inP }, status: { $ne: 'active' as const }, endTime: { $lt: cutoff } };
          return (await partitions[p]!.deleteMany(filter)).deletedCount;
        }),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
    /** Which of these threds have a read-model record (retention keeps what other threds still refer to). */
    async existing(ids: string[]): Promise<string[]> {
      const found = await Promise.all(
        [...byPartition(ids)].map(([p, inP]) =>
          partitions[p]!.find({ _id: { $in: inP } }, { projection: { _id: 1 } }).toArray(),
        ),
      );
      return found.flat().map((d) => d._id);
    },
    async count(q: Omit<ThredListQuery, 'cursor' | 'limit'> = {}): Promise<number> {
      const filter = listFilter(q);
      const counts = await Promise.all(partitions.map((c) => c.countDocuments(filter)));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}

function byPartition(ids: string[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const id of ids) {
    const p = thredPartition(id);
    out.set(p, [...(out.get(p) ?? []), id]);
  }
  return out;
}

function listFilter(q: ThredListQuery): Filter<ThredDoc> {
  const filter: Filter<ThredDoc> = {};
  if (q.status) filter.status = q.status as ThredDoc['status'];
  if (q.pattern) filter.patternId = q.pattern;
  if (q.participant) filter.participants = q.participant;
  return filter;
}
