import type { Db } from 'mongodb';
import { insertOnce } from './errors';

/**
 * Which thred was handed which inbound event: the lifetime record behind SPEC §2's "delivered to each thred at most
 * once". The router writes it only after Temporal accepted the signal (or answered the offer), so a record proves a
 * delivery and a re-send skips that thred; no record means "perhaps not delivered", and the router delivers again —
 * the thred's bounded recent-ids set catches a delivery whose record was lost (a crash between signal and record).
 * Append-only by insert: on FerretDB's SQLite backend an insert and a find by `_id` stay cheap where an update of the
 * events collection would scan it (README "Benchmark").
 */
export interface DeliveryRecord {
  _id: string; // `${eventId}>${thredId}` (`>` is outside the id charset, so the key is unambiguous)
  eventId: string;
  thredId: string;
  /** The thred took the event (a bound or starting event; an offer it matched); false: an offer it declined. */
  took: boolean;
  at: number;
}

export interface Delivery {
  eventId: string;
  thredId: string;
  took: boolean;
}

const keyOf = (eventId: string, thredId: string) => `${eventId}>${thredId}`;

export function createDeliveries(db: Db) {
  const coll = db.collection<DeliveryRecord>('deliveries');
  return {
    /** Idempotent: a delivery recorded twice (a retry) keeps its first record. */
    async record(deliveries: Delivery[], now: number): Promise<void> {
      await insertOnce(
        coll,
        deliveries.map((d) => ({ _id: keyOf(d.eventId, d.thredId), ...d, at: now })),
      );
    },
    /** The recorded delivery of this event to this thred, or null when there is none. */
    async find(eventId: string, thredId: string): Promise<Delivery | null> {
      const doc = await coll.findOne({ _id: keyOf(eventId, thredId) });
      return doc ? { eventId: doc.eventId, thredId: doc.thredId, took: doc.took } : null;
    },
  };
}
