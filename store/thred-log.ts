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
    async forThred(thredId: string, limit = 1000): Promise<ThredLogRecord[]> {
      const records = await coll.find({ thredId }).sort({ seq: 1, _id: 1 }).limit(limit).toArray();
      // Older records were written by a $setOnInsert upsert, which drops null fields on FerretDB: restore the shape.
      return records.map((r) => ({ ...r, from: r.from ?? null, to: r.to ?? null }));
    },
  };
}
