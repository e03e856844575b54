// Backpressure through POST /events on a real stack (gateway, router, thred worker, Temporal, FerretDB): a thred made
// slow (one item per workflow task) gets a burst far beyond its backlog bound. Some posts are refused with 503
// THREDS_ERR_UNAVAILABLE and a Retry-After, every 202-acknowledged event is applied exactly once (and no refused one
// at all), and once the thred has drained, posts are accepted again. A principal with too many events in flight
// gets 429 THREDS_ERR_RATE_LIMITED with a Retry-After. The refusals show on the gateway's /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/engine';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { tallyPattern } from '../fixtures/patterns/counters';

const tally = tallyPattern('bp_tally', 'Backpressure tally', 'test.bp');

const BOUND = 25;
const START = 100_000; // the first event's `i` (sorts last)
let g: GatewayEngine;
let gw: Gateway;
beforeAll(async () => {
  // One item per workflow task: every item costs a regular activity and a new task, so the thred is slow.
  g = await startGatewayEngine('backpressure', { patterns: [tally], settings: { taskItems: 1 } });
  gw = await g.gateway({
    limits: {
      ratePerMinute: 1_000_000,
      backpressure: { thredBacklog: BOUND, principalInFlight: 10_000, backlogCacheMs: 100 },
    },
  });
});
afterAll(async () => g?.close());

interface Posted {
  status: number;
  retryAfter: string | null;
  body: { results?: { thredIds: string[] }[]; code?: string; statusCode?: number; message?: string };
}

async function post(auth: { authorization: string }, event: unknown, url = gw.url): Promise<Posted> {
  const res = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ source: { id: 'set-by-gateway' }, ...(event as object) }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Posted['body'] };
}

describe('backpressure at POST /events', () => {
  it('refuses a burst beyond a slow thred backlog with 503 + Retry-After, applies every 202 exactly once, recovers', async () => {
    const auth = g.bearer('sensor_bp');
    const started = await post(auth, { type: 'test.bp', data: { content: { values: { i: START } } } });
    expect(started.status).toBe(202);
    const thredId = started.body.results![0]!.thredIds[0]!;

    const total = 300;
    const answers = await Promise.all(
      Array.from({ length: total }, (_, k) =>
        post(auth, { id: `bp-${k + 1}`, type: 'test.bp', thredId, data: { content: { values: { i: k + 1 } } } }),
      ),
    );
    const accepted = answers.flatMap((a, k) => (a.status === 202 ? [k + 1] : []));
    const refused = answers.filter((a) => a.status === 503);
    expect(accepted.length + refused.length).toBe(total); // nothing else (no 500, no timeout)
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.body).toMatchObject({ statusCode: 503, code: 'THREDS_ERR_UNAVAILABLE', error: 'Service Unavailable' });
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }

    // Drained: every acknowledged event applied once, no refused one. Then the door opens again.
    const drained = await waitFor(
      async () => {
        const s = await g.e.snapshot(thredId);
        return s.state.locals.n === 1 + accepted.length && s.queued === 0 ? s : undefined;
      },
      'the acknowledged events applied',
      120_000,
    );
    expect([...(drained.state.locals.seen as number[])].sort((a, b) => a - b)).toEqual([...accepted, START]);

    let k = total;
    const again = await waitFor(async () => {
      const a = await post(auth, {
        id: `bp-${++k}`,
        type: 'test.bp',
        thredId,
        data: { content: { values: { i: k } } },
      });
      return a.status === 202 ? k : undefined;
    }, 'a post accepted after the drain');
    await waitFor(async () => {
      const s = await g.e.snapshot(thredId);
      return (s.state.locals.seen as number[]).includes(again) ? s : undefined;
    }, 'the post after the drain applied');
    const final = await g.e.snapshot(thredId);
    expect([...(final.state.locals.seen as number[])].sort((a, b) => a - b)).toEqual(
      [...accepted, again, START].sort((a, b) => a - b),
    );

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/threds_backpressure_refusals_total\{reason="thred_backlog"\} [1-9]/);
  });

  it('answers 429 + Retry-After to a principal with too many events in flight', async () => {
    const strict = await g.gateway({
      limits: { ratePerMinute: 1_000_000, backpressure: { principalInFlight: 2, thredBacklog: 1_000_000 } },
    });
    const auth = g.bearer('sensor_many');
    // Unbound events no pattern takes: each is stored and answered, but several are in flight at once.
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, k) => post(auth, { id: `many-${k}`, type: 'test.nobody' }, strict.url)),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 202 || a.status === 429)).toBe(true);
    for (const r of limited) {
      expect(r.body).toMatchObject({ statusCode: 429, code: 'THREDS_ERR_RATE_LIMITED' });
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    const metrics = await (await fetch(`${strict.url}/metrics`)).text();
    expect(metrics).toMatch(/threds_backpressure_refusals_total\{reason="principal_in_flight"\} [1-9]/);
  });
});
