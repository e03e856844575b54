/**
 * One long thred: events/s through a single `bench_counter` thred across its continue-as-new boundaries (the
 * worker continues a run as new every THREDS_EVENT_BUDGET handled events).
 */
import { randomUUID } from 'node:crypto';
import { progress } from '../harness/progress';
import { round } from '../stats';
import type { ThredsContext } from './context';

export interface OneThredResult {
  events: number;
  perSec: number;
  continueAsNewRuns: number;
}

/** The counter thred, whose runs the history phase reads afterwards. */
export interface CounterThred {
  thredId: string;
  firstRunId: string;
}

export async function runOneThred(ctx: ThredsContext): Promise<{ result: OneThredResult; counter: CounterThred }> {
  const { opts, post, threds } = ctx;
  const count = (thredId?: string) =>
    post({ id: `c-${randomUUID()}`, type: 'bench.count', source: { id: 'bench_sensor' }, thredId });
  const thredId = (await count()).results[0]!.thredIds[0]!;
  const handle = ctx.client.workflow.getHandle(thredId);
  const firstRunId = (await handle.describe()).runId;
  const bar = progress('long thred events', opts.longEvents);
  const start = Date.now();
  let sent = 1;
  await ctx.phase('long thred', async () => {
    // Many senders, as many sensors would be: one sender's round trip would measure latency, not the thred.
    await Promise.all(
      Array.from({ length: opts.concurrency * 8 }, async () => {
        while (sent < opts.longEvents) {
          sent++;
          await count(thredId);
          bar.tick();
        }
      }),
    );
    // Progress from the read model (a query would compete with the busy thred for its worker).
    for (;;) {
      const n = ((await threds.store.threds.get(thredId))?.locals.n as number | undefined) ?? 0;
      if (n >= opts.longEvents) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  const elapsed = Date.now() - start;
  bar.stop();
  const snap = await retry(() => handle.query('state') as Promise<{ run: number }>);
  return {
    result: { events: opts.longEvents, perSec: round((opts.longEvents * 1000) / elapsed), continueAsNewRuns: snap.run },
    counter: { thredId, firstRunId },
  };
}

async function retry<T>(fn: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
