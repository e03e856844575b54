import type { Db } from 'mongodb';
import { insertOnce } from './errors';
import type { Message } from '../patterns';
import { fromJsonText, toJsonText } from './json-field';

/** An agent message whose retries were exhausted (SPEC §6); an admin can list it and retry it. */
export interface DeadLetter {
  _id: string; // message id
  thredId: string;
  nodeType: string;
  message: Message;
  error: string;
  attempts?: number;
  createdAt: number;
  /** Set by POST /dead-letters/:id/retry: when, and the id the message was re-sent under (a new failure is a new letter). */
  retriedAt?: number;
  retryId?: string;
}

type DeadLetterDoc = Omit<DeadLetter, 'message'> & { message: string }; // message as JSON text (json-field.ts)

const fromDoc = ({ message, ...rest }: DeadLetterDoc): DeadLetter => ({ ...rest, message: fromJsonText(message) });

export function createDeadLetters(db: Db) {
  const coll = db.collection<DeadLetterDoc>('dead_letters');
  return {
    async add(letter: DeadLetter): Promise<void> {
      const doc: DeadLetterDoc = { ...letter, message: toJsonText(letter.message) };
      await insertOnce(coll, [doc]);
    },
    async list(limit = 100): Promise<DeadLetter[]> {
      return (await coll.find().sort({ createdAt: -1 }).limit(limit).toArray()).map(fromDoc);
    },
    async forThred(thredId: string): Promise<DeadLetter[]> {
      return (await coll.find({ thredId }).toArray()).map(fromDoc);
    },
    async get(id: string): Promise<DeadLetter | null> {
      const doc = await coll.findOne({ _id: id });
      return doc && fromDoc(doc);
    },
    async markRetried(id: string, retryId: string, at: number): Promise<void> {
      await coll.updateOne({ _id: id }, { $set: { retriedAt: at, retryId } });
    },
    /** False when there was no such letter. */
    async delete(id: string): Promise<boolean> {
      return (await coll.deleteOne({ _id: id })).deletedCount === 1;
    },
  };
}
