import type { Db } from 'mongodb';

export function createSmokeActivities(db: Db) {
  return {
    async roundTrip(key: string, value: string): Promise<string | null> {
      const coll = db.collection<{ _id: string; value: string }>('smoke');
      await coll.updateOne({ _id: key }, { $set: { value } }, { upsert: true });
      const doc = await coll.findOne({ _id: key });
      return doc?.value ?? null;
    },
  };
}
