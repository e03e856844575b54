import type { Db } from 'mongodb';
import type { Message } from '../patterns';

/**
 * Every message addressed to a participant is kept here, so a participant who is offline receives it on the next
 * connect (SPEC §9 `since`), and a gateway instance that holds the session can push it.
 */
export interface OutboxEntry {
  _id: string; // `${messageId}:${participantId}`
  participantId: string;
  message: Message;
  createdAt: number;
}

export function createOutbox(db: Db) {
  const coll = db.collection<OutboxEntry>('outbox');
  return {
    async add(message: Message, participantIds: string[], now: number): Promise<void> {
      if (participantIds.length === 0) return;
      await coll.bulkWrite(
        participantIds.map((participantId) => {
          const entry: OutboxEntry = { _id: `${message.id}:${participantId}`, participantId, message, createdAt: now };
          return { updateOne: { filter: { _id: entry._id }, update: { $setOnInsert: entry }, upsert: true } };
        }),
        { ordered: false },
      );
    },
    async since(participantId: string, since: number, limit = 1000): Promise<OutboxEntry[]> {
      return coll
        .find({ participantId, createdAt: { $gte: since } })
        .sort({ createdAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
    },
  };
}
