import type { Db } from 'mongodb';

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
      if (records.length === 0) return;
      await coll.bulkWrite(
        records.map((r) => ({ updateOne: { filter: { _id: r._id }, update: { $setOnInsert: r }, upsert: true } })),
        { ordered: false },
      );
    },
    async forThred(thredId: string, limit = 1000): Promise<ThredLogRecord[]> {
      const records = await coll.find({ thredId }).sort({ seq: 1, _id: 1 }).limit(limit).toArray();
      // FerretDB drops null fields inside $setOnInsert: restore the documented shape.
      return records.map((r) => ({ ...r, from: r.from ?? null, to: r.to ?? null }));
    },
  };
}
