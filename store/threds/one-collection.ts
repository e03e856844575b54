/**
 * The read model as MongoDB wants it: one `threds` collection, one document per thred, indexes for each query, and
 * every write a single atomic statement — a versioned upsert for a snapshot, so no read comes before a write and no
 * side index has to be kept in step. Used on MongoDB and on FerretDB's PostgreSQL backend (both serve filters and
 * updates from indexes).
 */
import type { Collection, Db } from 'mongodb';
import { isDuplicateKey, insertOnce } from '../errors';
import {
  byIdOps,
  fromDoc,
  fromEarlierDoc,
  listFilter,
  page,
  pageLimit,
  toDoc,
  type ThredDoc,
  type ThredStore,
} from './record';
import { PARTITIONS, UNBOUND_INDEX } from './partitioned';

export const THREDS_COLLECTION = 'threds';

export function oneCollectionThreds(db: Db): ThredStore {
  const threds = db.collection<ThredDoc>(THREDS_COLLECTION);
  const accepting = { status: 'active' as const, acceptsUnbound: true };
  return {
    ...byIdOps(() => threds),
    async save(record) {
      const { _id, ...rest } = toDoc(record);
      const newer = { _id, version: { $lte: record.version } };
      try {
        await threds.replaceOne(newer, rest, { upsert: true });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // The upsert found no record at this version or below and its insert met one: a newer snapshot, or the
        // first snapshot written concurrently by a retry. Without the upsert the replace only wins over an older one.
        await threds.replaceOne(newer, rest);
      }
    },
    async rewind(id, now) {
      const acceptsUnbound = now.status === 'active' && now.acceptsUnbound;
      await threds.updateOne(
        { _id: id },
        { $set: { version: -1, status: now.status, reaction: now.reaction, acceptsUnbound } },
      );
    },
    async acceptingUnbound() {
      return (await threds.find(accepting, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    },
    async list(q) {
      const filter = listFilter(q);
      if (q.cursor) filter._id = { $gt: q.cursor };
      const limit = pageLimit(q.limit);
      const docs = await threds
        .find(filter)
        .sort({ _id: 1 })
        .limit(limit + 1)
        .toArray();
      return page(docs, limit);
    },
    async changedSince(since, limit = 1000) {
      return (
        await threds
          .find({ updateTime: { $gte: since } })
          .limit(limit)
          .toArray()
      ).map(fromDoc);
    },
    async endedBefore(cutoff, limit) {
      const docs = await threds
        .find({ status: { $ne: 'active' }, endTime: { $lt: cutoff } }, { projection: { _id: 1, endTime: 1 } })
        .limit(limit)
        .toArray();
      return docs.map((d) => ({ id: d._id, endTime: d.endTime! }));
    },
    async deleteEndedBefore(ids, cutoff) {
      const filter = { _id: { $in: ids }, status: { $ne: 'active' as const }, endTime: { $lt: cutoff } };
      return (await threds.deleteMany(filter)).deletedCount;
    },
    async existing(ids) {
      return (await threds.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    },
    async count(q = {}) {
      return threds.countDocuments(listFilter(q));
    },
    async adopt() {
      const present = new Set(
        (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name as string),
      );
      let moved = 0;
      for (const name of PARTITIONS.filter((n) => present.has(n))) {
        const from = db.collection<Parameters<typeof fromEarlierDoc>[0]>(name);
        const docs = (await from.find({}).toArray()).map(fromEarlierDoc);
        // A record already here was written by this layout, after the other one stopped: it is the newer.
        await insertOnce(threds, docs);
        moved += docs.length;
        await from.drop();
      }
      if (present.has(UNBOUND_INDEX)) await db.collection(UNBOUND_INDEX).drop();
      return moved;
    },
    async ensureIndexes() {
      await Promise.all([
        threds.createIndex({ status: 1, _id: 1 }),
        threds.createIndex({ patternId: 1, _id: 1 }),
        threds.createIndex({ participants: 1, _id: 1 }),
        threds.createIndex({ updateTime: 1 }),
        threds.createIndex({ endTime: 1 }),
        acceptingIndex(threds),
      ]);
    },
  };
}

/**
 * The router reads the threds accepting unbound events on every unbound event: a partial index holds only those.
 * FerretDB does not implement partial indexes (code 238, NotImplemented); an index on the flag serves the same query.
 */
async function acceptingIndex(threds: Collection<ThredDoc>): Promise<void> {
  try {
    await threds.createIndex(
      { acceptsUnbound: 1 },
      { name: 'accepting_unbound', partialFilterExpression: { acceptsUnbound: true } },
    );
  } catch (err) {
    if ((err as { code?: unknown }).code !== 238) throw err;
    await threds.createIndex({ acceptsUnbound: 1, status: 1 }, { name: 'accepting_unbound' });
  }
}
