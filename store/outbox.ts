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
          message: toJsonText(message),
          createdAt: now,
        })),
      );
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
