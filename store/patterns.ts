import type { Db } from 'mongodb';
import type { Pattern } from '../patterns';
import { fromJsonText, toJsonText } from './json-field';

interface PatternDoc {
  _id: string;
  pattern: string; // JSON text (json-field.ts): templates have `$xpr` keys, matchers `$gt`…
  updatedAt: number;
}

export function createPatternStore(db: Db) {
  const coll = db.collection<PatternDoc>('patterns');
  return {
    async put(pattern: Pattern, now: number): Promise<void> {
      await coll.replaceOne({ _id: pattern.id }, { pattern: toJsonText(pattern), updatedAt: now }, { upsert: true });
    },
    async get(id: string): Promise<Pattern | null> {
      const doc = await coll.findOne({ _id: id });
      return doc ? fromJsonText<Pattern>(doc.pattern) : null;
    },
    async list(): Promise<Pattern[]> {
      return (await coll.find().sort({ _id: 1 }).toArray()).map((d) => fromJsonText<Pattern>(d.pattern));
    },
    async delete(id: string): Promise<boolean> {
      return (await coll.deleteOne({ _id: id })).deletedCount === 1;
    },
    /** Latest update time over all patterns, so routers can refresh their cache cheaply. */
    async version(): Promise<number> {
      const doc = await coll.find().sort({ updatedAt: -1 }).limit(1).next();
      return doc?.updatedAt ?? 0;
    },
  };
}
