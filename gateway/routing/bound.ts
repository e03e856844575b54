/**
 * The bound path: an event naming its thred is stored, then signalled to that thred (404 THRED_DOES_NOT_EXIST when
 * there is none, 409 when it has ended).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ThredsEvent } from '../../patterns';
import { EventTypes, ErrorCodes } from '../../patterns/effects';
import { eventSignal, eventsSignal } from '../../workflows/messages';
import { createSignalBatcher } from '../signal-batcher';
import { RouteError } from '../errors';
import type { RecordDeliveries } from './deliveries';
import type { RouteResult, RoutingContext } from './context';

/**
 * Longest hold after a run said it is closing (ThredRecord.closingAt): its continue-as-new comes about a second later
 * (workflows/closing.ts), and the next run clears the mark as it starts, which lifts the hold at the next event routed
 * to it. Longer than the workflow's MARK_FRESH_MS. Measured from the gateway's clock too, so a skewed clock holds no
 * longer than this.
 */
export const CLOSING_HOLD_MS = 6000;

/** Until when to hold signals to a thred whose run is closing, or undefined. */
export function closingHold(closingAt: number | undefined, now: number): number | undefined {
  if (closingAt === undefined) return undefined;
  const until = Math.min(closingAt, now) + CLOSING_HOLD_MS;
  return until > now ? until : undefined;
}

export function createBoundRoute(rc: RoutingContext, recordDeliveries: RecordDeliveries) {
  const { client, store, now } = rc;

  // A lone event goes as the `event` signal of SPEC §10; only a group uses `events`. Each batch under its own
  // deadline (signal-batcher.ts); its deliveries are recorded beside the next batch's signal.
  const signals = createSignalBatcher(
    (thredId, events, deadline) =>
      client.withDeadline(deadline ?? Infinity, () =>
        events.length === 1
          ? client.workflow.getHandle(thredId).signal(eventSignal, events[0]!)
          : client.workflow.getHandle(thredId).signal(eventsSignal, events),
      ),
    (thredId, events) =>
      recordDeliveries([...new Set(events.map((e) => e.id))].map((eventId) => ({ eventId, thredId, took: true }))),
  );

  return async function routeBound(
    event: ThredsEvent & { thredId: string },
    deadline: number | undefined,
  ): Promise<RouteResult> {
    const thredId = event.thredId;
    const result: RouteResult = { eventId: event.id, thredIds: [thredId], started: [], refused: [] };
    // The event is stored whatever the thred's state (an audit of what arrived); the two round trips overlap.
    const [record, fresh] = await Promise.all([store.threds.get(thredId), store.events.saveInbound(event, now())]);
    // A re-send of an event the thred took gets the first answer, whatever the thred did since.
    if (!fresh && (await store.deliveries.find(event.id, thredId))) return result;
    const ended = () => new RouteError('THRED_ENDED', `thred ${thredId} has ended`, ErrorCodes.THRED_DOES_NOT_EXIST);
    if (record?.status === 'terminated') throw ended();
    if (record?.status === 'finished' && event.type !== EventTypes.clientBroadcast) throw ended();
    try {
      await signals.signal(thredId, event, deadline, closingHold(record?.closingAt, now()));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const again = record ?? (await store.threds.get(thredId));
      if (again) throw ended();
      await store.events.markOutcome(event.id, 'no_thred');
      throw new RouteError('THRED_NOT_FOUND', `thred ${thredId} does not exist`, ErrorCodes.THRED_DOES_NOT_EXIST);
    }
    return result; // stored with its thredId
  };
}
