import type { Db } from 'mongodb';

/**
 * Rate limit of the error notices sent to admins (`$admins`): a count per thred and fixed time window, shared by every
 * worker, so a thred failing in a loop costs admins at most `max` messages per window.
 */
interface NoticeWindow {
  _id: string; // `${thredId}:${windowStart}`
  thredId: string;
  count: number;
  windowStart: number;
}

export function createNoticeLimiter(db: Db) {
  const coll = db.collection<NoticeWindow>('admin_notices');
  return {
    /** Counts one notice for `thredId` now; true while the window's count is within `max`. */
    async allow(thredId: string, now: number, windowMs: number, max: number): Promise<boolean> {
      const windowStart = now - (now % windowMs);
      const doc = await coll.findOneAndUpdate(
        { _id: `${thredId}:${windowStart}` },
        { $inc: { count: 1 }, $setOnInsert: { thredId, windowStart } },
        { upsert: true, returnDocument: 'after' },
      );
      return (doc?.count ?? 1) <= max;
    },
    /** Forgets windows that ended before `before`. */
    async sweep(before: number): Promise<void> {
      await coll.deleteMany({ windowStart: { $lt: before } });
    },
  };
}
