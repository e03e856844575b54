import type { Db } from 'mongodb';
import type { ThredsEvent } from '../patterns';
import { insertOnce } from './errors';
import { fromJsonText, toJsonText } from './json-field';

export interface StoredEvent {
  _id: string; // event id
  event: ThredsEvent;
  direction: 'in' | 'out';
  thredId?: string;
  /** Threds an unbound event was routed to (a bound event has `thredId`). */
  thredIds?: string[];
  /** Resolved recipients of an outbound event. */
  to?: string[];
  /** `event.source.id`, beside the JSON text so visibility queries can use it (absent on records written before it). */
  sourceId?: string;
  storedAt: number;
  /** Audit of routing when it reached no thred: `no_thred` (bound, unknown thred) or `no_pattern` (unbound, nothing took it). */
  outcome?: 'no_thred' | 'no_pattern';
  /** Outbound: the thred step that published it and its place among that step's messages (what-if replay pairs ids). */
  origin?: OutboundOrigin;
}

/** Where an outbound event came from: the step (thred log `seq`) and its index among the step's messages then agent calls. */
export interface OutboundOrigin {
  step: number;
  ordinal: number;
}

/** As stored: the event as JSON text (see json-field.ts). */
type EventDoc = Omit<StoredEvent, 'event'> & { event: string };

const fromDoc = ({ event, ...rest }: EventDoc): StoredEvent => ({ ...rest, event: fromJsonText(event) });

const sourceOf = (event: ThredsEvent): { sourceId?: string } =>
  typeof event.source?.id === 'string' ? { sourceId: event.source.id } : {};

/** The original platform's rule (userControl getEvents): a participant sees what it sent and what was addressed to it. */
export const visibleTo = (e: StoredEvent, participantId: string): boolean =>
  (e.sourceId ?? e.event.source?.id) === participantId || (e.to?.includes(participantId) ?? false);

export function createEventStore(db: Db) {
  const coll = db.collection<EventDoc>('events');
  return {
    /**
     * Stores an inbound event once; returns false when an event with this id was already stored. `routing` is what
     * the router already knows (the threds it is about to start, or that nothing takes it), so the common paths cost
     * one insert and no update.
     */
    async saveInbound(
      event: ThredsEvent,
      now: number,
      routing: Pick<StoredEvent, 'thredIds' | 'outcome'> = {},
    ): Promise<boolean> {
      const doc: EventDoc = {
        _id: event.id,
        event: toJsonText(event),
        direction: 'in',
        storedAt: now,
        ...sourceOf(event),
      };
      if (event.thredId) doc.thredId = event.thredId;
      if (routing.thredIds?.length) doc.thredIds = routing.thredIds;
      if (routing.outcome) doc.outcome = routing.outcome;
      return insertOnce(coll, [doc]);
    },
    /** Idempotent by event id (activities run at least once). */
    async saveOutbound(event: ThredsEvent, to: string[], now: number, origin?: OutboundOrigin): Promise<void> {
      const doc: EventDoc = {
        _id: event.id,
        event: toJsonText(event),
        direction: 'out',
        to,
        storedAt: now,
        ...sourceOf(event),
      };
      if (event.thredId) doc.thredId = event.thredId;
      if (origin) doc.origin = origin;
      await insertOnce(coll, [doc]);
    },
    async markOutcome(id: string, outcome: NonNullable<StoredEvent['outcome']>): Promise<void> {
      await coll.updateOne({ _id: id }, { $set: { outcome } });
    },
    /** Undoes `thredIds` written ahead when starting that thred failed. */
    async unlinkFromThred(eventId: string, thredId: string): Promise<void> {
      await coll.updateOne({ _id: eventId }, { $pull: { thredIds: thredId } });
    },
    async get(id: string): Promise<StoredEvent | null> {
      const doc = await coll.findOne({ _id: id });
      return doc ? fromDoc(doc) : null;
    },
    /** Inbound events routed to a thred are recorded against it (an unbound event may reach several threds). */
    async linkToThred(eventId: string, thredId: string): Promise<void> {
      await coll.updateOne({ _id: eventId }, { $addToSet: { thredIds: thredId } });
    },
    /** The thred's most recent event (visible to `participantId` when given), or null. */
    async latestForThred(thredId: string, participantId?: string): Promise<StoredEvent | null> {
      const ofThred = { $or: [{ thredId }, { thredIds: thredId }] };
      for (let skip = 0; skip < 1000; skip += 50) {
        const docs = await coll.find(ofThred).sort({ storedAt: -1 }).skip(skip).limit(50).toArray();
        const found = docs.map(fromDoc).find((e) => participantId === undefined || visibleTo(e, participantId));
        if (found || docs.length < 50) return found ?? null;
      }
      return null;
    },
    /**
     * Read-only query on the plain columns (`_id`, `thredId`, `thredIds`, `direction`, `to`, `sourceId`, `storedAt`);
     * the filter comes from a compiled persistence matcher (activities/persistence-query.ts: no free operators).
     */
    async query(filter: Record<string, unknown>, limit: number): Promise<StoredEvent[]> {
      const docs = await coll
        .find(filter as never)
        .sort({ storedAt: 1 })
        .limit(limit)
        .toArray();
      return docs.map(fromDoc);
    },
    /**
     * Look-back candidates (SPEC §15), oldest first: inbound events stored since `since` that are bound to (or were
     * routed to) the thred, or unbound and sent by one of `participants`. Whether the thred handled them is the
     * caller's question (the thred log knows).
     */
    async lookBack(thredId: string, participants: string[], since: number, limit: number): Promise<StoredEvent[]> {
      const docs = await coll
        .find({
          direction: 'in',
          storedAt: { $gte: since },
          $or: [{ thredId }, { thredIds: thredId }, { thredId: { $exists: false }, sourceId: { $in: participants } }],
        })
        .sort({ storedAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map(fromDoc);
    },
    /** A thred's events in storage order; with `participantId`, only those it sent or received (`visibleTo`). */
    async forThred(thredId: string, limit = 500, participantId?: string): Promise<StoredEvent[]> {
      const ofThred = { $or: [{ thredId }, { thredIds: thredId }] };
      // Records without `sourceId` (older ones) are fetched too and decided on their parsed event below.
      const filter =
        participantId === undefined
          ? ofThred
          : {
              $and: [
                ofThred,
                { $or: [{ sourceId: participantId }, { to: participantId }, { sourceId: { $exists: false } }] },
              ],
            };
      const docs = await coll.find(filter).sort({ storedAt: 1 }).limit(limit).toArray();
      const events = docs.map(fromDoc);
      return participantId === undefined ? events : events.filter((e) => visibleTo(e, participantId));
    },
  };
}
