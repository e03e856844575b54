import type { Db } from 'mongodb';

/**
 * Rotating refresh tokens (SPEC §8 POST /refresh). Only a SHA-256 of each token is stored. Every use rotates: the
 * presented token is marked used and a new one of the same family is issued. Presenting a used token again means it
 * leaked (or a client raced itself), so the whole family is revoked and the participant has to log in again.
 */
export interface RefreshTokenRecord {
  _id: string; // sha256(token), hex
  participantId: string;
  /** All tokens rotated from one login share a family. */
  family: string;
  createdAt: number;
  expiresAt: number;
  usedAt?: number;
  revoked?: boolean;
}

export type RefreshUse =
  { ok: true; record: RefreshTokenRecord } | { ok: false; reason: 'unknown' | 'expired' | 'reused' | 'revoked' };

export function createRefreshTokens(db: Db) {
  const coll = db.collection<RefreshTokenRecord>('refresh_tokens');
  return {
    async add(record: RefreshTokenRecord): Promise<void> {
      await coll.insertOne(record);
    },
    /** Marks the token used (once). A second use revokes its family. */
    async use(hash: string, now: number): Promise<RefreshUse> {
      const record = await coll.findOne({ _id: hash });
      if (!record) return { ok: false, reason: 'unknown' };
      if (record.revoked) return { ok: false, reason: 'revoked' };
      if (record.expiresAt <= now) return { ok: false, reason: 'expired' };
      const res =
        record.usedAt === undefined
          ? await coll.updateOne({ _id: hash, usedAt: { $exists: false } }, { $set: { usedAt: now } })
          : undefined;
      if (!res || res.modifiedCount !== 1) {
        await coll.updateMany({ family: record.family }, { $set: { revoked: true } });
        return { ok: false, reason: 'reused' };
      }
      return { ok: true, record };
    },
    async revokeParticipant(participantId: string): Promise<void> {
      await coll.updateMany({ participantId }, { $set: { revoked: true } });
    },
  };
}
