// The gateway's backlog estimate and admission (gateway/backpressure.ts) with a hand-driven clock and read model:
// quiet threds cost no read, the thred's report plus what was signalled since it counts, a stalled thred (no new
// report) is refused as its signals pile up, the drain rate lowers the bound, and principals are bounded in flight.
import { describe, expect, it } from 'vitest';
import { createBackpressure, retryAfterOf, type BacklogReader } from '../../gateway/backpressure';
import { createMetrics } from '../../gateway/metrics';

function setup(limits: Partial<Parameters<typeof createBackpressure>[0]['limits']> = {}) {
  let now = 1_000_000;
  let report: Awaited<ReturnType<BacklogReader>> = null;
  let reads = 0;
  const bp = createBackpressure({
    limits: { thredBacklog: 100, thredBacklogSeconds: 1000, principalInFlight: 1000, backlogCacheMs: 500, ...limits },
    read: async () => {
      reads++;
      return report;
    },
    metrics: createMetrics(),
    now: () => now,
  });
  return {
    bp,
    tick: (ms: number) => (now += ms),
    report: (queued: number, version: number, atOffset = 0) =>
      (report = { patternId: 'p', version, backlog: { queued, at: now + atOffset } }),
    reads: () => reads,
  };
}

/** Admits and signals `n` events to `thredId`, one after another. */
async function signal(bp: ReturnType<typeof createBackpressure>, thredId: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) (await bp.admit(thredId, 'p1')).done(true);
}

describe('backpressure', () => {
  it('does not wait for a store that does not answer: a busy thred is admitted without a fresh report', async () => {
    let reads = 0;
    const bp = createBackpressure({
      limits: { thredBacklog: 100, thredBacklogSeconds: 1000, principalInFlight: 1000, backlogCacheMs: 500 },
      read: () => {
        reads++;
        return new Promise(() => undefined); // a paused store: never answers
      },
      metrics: createMetrics(),
      reportWaitMs: 20,
    });
    await signal(bp, 'paused', 30); // busy after 20 recent signals: each admission tries the report, then goes on
    expect(reads).toBe(1); // one read in flight, shared
    expect(bp.backlog('paused')).toBe(30);
  });

  it('reads nothing for a quiet thred', async () => {
    const t = setup();
    for (let i = 0; i < 10; i++) {
      await signal(t.bp, 'quiet', 1);
      t.tick(1000);
    }
    expect(t.reads()).toBe(0);
  });

  it("adds what was signalled since the thred's report, and refuses at the bound with Retry-After", async () => {
    const t = setup();
    t.report(50, 10, -1); // the thred had 50 queued just before these signals
    await signal(t.bp, 'busy', 50); // busy from 20 recent signals on: read; 50 queued + 50 signalled since
    await expect(t.bp.admit('busy', 'p1')).rejects.toMatchObject({ statusCode: 503, code: 'THREDS_ERR_UNAVAILABLE' });
    const err = await t.bp.admit('busy', 'p1').catch((e: unknown) => e);
    expect(retryAfterOf(err)).toBeGreaterThanOrEqual(1);
    expect(t.bp.backlog('busy')).toBeGreaterThanOrEqual(100);
  });

  it('refuses a stalled thred whose report is old as its signals pile up, and opens once it reports progress', async () => {
    const t = setup();
    t.report(0, 1, -1);
    await signal(t.bp, 'stalled', 100);
    t.tick(600); // the cache expires; the read model still has the old report
    await expect(t.bp.admit('stalled', 'p1')).rejects.toMatchObject({ statusCode: 503 });
    t.report(0, 120); // caught up: nothing queued as of now
    t.tick(600);
    await expect(t.bp.admit('stalled', 'p1')).resolves.toBeDefined();
  });

  it('lowers the bound to the drain time at the measured rate', async () => {
    const t = setup({ thredBacklog: 10_000, thredBacklogSeconds: 2 });
    t.report(200, 100, -1);
    await signal(t.bp, 'slow', 21); // the 21st is the first read: 200 queued
    t.tick(1000);
    t.report(100, 150, -1); // 50 items in 1 s while work waited: 50/s → bound max(50, 100) = 100
    await expect(t.bp.admit('slow', 'p1')).rejects.toMatchObject({ statusCode: 503 });
  });

  it('bounds the events a principal has in flight (429), and releases them when done', async () => {
    const t = setup({ principalInFlight: 2 });
    const a = await t.bp.admit(undefined, 'many');
    const b = await t.bp.admit('x', 'many');
    const refused = await t.bp.admit(undefined, 'many').catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 429, code: 'THREDS_ERR_RATE_LIMITED' });
    expect(retryAfterOf(refused)).toBe(1);
    await expect(t.bp.admit(undefined, 'other')).resolves.toBeDefined();
    a.done(true);
    b.done(false);
    await expect(t.bp.admit(undefined, 'many')).resolves.toBeDefined();
  });
});
