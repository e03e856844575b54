import type { Db } from 'mongodb';
import type { Message } from '../patterns';
import { insertOnce } from './errors';
import { fromJsonText, toJsonText } from './json-field';

/**
 * Every message addressed to a participant is kept here, so a participant who is offline receives it on the next
 * connect (SPEC §9 `since`), and a gateway instance that holds the session can push it.
 */
export interface OutboxEntry {
  _id: string; // `${messageId}:${participantId}`
  participantId: string;
  /** The message's thred, so retention can remove a thred's entries (absent on entries written before it). */
  thredId?: string;
  message: Message;
  createdAt: number;
}

type OutboxDoc = Omit<OutboxEntry, 'message'> & { message: string }; // message as JSON text (json-field.ts)

export function createOutbox(db: Db) {
  const coll = db.collection<OutboxDoc>('outbox');
  return {
    async add(message: Message, participantIds: string[], now: number): Promise<void> {
      await insertOnce(
        coll,
        participantIds.map((participantId) => ({
          _id: `${message.id}:${participantId}`,
          participantId,
          ...(message.event.thredId !== undefined && { thredId: message.event.thredId }),
          message: toJsonText(message),
          createdAt: now,
        })),
      );
    },
    /** Retention (store/retention.ts): removes the entries of these threds; answers how many. */
    async deleteOfThreds(thredIds: string[]): Promise<number> {
      if (thredIds.length === 0) return 0;
      return (await coll.deleteMany({ thredId: { $in: thredIds } })).deletedCount;
    },
    /**
     * Retention: entries of control replies (thred SYSTEM), and entries written before `thredId` was stored, created
     * before `cutoff` — neither can be traced to an ended thred.
     */
    async deleteUntracedBefore(cutoff: number): Promise<number> {
      return (
        await coll.deleteMany({
          createdAt: { $lt: cutoff },
          $or: [{ thredId: { $exists: false } }, { thredId: 'SYSTEM' }],
        })
      ).deletedCount;
    },
    async since(participantId: string, since: number, limit = 1000): Promise<OutboxEntry[]> {
      const docs = await coll
        .find({ participantId, createdAt: { $gte: since } })
        .sort({ createdAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map(({ message, ...rest }) => ({ ...rest, message: fromJsonText<Message>(message) }));
    },
  };
}
