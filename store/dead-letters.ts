import type { Db } from 'mongodb';
import type { Message } from '../patterns';

/** An agent message whose retries were exhausted (SPEC §6); an admin can list it and retry it. */
export interface DeadLetter {
  _id: string; // message id
  thredId: string;
  nodeType: string;
  message: Message;
  error: string;
  attempts?: number;
  createdAt: number;
}

export function createDeadLetters(db: Db) {
  const coll = db.collection<DeadLetter>('dead_letters');
  return {
    async add(letter: DeadLetter): Promise<void> {
      await coll.updateOne({ _id: letter._id }, { $setOnInsert: letter }, { upsert: true });
    },
    async list(limit = 100): Promise<DeadLetter[]> {
      return coll.find().sort({ createdAt: -1 }).limit(limit).toArray();
    },
    async forThred(thredId: string): Promise<DeadLetter[]> {
      return coll.find({ thredId }).toArray();
    },
  };
}
