/**
 * The soak's load driver: posts counter events as a well-behaved client would — an event refused (429/503) is sent
 * again with the same id after its Retry-After — and counts what the gateway acknowledged, per thred, against which
 * the read model is checked.
 */
import { randomUUID } from 'node:crypto';

/** Requests the soak client holds open at once (each is a socket). */
const MAX_IN_FLIGHT = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Load {
  /** Per thred: events acknowledged (202), the one that started it included. */
  readonly acked: Map<string, number>;
  readonly accepted: number;
  readonly refused: number;
  /** Refusals by HTTP status. */
  readonly refusedBy: Record<string, number>;
  /** Requests that got no answer at all (each is sent again). */
  readonly connectionErrors: number;
  /** POST latencies (ms) since the last call. */
  takeLatencies(): number[];
  /** `senders` each posting one event after another until `durationMs` is over. */
  closedLoop(durationMs: number, senders: number): Promise<void>;
  /** `rate` events/s on schedule from `start` for `durationMs`, whatever the answers; resolves once all are in. */
  openLoop(rate: number, durationMs: number, start: number): Promise<void>;
}

export function createLoad(baseUrl: string, token: string, thredIds: string[]): Load {
  const acked = new Map(thredIds.map((id) => [id, 1]));
  let accepted = 0;
  let refused = 0;
  const refusedBy: Record<string, number> = {};
  let latencies: number[] = [];
  // Beyond MAX_IN_FLIGHT a send waits for a slot, and the schedule's lag is reported instead of the client running
  // out of file descriptors.
  let inFlight = 0;
  const slotFreed: (() => void)[] = [];
  let connectionErrors = 0;
  const post = async (event: { thredId: string } & Record<string, unknown>): Promise<void> => {
    for (;;) {
      while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => slotFreed.push(r));
      inFlight++;
      const t0 = Date.now();
      let res: Response | undefined;
      try {
        res = await fetch(`${baseUrl}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(event),
        });
        await res.arrayBuffer();
      } catch {
        res = undefined;
      } finally {
        inFlight--;
        slotFreed.shift()?.();
      }
      if (!res) {
        // No answer: the event may or may not be stored; the same id again is safe (the gateway dedupes).
        connectionErrors++;
        await sleep(1000);
        continue;
      }
      latencies.push(Date.now() - t0);
      if (res.status === 202) {
        accepted++;
        acked.set(event.thredId, (acked.get(event.thredId) ?? 0) + 1);
        return;
      }
      if (res.status !== 429 && res.status !== 503) throw new Error(`POST /events → ${res.status}`);
      refused++;
      refusedBy[res.status] = (refusedBy[res.status] ?? 0) + 1;
      await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000); // then the same id again
    }
  };
  /** One event to the thred `i` selects, sent until accepted. */
  const one = (i: number) =>
    post({
      id: `c-${randomUUID()}`,
      type: 'soak.count',
      source: { id: 'soak' },
      thredId: thredIds[i % thredIds.length]!,
    });
  return {
    acked,
    get accepted() {
      return accepted;
    },
    get refused() {
      return refused;
    },
    refusedBy,
    get connectionErrors() {
      return connectionErrors;
    },
    takeLatencies() {
      const taken = latencies;
      latencies = [];
      return taken;
    },
    async closedLoop(durationMs, senders) {
      const start = Date.now();
      let k = 0;
      await Promise.all(
        Array.from({ length: senders }, async () => {
          while (Date.now() - start < durationMs) await one(k++);
        }),
      );
    },
    async openLoop(rate, durationMs, start) {
      const pending: Promise<void>[] = [];
      const total = Math.round((durationMs / 1000) * rate);
      let failure: unknown;
      for (let i = 0; i < total; i++) {
        const wait = start + (i * 1000) / rate - Date.now();
        if (wait > 0) await sleep(wait);
        // Caught here: a rejection left unhandled while the schedule runs would end the process and leave the
        // servers it started behind.
        pending.push(
          one(i).catch((err: unknown) => {
            failure ??= err;
          }),
        );
      }
      await Promise.all(pending);
      if (failure) throw failure;
    },
  };
}
