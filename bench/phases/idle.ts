/**
 * Scale: N idle `bench_idle` threds started through the gateway, then the worker's and gateway's memory with all of
 * them alive, and the latency of an event to one of them chosen at random.
 */
import { randomUUID } from 'node:crypto';
import { progress } from '../harness/progress';
import { percentiles, round, type Percentiles } from '../stats';
import type { ThredsContext } from './context';

export interface IdleResult {
  idleThreds: number;
  startsPerSec: number;
  workerRssMB: number;
  gatewayRssMB: number;
  eventLatency: Percentiles;
}

const POKES = 50;

export async function runIdle(ctx: ThredsContext): Promise<IdleResult> {
  const { opts, post, threds } = ctx;
  const bar = progress(`starting ${opts.idleThreds} idle threds`, opts.idleThreds);
  const ids: string[] = [];
  let next = 0;
  const start = Date.now();
  await ctx.phase('idle threds start', async () => {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (next < opts.idleThreds) {
          next++;
          const r = await post({ id: `idle-${randomUUID()}`, type: 'bench.idle', source: { id: 'bench_sensor' } });
          ids.push(r.results[0]!.thredIds[0]!);
          bar.tick();
        }
      }),
    );
    // Accepted is not started: a thred counts once its first step is in the read model (the worker may lag).
    while ((await threds.store.threds.count({ pattern: 'bench_idle' })) < ids.length) {
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  const startsPerSec = round((ids.length * 1000) / (Date.now() - start));
  bar.stop();
  const pokes: number[] = [];
  await ctx.phase('idle pokes', async () => {
    for (let i = 0; i < POKES; i++) {
      const thredId = ids[Math.floor(Math.random() * ids.length)]!;
      const id = `poke-${randomUUID()}`;
      pokes.push(
        await ctx.ws.roundTrip(id, () => post({ id, type: 'bench.poke', source: { id: 'bench_sensor' }, thredId })),
      );
    }
  });
  const rss = threds.rssMB();
  return {
    idleThreds: ids.length,
    startsPerSec,
    workerRssMB: rss.worker,
    gatewayRssMB: rss.gateway,
    eventLatency: percentiles(pokes),
  };
}
