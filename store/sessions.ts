import type { Db } from 'mongodb';

/** A live WebSocket session, held by one gateway instance (so messages can be pushed by whichever holds it). */
export interface SessionRecord {
  _id: string; // sessionId
  participantId: string;
  gatewayId: string;
  /** Where that gateway accepts pushes from workers (internal endpoint). */
  gatewayUrl: string;
  connectedAt: number;
  lastSeen: number;
  /**
   * The holding gateway refreshes this on every heartbeat the client answers; past it the record is a leftover of
   * a gateway that died without removing its sessions, and any gateway's sweep deletes it.
   */
  expiresAt?: number;
}

/** Records from before `expiresAt` existed are swept once they are this old. */
const LEGACY_STALE_MS = 10 * 60_000;

export function createSessionStore(db: Db) {
  const coll = db.collection<SessionRecord>('sessions');
  return {
    async add(s: SessionRecord): Promise<void> {
      await coll.replaceOne({ _id: s._id }, s, { upsert: true });
    },
    async remove(sessionId: string): Promise<void> {
      await coll.deleteOne({ _id: sessionId });
    },
    async removeGateway(gatewayId: string): Promise<void> {
      await coll.deleteMany({ gatewayId });
    },
    /** Deletes the records of sessions whose gateway stopped refreshing them; returns how many. */
    async sweep(now: number): Promise<number> {
      const res = await coll.deleteMany({
        $or: [{ expiresAt: { $lt: now } }, { expiresAt: { $exists: false }, lastSeen: { $lt: now - LEGACY_STALE_MS } }],
      });
      return res.deletedCount;
    },
    async forParticipants(ids: string[]): Promise<SessionRecord[]> {
      if (ids.length === 0) return [];
      return coll.find({ participantId: { $in: ids } }).toArray();
    },
    async liveParticipants(): Promise<string[]> {
      return coll.distinct('participantId');
    },
  };
}
