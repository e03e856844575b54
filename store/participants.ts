import type { Db } from 'mongodb';

/** A participant who can log in (people, sensors, agents): SPEC §8 /login, `threds user add`. */
export interface ParticipantRecord {
  _id: string; // participantId
  name?: string;
  passwordHash?: string;
  roles: string[];
  createdAt: number;
  updatedAt: number;
}

export function createParticipantStore(db: Db) {
  const coll = db.collection<ParticipantRecord>('participants');
  return {
    async upsert(
      p: { id: string; name?: string; passwordHash?: string; roles?: string[] },
      now: number,
    ): Promise<void> {
      const set: Partial<ParticipantRecord> = { updatedAt: now };
      if (p.name !== undefined) set.name = p.name;
      if (p.passwordHash !== undefined) set.passwordHash = p.passwordHash;
      if (p.roles !== undefined) set.roles = p.roles;
      const onInsert: Partial<ParticipantRecord> = { createdAt: now };
      if (p.roles === undefined) onInsert.roles = [];
      await coll.updateOne({ _id: p.id }, { $set: set, $setOnInsert: onInsert }, { upsert: true });
    },
    async get(id: string): Promise<ParticipantRecord | null> {
      return coll.findOne({ _id: id });
    },
    /** Every participant's id, name and roles (never the password hash). */
    async list(limit = 10_000): Promise<{ id: string; name?: string; roles: string[] }[]> {
      const docs = await coll
        .find({}, { projection: { passwordHash: 0 } })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map((d) => ({ id: d._id, ...(d.name !== undefined && { name: d.name }), roles: d.roles ?? [] }));
    },
    async withRole(role: string): Promise<string[]> {
      return (await coll.find({ roles: role }, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    },
  };
}
