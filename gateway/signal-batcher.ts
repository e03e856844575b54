/**
 * Group commit of bound events, per thred: while a signal to a thred is in flight, later events for it wait and go
 * together in the next signal, in arrival order. A busy thred then costs one signal — one history event, one
 * workflow task — per batch instead of per event (Temporal serializes signals to one workflow); an event to a quiet
 * thred is signalled at once. Each caller still learns the outcome of the signal that carried its event.
 *
 * Deadlines: each caller brings its own, and each batch is sent under the latest deadline among its callers. The
 * drain loop runs in the first caller's async context, so a deadline read from that context would be the first
 * caller's — long expired for the later batches of a busy drain, which would then fail at once although Temporal is
 * fine. A caller whose deadline passes before its batch is answered is answered by the router's own deadline.
 *
 * Holds: a caller may say its thred should not be signalled before some time (its run is about to continue as new:
 * workflows/closing.ts). The next batch waits while the newest waiting event asks for that — the newest, since it
 * was routed on the freshest read of the thred — and never closer than HOLD_MARGIN_MS to its deadline.
 */
import type { ThredsEvent } from '../patterns';

/** `deadline`: ms since epoch, or undefined for none. */
export type Send = (thredId: string, events: ThredsEvent[], deadline: number | undefined) => Promise<void>;
/** Runs once a batch's signal was accepted, beside the next batch's signal; its callers resolve when it settles. */
export type AfterSend = (thredId: string, events: ThredsEvent[]) => Promise<void>;

interface Waiting {
  event: ThredsEvent;
  bytes: number;
  deadline: number | undefined;
  notBefore: number | undefined;
  resolve(): void;
  reject(err: unknown): void;
}

/** Kept well under Temporal's payload limits, whatever the events' size. */
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_BATCH_EVENTS = 200;
/** How often a held thred's queue is looked at again (a newer event may lift the hold). */
const HOLD_POLL_MS = 50;
const HOLD_MARGIN_MS = 1000;

/** The latest deadline of the batch; none if any caller has none. */
function batchDeadline(batch: Waiting[]): number | undefined {
  let latest = -Infinity;
  for (const w of batch) {
    if (w.deadline === undefined) return undefined;
    latest = Math.max(latest, w.deadline);
  }
  return latest;
}

/** How long the next batch still waits: while the newest waiting event's hold lasts, up to near the deadline. */
function heldFor(queue: Waiting[], now: number): number {
  const newest = queue[queue.length - 1]!;
  if (newest.notBefore === undefined) return 0;
  const deadline = batchDeadline(queue.slice(0, MAX_BATCH_EVENTS));
  return Math.min(newest.notBefore, (deadline ?? Infinity) - HOLD_MARGIN_MS) - now;
}

export function createSignalBatcher(send: Send, after?: AfterSend, now: () => number = Date.now) {
  const waiting = new Map<string, Waiting[]>();

  async function drain(thredId: string, queue: Waiting[]): Promise<void> {
    while (queue.length > 0) {
      for (let wait = heldFor(queue, now()); wait > 0; wait = heldFor(queue, now())) {
        await new Promise((r) => setTimeout(r, Math.min(wait, HOLD_POLL_MS)));
      }
      let bytes = 0;
      let n = 0;
      while (n < queue.length && n < MAX_BATCH_EVENTS && (n === 0 || bytes + queue[n]!.bytes <= MAX_BATCH_BYTES)) {
        bytes += queue[n]!.bytes;
        n++;
      }
      const batch = queue.splice(0, n);
      const events = batch.map((w) => w.event);
      try {
        await send(thredId, events, batchDeadline(batch));
      } catch (err) {
        for (const w of batch) w.reject(err);
        continue;
      }
      const settled = after ? after(thredId, events).catch(() => undefined) : Promise.resolve();
      void settled.then(() => {
        for (const w of batch) w.resolve();
      });
    }
    waiting.delete(thredId);
  }

  return {
    /**
     * Resolves once the signal carrying `event` was accepted by Temporal (and `after` settled); rejects with that
     * signal's error. `deadline` (ms since epoch) bounds the Temporal call of the batch that carries it; `notBefore`
     * (ms since epoch) asks to hold the thred's signals until then.
     */
    signal(thredId: string, event: ThredsEvent, deadline?: number, notBefore?: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const item = { event, bytes: JSON.stringify(event).length, deadline, notBefore, resolve, reject };
        const queue = waiting.get(thredId);
        if (queue) {
          queue.push(item);
          return;
        }
        const fresh = [item];
        waiting.set(thredId, fresh);
        void drain(thredId, fresh);
      });
    },
  };
}
