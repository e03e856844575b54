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
}

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
    async forParticipants(ids: string[]): Promise<SessionRecord[]> {
      if (ids.length === 0) return [];
      return coll.find({ participantId: { $in: ids } }).toArray();
    },
    async liveParticipants(): Promise<string[]> {
      return coll.distinct('participantId');
    },
  };
}
