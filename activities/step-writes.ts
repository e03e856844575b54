/**
 * What one batch of a thred's steps writes, planned by a pure function from the batch and its resolved messages, then
 * written in one concurrent round (every write keyed by thred, step and event ids, so a re-run writes nothing twice).
 */
import type { Message, ThredsEvent } from '../patterns';
import type { DeadLetter, Store, ThredLogRecord, ThredRecord } from '../store';
import type { OutboundOrigin } from '../store/events';
import { thredRecordOf } from '../store/threds';
import type { StepBatch } from './engine';

/** A message of the batch with its addresses resolved to participant ids. */
export interface ResolvedMessage {
  message: Message;
  recipients: string[];
  time: number;
  origin?: OutboundOrigin;
  /** A message the pattern sent: its recipients join the thred (error events and admin notices never widen it). */
  widens?: boolean;
}

export interface StepWrites {
  outbound: { event: ThredsEvent; to: string[]; time: number; origin?: OutboundOrigin }[];
  inbound: { event: ThredsEvent; time: number }[];
  outbox: { message: Message; to: string[]; time: number }[];
  log: ThredLogRecord[];
  deadLetters: DeadLetter[];
  /** Only the last state matters for the read model (versioned, so a late retry never goes backwards). */
  thred: ThredRecord;
  /** The thred ended and its pattern is limited: its instance slot is freed. */
  releaseSlot: boolean;
}

/**
 * `resolved`: the batch's messages, error events and admin notices with their recipients, in step order;
 * `isAgent`: agents are never a thred's participants.
 */
export function planStepWrites(
  { thredId, pattern, steps, queued }: StepBatch,
  resolved: ResolvedMessage[],
  isAgent: (id: string) => boolean,
): StepWrites {
  const last = steps[steps.length - 1]!;
  const participants = [...new Set([...last.state.participants, ...joining(resolved)])].filter((p) => !isAgent(p));
  return {
    outbound: [
      ...steps.flatMap((rec) =>
        rec.agentMessages.map((m, i) => ({
          event: m.event,
          to: m.to,
          time: rec.time,
          origin: { step: rec.step, ordinal: rec.messages.length + i },
        })),
      ),
      ...resolved.map(({ message, recipients, time, origin }) => ({
        event: message.event,
        to: recipients,
        time,
        ...(origin && { origin }),
      })),
    ],
    inbound: steps.flatMap((rec) => (rec.inbound ?? []).map((event) => ({ event, time: rec.time }))),
    outbox: resolved.map(({ message, recipients, time }) => ({ message, to: recipients, time })),
    log: steps.flatMap((rec) =>
      rec.logs.map((l, i) => ({
        _id: `${thredId}:${rec.step}:${i}`,
        thredId,
        seq: rec.step,
        kind: l.kind,
        from: l.from,
        to: l.to,
        ...(l.eventId !== undefined && { eventId: l.eventId }),
        ...(l.reaction !== undefined && { reaction: l.reaction }),
        ...(l.detail !== undefined && { detail: l.detail }),
        time: rec.time,
      })),
    ),
    deadLetters: steps.flatMap((rec) =>
      rec.deadLetters.map((d) => ({
        _id: d.message.id,
        thredId,
        nodeType: d.nodeType,
        message: d.message,
        error: d.error,
        createdAt: rec.time,
      })),
    ),
    thred: thredRecordOf(thredId, pattern, last.state, {
      version: last.step,
      acceptsUnbound: last.acceptsUnbound,
      participants,
      time: last.time,
      ...(queued !== undefined && { queued }),
    }),
    releaseSlot: last.state.status !== 'active' && pattern.limited !== false,
  };
}

/** Recipients of the pattern's own messages: they become the thred's participants. */
export const joining = (resolved: ResolvedMessage[]): string[] => [
  ...new Set(resolved.filter((r) => r.widens).flatMap((r) => r.recipients)),
];

export async function writeSteps(store: Store, w: StepWrites): Promise<void> {
  await Promise.all([
    ...w.outbound.map((o) => store.events.saveOutbound(o.event, o.to, o.time, o.origin)),
    ...w.inbound.map((i) => store.events.saveInbound(i.event, i.time)),
    ...w.outbox.map((o) => store.outbox.add(o.message, o.to, o.time)),
    ...w.deadLetters.map((d) => store.deadLetters.add(d)),
    store.thredLog.append(w.log),
    store.threds.save(w.thred),
    w.releaseSlot && store.instances.release(w.thred._id),
  ]);
}
