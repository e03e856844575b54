import type { Db } from 'mongodb';
import { insertOnce } from './errors';

/** One transition record (SPEC §8 GET /threds/:id/log). */
export interface ThredLogRecord {
  _id: string; // `${thredId}:${step}:${index}` — idempotent under activity retries
  thredId: string;
  seq: number;
  kind: string; // matched | no_match | expired | error | log | no_thred | no_pattern | refused
  from: string | null;
  to: string | null;
  eventId?: string;
  reaction?: string;
  detail?: string;
  time: number;
}

export function createThredLog(db: Db) {
  const coll = db.collection<ThredLogRecord>('thred_log');
  return {
    async append(records: ThredLogRecord[]): Promise<void> {
      await insertOnce(coll, records);
    },
    /** Read-only query for dataControl; the filter comes from a compiled persistence matcher (no free operators). */
    async query(
      filter: Record<string, unknown>,
      opts: { sort?: [string, 1 | -1][]; skip?: number; limit: number },
    ): Promise<ThredLogRecord[]> {
      let cursor = coll.find(filter as never);
      if (opts.sort?.length) cursor = cursor.sort(opts.sort);
      if (opts.skip) cursor = cursor.skip(opts.skip);
      const records = await cursor.limit(opts.limit).toArray();
      return records.map((r) => ({ ...r, from: r.from ?? null, to: r.to ?? null }));
    },
    async count(filter: Record<string, unknown>): Promise<number> {
      return coll.countDocuments(filter as never);
    },
    /** Retention (store/retention.ts): removes the records of these threds; answers how many. */
    async deleteOfThreds(thredIds: string[]): Promise<number> {
      if (thredIds.length === 0) return 0;
      return (await coll.deleteMany({ thredId: { $in: thredIds } })).deletedCount;
    },
    async forThred(thredId: string, limit = 1000): Promise<ThredLogRecord[]> {
      const records = await coll.find({ thredId }).sort({ seq: 1, _id: 1 }).limit(limit).toArray();
      // Older records were written by a $setOnInsert upsert, which drops null fields on FerretDB: restore the shape.
      return records.map((r) => ({ ...r, from: r.from ?? null, to: r.to ?? null }));
    },
  };
}
