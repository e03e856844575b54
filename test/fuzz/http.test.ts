// Property-based fuzzing of the HTTP door (fast-check) against one gateway on the real engine (Temporal dev server +
// FerretDB): hostile bodies, ids and headers on every body-taking route. Over 10,000 cases per run: no response
// ≥ 500, every error in the one shape, the process alive and its heap flat. Most cases fail validation, so the
// servers see only the few that get through (stored events, signals to running or missing threds).
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import {
  checkResponse,
  eventArb,
  hostileString,
  hostileValue,
  patternArb,
  pathId,
  segment,
  toBody,
  validId,
} from './hostile';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapAfterGc = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const hold = {
  name: 'Fuzz Hold',
  reactions: [
    {
      name: 'holding',
      condition: { type: 'filter', xpr: "$event.type = 'fuzz.hold'", transition: { name: '$noTransition' } },
    },
  ],
};

let g: GatewayEngine;
let gw: Gateway;
let admin: Record<string, string>;
let sensor: Record<string, string>;
const threds: string[] = [];
let cases = 0;
const statuses = new Map<number, number>();
let heapBefore = 0;

beforeAll(async () => {
  g = await startGatewayEngine('fuzz-http', { patterns: [hold] });
  // Limits as in production except the rate limit: 10,000 requests in a few minutes are the point here.
  gw = await g.gateway({ limits: { ratePerMinute: 10_000_000 } }, false);
  admin = { ...g.bearer('ops', ['admin']), 'content-type': 'application/json' };
  sensor = { ...g.bearer('sensor0'), 'content-type': 'application/json' };
  await g.addParticipant('fuzz-user', 'fuzz-password');
  for (let i = 0; i < 3; i++) {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/events',
      headers: sensor,
      body: JSON.stringify({ type: 'fuzz.hold', source: { id: 'x' } }),
    });
    expect(res.statusCode, res.body).toBe(202);
    threds.push(res.json().results[0].started[0] as string);
  }
  heapBefore = heapAfterGc();
});
afterAll(async () => g?.close());

async function send(
  method: 'POST' | 'PUT' | 'GET' | 'DELETE',
  url: string,
  body: unknown,
  headers: Record<string, string>,
) {
  cases++;
  const payload = body === undefined ? undefined : toBody(body);
  const res = await gw.app.inject({ method, url, headers, ...(payload !== undefined && { body: payload }) });
  statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
  checkResponse(res, () => `${method} ${url.slice(0, 300)} ${payload?.slice(0, 1500) ?? ''}`);
  return res;
}

const seg = segment;
const run = <Ts extends [unknown, ...unknown[]]>(prop: fc.IAsyncPropertyWithHooks<Ts>, numRuns: number) =>
  fc.assert(prop, { numRuns, endOnFailure: true });

describe('fuzz: HTTP door', () => {
  it('POST /events: single events', async () => {
    await run(
      fc.asyncProperty(eventArb(threds), async (ev) => void (await send('POST', '/events', ev, sensor))),
      3_500,
    );
  });

  it('POST /events: batches and hostile envelopes', async () => {
    const batch = fc.oneof(
      fc.record({ events: fc.array(fc.oneof(eventArb(threds), hostileValue), { maxLength: 6 }) }),
      fc.record({ events: hostileValue, type: hostileValue }, { requiredKeys: ['events'] }),
      hostileValue,
    );
    await run(
      fc.asyncProperty(batch, async (b) => void (await send('POST', '/events', b, sensor))),
      1_500,
    );
  });

  it('POST /events: hostile authorization and content types', async () => {
    const headers = fc.record({
      authorization: fc.oneof(
        hostileString.map((s) => `Bearer ${s}`),
        fc.constantFrom('Bearer', 'Basic x', '', sensor.authorization!.slice(0, -3)),
      ),
      'content-type': fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        'multipart/form-data; boundary=x',
        'application/vnd.api+json',
      ),
    });
    await run(
      fc.asyncProperty(headers, eventArb(threds), async (h, ev) => {
        const clean = Object.fromEntries(Object.entries(h).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)));
        await send('POST', '/events', ev, clean);
      }),
      600,
    );
  });

  it('POST /login and /refresh', async () => {
    const login = fc.oneof(
      fc.record(
        {
          participantId: fc.oneof(fc.constantFrom('fuzz-user', 'nobody'), hostileValue),
          password: fc.oneof(fc.constant('wrong'), hostileValue),
        },
        { requiredKeys: [] },
      ),
      hostileValue,
    );
    await run(
      fc.asyncProperty(
        login,
        async (b) => void (await send('POST', '/login', b, { 'content-type': 'application/json' })),
      ),
      300,
    );
    const refresh = fc.oneof(
      fc.record({ refreshToken: fc.oneof(hostileString, hostileValue) }, { requiredKeys: [] }),
      hostileValue,
    );
    await run(
      fc.asyncProperty(
        refresh,
        async (b) => void (await send('POST', '/refresh', b, { 'content-type': 'application/json' })),
      ),
      800,
    );
  });

  it('PUT /patterns/:id (stored ones are deleted again, so no fuzz pattern starts threds)', async () => {
    await run(
      fc.asyncProperty(
        fc.oneof(
          validId.map((id) => `fuzz-${id}`.slice(0, 128)),
          pathId,
        ),
        patternArb,
        async (id, pattern) => {
          const res = await send('PUT', `/patterns/${seg(id)}`, pattern, admin);
          if (res.statusCode === 200)
            await send('DELETE', `/patterns/${seg(id)}`, undefined, { authorization: admin.authorization! });
        },
      ),
      1_000,
    );
  });

  it('POST /patterns/validate and /patterns/simulate', async () => {
    await run(
      fc.asyncProperty(patternArb, async (p) => void (await send('POST', '/patterns/validate', p, admin))),
      1_000,
    );
    const body = fc.oneof(
      fc.record(
        {
          pattern: patternArb,
          patternId: fc.oneof(fc.constant('fuzz_hold'), pathId),
          events: fc.oneof(
            fc.array(fc.oneof(eventArb(threds), fc.record({ advanceMs: hostileValue })), { maxLength: 3 }),
            hostileValue,
          ),
        },
        { requiredKeys: ['events'] },
      ),
      hostileValue,
    );
    await run(
      fc.asyncProperty(body, async (b) => void (await send('POST', '/patterns/simulate', b, admin))),
      800,
    );
  });

  it('admin: terminate, transition, reset with random ids and bodies', async () => {
    const id = fc.oneof({ arbitrary: fc.constantFrom(...threds), weight: 1 }, { arbitrary: pathId, weight: 8 });
    const route = fc.constantFrom('terminate', 'transition', 'reset');
    const body = fc.oneof(
      fc.record({
        transition: fc.oneof(
          fc.record({ name: fc.oneof(fc.constantFrom('holding', '$terminate', 'nope'), hostileValue) }),
          hostileValue,
        ),
      }),
      fc.record(
        {
          to: fc.oneof(fc.constantFrom('last-workflow-task', 'first-workflow-task', 0, 3, -1, 1.5), hostileValue),
          reason: hostileValue,
          reapplyExclude: hostileValue,
        },
        { requiredKeys: [] },
      ),
      hostileValue,
    );
    await run(
      fc.asyncProperty(id, route, body, fc.boolean(), async (i, r, b, asAdmin) => {
        await send('POST', `/threds/${seg(i)}/${r}`, b, asAdmin ? admin : sensor);
      }),
      900,
    );
    // GETs of the same ids, for the param length and charset paths.
    await run(
      fc.asyncProperty(
        id,
        fc.constantFrom('', '/log', '/events'),
        async (i, r) => void (await send('GET', `/threds/${seg(i)}${r}`, undefined, admin)),
      ),
      300,
    );
  });

  it(`ran at least 10,000 cases; the process is alive and its heap flat`, async () => {
    console.log(
      `fuzz: ${cases} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
    );
    expect(cases).toBeGreaterThanOrEqual(10_000);
    expect((await gw.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const grown = heapAfterGc() - heapBefore;
    // Generous: a leak of the fuzzed bodies (hundreds of MB over 10,000 cases) fails this; noise does not.
    expect(grown, `heap grew ${Math.round(grown / 1e6)} MB`).toBeLessThan(150e6);
  });
});
