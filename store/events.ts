import type { Db } from 'mongodb';
import type { ThredsEvent } from '../patterns';
import { isDuplicateKey } from './errors';
import { fromJsonText, toJsonText } from './json-field';

export interface StoredEvent {
  _id: string; // event id
  event: ThredsEvent;
  direction: 'in' | 'out';
  thredId?: string;
  /** Resolved recipients of an outbound event. */
  to?: string[];
  storedAt: number;
  /** Audit of routing when it reached no thred: `no_thred` (bound, unknown thred) or `no_pattern` (unbound, nothing took it). */
  outcome?: 'no_thred' | 'no_pattern';
}

/** As stored: the event as JSON text (see json-field.ts). */
type EventDoc = Omit<StoredEvent, 'event'> & { event: string };

const fromDoc = ({ event, ...rest }: EventDoc): StoredEvent => ({ ...rest, event: fromJsonText(event) });

export function createEventStore(db: Db) {
  const coll = db.collection<EventDoc>('events');
  return {
    /** Stores an inbound event once; returns false when an event with this id was already stored. */
    async saveInbound(event: ThredsEvent, now: number): Promise<boolean> {
      try {
        const doc: EventDoc = { _id: event.id, event: toJsonText(event), direction: 'in', storedAt: now };
        if (event.thredId) doc.thredId = event.thredId;
        await coll.insertOne(doc);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },
    /** Idempotent by event id (activities run at least once). */
    async saveOutbound(event: ThredsEvent, to: string[], now: number): Promise<void> {
      const doc: EventDoc = { _id: event.id, event: toJsonText(event), direction: 'out', to, storedAt: now };
      if (event.thredId) doc.thredId = event.thredId;
      await coll.updateOne({ _id: event.id }, { $setOnInsert: doc }, { upsert: true });
    },
    async markOutcome(id: string, outcome: NonNullable<StoredEvent['outcome']>): Promise<void> {
      await coll.updateOne({ _id: id }, { $set: { outcome } });
    },
    async get(id: string): Promise<StoredEvent | null> {
      const doc = await coll.findOne({ _id: id });
      return doc ? fromDoc(doc) : null;
    },
    /** Inbound events routed to a thred are recorded against it (an unbound event may reach several threds). */
    async linkToThred(eventId: string, thredId: string): Promise<void> {
      await coll.updateOne({ _id: eventId }, { $addToSet: { thredIds: thredId } } as never);
    },
    async forThred(thredId: string, limit = 500): Promise<StoredEvent[]> {
      const docs = await coll
        .find({ $or: [{ thredId }, { thredIds: thredId } as never] })
        .sort({ storedAt: 1 })
        .limit(limit)
        .toArray();
      return docs.map(fromDoc);
    },
  };
}
