/**
 * The read model laid out for FerretDB's SQLite backend (the embedded dev stack), which serves no filter from an
 * index: a lookup or update by _id scans its collection, and so does any other filter (README "Storage"). The
 * records are spread over PARTITIONS collections by a hash of the thred id, so a thred's writes cost in proportion
 * to its partition, not to every thred there is; the threds accepting unbound events are mirrored in a collection of
 * their ids, which stays as small as that set; a first snapshot is one insert. Listing reads every partition.
 * Fixed: changing the partition count would hide the threds already stored.
 */
import type { Db } from 'mongodb';
import { insertOnce } from '../errors';
import {
  byIdOps,
  fromDoc,
  fromEarlierDoc,
  listFilter,
  page,
  pageLimit,
  toDoc,
  type ThredDoc,
  type ThredRecord,
  type ThredStore,
} from './record';

export const THRED_PARTITIONS = 16;

export const PARTITIONS = Array.from({ length: THRED_PARTITIONS }, (_, i) => `threds_p${String(i).padStart(2, '0')}`);

/** The ids of the active threds accepting unbound events. */
export const UNBOUND_INDEX = 'threds_accepting_unbound';

/** Where the records lived before they were partitioned (the name the one-collection layout uses). */
const UNPARTITIONED = 'threds';

/** FNV-1a: stable across processes and versions, spreads ids that share a long prefix (`<pattern>_<event id>`). */
export function thredPartition(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % THRED_PARTITIONS;
}

/** Threds this process has written a snapshot of: their next snapshot replaces instead of trying an insert first. */
const KNOWN_LIMIT = 20_000;

export function partitionedThreds(db: Db): ThredStore {
  const partitions = PARTITIONS.map((name) => db.collection<ThredDoc>(name));
  const partitionOf = (id: string) => partitions[thredPartition(id)]!;
  const unbound = db.collection<{ _id: string }>(UNBOUND_INDEX);
  const known = new Set<string>();

  async function setAcceptsUnbound(id: string, accepts: boolean): Promise<void> {
    if (accepts) await insertOnce(unbound, [{ _id: id }]);
    else await unbound.deleteOne({ _id: id });
  }
  function remember(id: string): void {
    known.delete(id);
    known.add(id);
    if (known.size > KNOWN_LIMIT) known.delete(known.values().next().value!);
  }
  async function everyPartition<T>(read: (c: (typeof partitions)[number]) => Promise<T[]>): Promise<T[]> {
    return (await Promise.all(partitions.map(read))).flat();
  }
  function byPartition(ids: string[]): [(typeof partitions)[number], string[]][] {
    const out = new Map<number, string[]>();
    for (const id of ids) {
      const p = thredPartition(id);
      out.set(p, [...(out.get(p) ?? []), id]);
    }
    return [...out].map(([p, inP]) => [partitions[p]!, inP]);
  }

  async function save(record: ThredRecord): Promise<void> {
    const { _id, ...rest } = toDoc(record);
    const coll = partitionOf(_id);
    // Filters name `_id` alone: with a version condition too the backend decodes every thred of the partition. A
    // thred's batches are recorded one at a time (its local activities run in sequence), so the read and the write
    // do not race in practice; a retry of an older batch that lands late is still refused.
    if (!known.has(_id) && (await insertOnce(coll, [{ _id, ...rest }]))) {
      if (record.acceptsUnbound) await setAcceptsUnbound(_id, true);
      remember(_id);
      return;
    }
    const stored = await coll.findOne({ _id }, { projection: { version: 1, acceptsUnbound: 1 } });
    if (!stored) {
      known.delete(_id); // removed meanwhile (retention): insert again
      return save(record);
    }
    if (stored.version > record.version) return;
    // The mirror is written before the record, so a retry after a failed mirror write still sees the change.
    if (stored.version === record.version || stored.acceptsUnbound !== record.acceptsUnbound) {
      await setAcceptsUnbound(_id, record.acceptsUnbound);
    }
    await coll.replaceOne({ _id }, rest);
    remember(_id);
  }

  return {
    save,
    ...byIdOps(partitionOf),
    async rewind(id, now) {
      const acceptsUnbound = now.status === 'active' && now.acceptsUnbound;
      await partitionOf(id).updateOne(
        { _id: id },
        { $set: { version: -1, status: now.status, reaction: now.reaction, acceptsUnbound } },
      );
      await setAcceptsUnbound(id, acceptsUnbound);
    },
    async acceptingUnbound() {
      return (await unbound.find({}).toArray()).map((d) => d._id);
    },
    async list(q) {
      const filter = listFilter(q);
      if (q.cursor) filter._id = { $gt: q.cursor };
      const limit = pageLimit(q.limit);
      const docs = await everyPartition((c) =>
        c
          .find(filter)
          .sort({ _id: 1 })
          .limit(limit + 1)
          .toArray(),
      );
      return page(
        docs.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0)),
        limit,
      );
    },
    async changedSince(since, limit = 1000) {
      const docs = await everyPartition((c) =>
        c
          .find({ updateTime: { $gte: since } })
          .limit(limit)
          .toArray(),
      );
      return docs.map(fromDoc);
    },
    async endedBefore(cutoff, limit) {
      const docs = await everyPartition((c) =>
        c
          .find({ status: { $ne: 'active' }, endTime: { $lt: cutoff } }, { projection: { _id: 1, endTime: 1 } })
          .limit(limit)
          .toArray(),
      );
      return docs.map((d) => ({ id: d._id, endTime: d.endTime! }));
    },
    async deleteEndedBefore(ids, cutoff) {
      const counts = await Promise.all(
        byPartition(ids).map(async ([c, inP]) => {
          const filter = { _id: { $in: inP }, status: { $ne: 'active' as const }, endTime: { $lt: cutoff } };
          return (await c.deleteMany(filter)).deletedCount;
        }),
      );
      for (const id of ids) known.delete(id);
      return counts.reduce((a, b) => a + b, 0);
    },
    async existing(ids) {
      const found = await Promise.all(
        byPartition(ids).map(([c, inP]) => c.find({ _id: { $in: inP } }, { projection: { _id: 1 } }).toArray()),
      );
      return found.flat().map((d) => d._id);
    },
    async count(q = {}) {
      const filter = listFilter(q);
      const counts = await Promise.all(partitions.map((c) => c.countDocuments(filter)));
      return counts.reduce((a, b) => a + b, 0);
    },
    async adopt() {
      if ((await db.listCollections({ name: UNPARTITIONED }, { nameOnly: true }).toArray()).length === 0) return 0;
      const earlier = db.collection<Parameters<typeof fromEarlierDoc>[0]>(UNPARTITIONED);
      const docs = (await earlier.find({}).toArray()).map(fromEarlierDoc);
      await Promise.all(
        docs.map(async (doc) => {
          // A thred already recorded in its partition keeps that newer record.
          await insertOnce(partitionOf(doc._id), [doc]);
          if (doc.status === 'active' && doc.acceptsUnbound) await insertOnce(unbound, [{ _id: doc._id }]);
        }),
      );
      await earlier.drop();
      return docs.length;
    },
    async ensureIndexes() {
      await Promise.all(partitions.flatMap((c) => [c.createIndex({ participants: 1 }), c.createIndex({ endTime: 1 })]));
    },
  };
}
