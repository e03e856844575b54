import type { Db } from 'mongodb';

/**
 * A `watchThreds` subscription (SPEC §14): the participant gets a push for every thred that changes until
 * `expiresAt`. One per participant, kept in the store so every gateway holding one of the watcher's sessions serves
 * it, whichever gateway the request came through.
 */
export interface WatchRecord {
  _id: string; // participantId
  participantId: string;
  /** The `watchThreds` start request: pushes carry it as `re`. */
  requestId: string;
  startedAt: number;
  expiresAt: number;
}

export function createWatchStore(db: Db) {
  const coll = db.collection<WatchRecord>('watches');
  return {
    /** Starts (or restarts, with this request id) the participant's subscription. */
    async start(participantId: string, requestId: string, now: number, ttlMs: number): Promise<void> {
      await coll.replaceOne(
        { _id: participantId },
        { participantId, requestId, startedAt: now, expiresAt: now + ttlMs },
        { upsert: true },
      );
    },
    /** Extends the subscription; one that had lapsed starts again under `requestId`. */
    async renew(participantId: string, requestId: string, now: number, ttlMs: number): Promise<void> {
      const live = await coll.findOne({ _id: participantId, expiresAt: { $gt: now } });
      if (!live) return this.start(participantId, requestId, now, ttlMs);
      await coll.updateOne({ _id: participantId }, { $set: { expiresAt: now + ttlMs } });
    },
    async stop(participantId: string): Promise<boolean> {
      return (await coll.deleteOne({ _id: participantId })).deletedCount === 1;
    },
    async live(now: number): Promise<WatchRecord[]> {
      return coll.find({ expiresAt: { $gt: now } }).toArray();
    },
    async sweep(now: number): Promise<number> {
      return (await coll.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
    },
  };
}
