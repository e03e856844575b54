import type { Db, Filter } from 'mongodb';
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
  /**
   * `event.type`, `event.re` and `event.time` (`storedAt` when the event has none) as plain, indexed columns for the
   * audit query (GET /events); absent on records written before them, which only the thred-scoped reads find.
   */
  type?: string;
  re?: string;
  time?: number;
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

/** The event's fields stored as plain columns beside its JSON text (the text stays the source of truth). */
function columnsOf(event: ThredsEvent, now: number): Pick<EventDoc, 'sourceId' | 'type' | 're' | 'time'> {
  return {
    ...(typeof event.source?.id === 'string' && { sourceId: event.source.id }),
    ...(typeof event.type === 'string' && { type: event.type }),
    ...(typeof event.re === 'string' && { re: event.re }),
    time: typeof event.time === 'number' && Number.isFinite(event.time) ? event.time : now,
  };
}

/** GET /events (admin audit): every filter is an indexed column; the page continues after `after`. */
export interface EventAuditQuery {
  type?: string;
  source?: string;
  /** Events bound to the thred or routed to it (an unbound event names its threds in `thredIds`). */
  thredId?: string;
  /** `time` window, ms since the epoch: since ≤ time < until. */
  since?: number;
  until?: number;
  limit: number;
  /** The sort key of the last event of the previous page. */
  after?: EventAuditKey;
}

/** Audit order: event time, then id (ids are unique, so the order is total and a page boundary is exact). */
export interface EventAuditKey {
  time: number;
  id: string;
}

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
        ...columnsOf(event, now),
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
        ...columnsOf(event, now),
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
    /** One page of look-back candidates, oldest first by (storedAt, id); `after` is the last one of the page before. */
    async lookBack(
      thredId: string,
      participants: string[],
      since: number,
      limit: number,
      after?: { storedAt: number; id: string },
    ): Promise<StoredEvent[]> {
      const mine = {
        $or: [{ thredId }, { thredIds: thredId }, { thredId: { $exists: false }, sourceId: { $in: participants } }],
      };
      const docs = await coll
        .find({
          direction: 'in',
          storedAt: { $gte: Math.max(since, after?.storedAt ?? since) },
          ...(after
            ? {
                $and: [
                  mine,
                  {
                    $or: [{ storedAt: { $gt: after.storedAt } }, { storedAt: after.storedAt, _id: { $gt: after.id } }],
                  },
                ],
              }
            : mine),
        })
        .sort({ storedAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map(fromDoc);
    },
    /**
     * The admin audit query (GET /events), oldest first by (time, id). Only records with the audit columns are found
     * (`time` is a number on every record written since they exist); older ones stay readable per thred.
     */
    async audit(q: EventAuditQuery): Promise<StoredEvent[]> {
      const and: Filter<EventDoc>[] = [];
      if (q.type !== undefined) and.push({ type: q.type });
      if (q.source !== undefined) and.push({ sourceId: q.source });
      if (q.thredId !== undefined) and.push({ $or: [{ thredId: q.thredId }, { thredIds: q.thredId }] });
      const from = Math.max(q.since ?? -Number.MAX_VALUE, q.after?.time ?? -Number.MAX_VALUE);
      and.push({ time: q.until === undefined ? { $gte: from } : { $gte: from, $lt: q.until } });
      if (q.after) and.push({ $or: [{ time: { $gt: q.after.time } }, { _id: { $gt: q.after.id } }] });
      const docs = await coll
        .find(and.length === 1 ? and[0]! : { $and: and })
        .sort({ time: 1, _id: 1 })
        .limit(q.limit)
        .toArray();
      return docs.map(fromDoc);
    },
    /** Retention (store/retention.ts): removes the events bound to these threds; answers how many. */
    async deleteBoundTo(thredIds: string[]): Promise<number> {
      if (thredIds.length === 0) return 0;
      return (await coll.deleteMany({ thredId: { $in: thredIds } })).deletedCount;
    },
    /** Retention: the unbound events routed to any of these threds, with every thred each went to. */
    async routedTo(thredIds: string[]): Promise<{ id: string; thredIds: string[] }[]> {
      if (thredIds.length === 0) return [];
      const docs = await coll.find({ thredIds: { $in: thredIds } }, { projection: { _id: 1, thredIds: 1 } }).toArray();
      return docs.map((d) => ({ id: d._id, thredIds: d.thredIds ?? [] }));
    },
    /** Retention: an unbound event keeps only the threds still recorded (a plain $set: idempotent on every server). */
    async keepRoutedTo(id: string, thredIds: string[]): Promise<void> {
      await coll.updateOne({ _id: id }, { $set: { thredIds } });
    },
    async deleteIds(ids: string[]): Promise<number> {
      if (ids.length === 0) return 0;
      return (await coll.deleteMany({ _id: { $in: ids } })).deletedCount;
    },
    /**
     * Retention: events that belong to no thred — unbound events no pattern took, bound events to an unknown thred,
     * control events (thredId SYSTEM) and their replies — stored before `cutoff`.
     */
    async deleteThredlessBefore(cutoff: number): Promise<number> {
      const filter: Filter<EventDoc> = {
        storedAt: { $lt: cutoff },
        // No thred in `thredIds`: absent, or emptied when starting the one thred it was to start failed.
        'thredIds.0': { $exists: false },
        $or: [{ thredId: { $exists: false } }, { thredId: 'SYSTEM' }, { outcome: 'no_thred' }],
      };
      return (await coll.deleteMany(filter)).deletedCount;
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
