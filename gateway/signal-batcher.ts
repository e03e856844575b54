/**
 * Group commit of bound events, per thred: while a signal to a thred is in flight, later events for it wait and go
 * together in the next signal, in arrival order. A busy thred then costs one signal — one history event, one
 * workflow task — per batch instead of per event (Temporal serializes signals to one workflow); an event to a quiet
 * thred is signalled at once. Each caller still learns the outcome of the signal that carried its event.
 */
import type { ThredsEvent } from '../patterns';

type Send = (thredId: string, events: ThredsEvent[]) => Promise<void>;

interface Waiting {
  event: ThredsEvent;
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** Kept well under Temporal's payload limits, whatever the events' size. */
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_BATCH_EVENTS = 200;

export function createSignalBatcher(send: Send) {
  const waiting = new Map<string, Waiting[]>();

  async function drain(thredId: string, queue: Waiting[]): Promise<void> {
    while (queue.length > 0) {
      let bytes = 0;
      let n = 0;
      while (n < queue.length && n < MAX_BATCH_EVENTS && (n === 0 || bytes + queue[n]!.bytes <= MAX_BATCH_BYTES)) {
        bytes += queue[n]!.bytes;
        n++;
      }
      const batch = queue.splice(0, n);
      try {
        await send(
          thredId,
          batch.map((w) => w.event),
        );
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    waiting.delete(thredId);
  }

  return {
    /** Resolves once the signal carrying `event` was accepted by Temporal; rejects with that signal's error. */
    signal(thredId: string, event: ThredsEvent): Promise<void> {
      return new Promise((resolve, reject) => {
        const item = { event, bytes: JSON.stringify(event).length, resolve, reject };
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
