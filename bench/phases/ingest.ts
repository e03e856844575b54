/** Ingest alone: events no pattern takes, counted once POST /events accepts them (no waiting for delivery). */
import { randomUUID } from 'node:crypto';
import { closedLoop, round } from '../stats';
import type { ThredsContext } from './context';

export interface IngestResult {
  perSec: number;
}

export async function runIngest(ctx: ThredsContext): Promise<IngestResult> {
  const ingest = await ctx.phase('ingest', () =>
    closedLoop(Math.min(ctx.opts.durationMs, 10_000), ctx.opts.concurrency, async () => {
      await ctx.post({ id: `i-${randomUUID()}`, type: 'bench.ingest.nomatch', source: { id: 'bench_sensor' } });
    }),
  );
  return { perSec: round((ingest.completed * 1000) / ingest.elapsedMs) };
}
