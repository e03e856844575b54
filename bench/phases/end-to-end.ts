/**
 * Threds end to end: each ping starts a `bench_echo` thred that publishes a message; latency is POST /events sent →
 * message received on the WebSocket client. The fixed rate is the baseline's, so the two latencies compare.
 */
import { randomUUID } from 'node:crypto';
import type { ThredsContext } from './context';
import { measureLoad, type LoadResult } from './load';

/** Names the phase in the progress and the profile, where the per-core figures find it. */
export const END_TO_END = 'threds';

export async function runEndToEnd(ctx: ThredsContext, rate: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const one = async () => {
    const id = `p-${randomUUID()}`;
    latencies.push(
      await ctx.ws.roundTrip(id, () => ctx.post({ id, type: 'bench.ping', source: { id: 'bench_sensor' } })),
    );
  };
  return measureLoad(ctx, END_TO_END, one, latencies, () => rate);
}
