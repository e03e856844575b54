// Routing under duplicates and partial failures, through the gateway on the real engine: exact idempotency past the
// thred's recent-ids window (SPEC §2), concurrent copies of one id, expression errors in start tests (SPEC §4, §9),
// and offers of unbound events that fail (gone, closing, Temporal unreachable).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError, type Client } from '@temporalio/client';
import { createRouter, type Router } from '../../gateway/routing';
import { startGatewayEngine, WsClient, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { eventId, waitFor } from '../helpers/engine';
import { thredRecord } from '../helpers/read-model-checks';
import { lastCounterPattern } from '../fixtures/patterns/counters';

const counter = lastCounterPattern('Rf Counter', 'rf.count');

/** Opens on rf.open, then takes unbound rf.hear events (allowUnboundEvents) and counts them. */
const listener = {
  name: 'Rf Listener',
  reactions: [
    { name: 'open', condition: { type: 'filter', xpr: "$event.type = 'rf.open'" } },
    {
      name: 'listen',
      allowUnboundEvents: true,
      condition: {
        type: 'filter',
        xpr: "$event.type = 'rf.hear'",
        onTrue: {
          xpr: "($setLocal('heard', ($local('heard') ? $local('heard') : 0) + 1); $setLocal('last', $valueNamed('i')))",
        },
        transition: { name: '$noTransition' },
      },
    },
  ],
};

/** Its start test fails on rf.fragile events whose title is not a number ($number throws). */
const fragile = {
  name: 'Rf Fragile',
  reactions: [
    {
      name: 'probe',
      condition: { type: 'filter', xpr: "$event.type = 'rf.fragile' ? $number($event.data.title) > 0 : false" },
    },
  ],
};

const SEEN_LIMIT = 5;
const logs: { fields: Record<string, unknown>; msg: string }[] = [];
let g: GatewayEngine;
let gw: Gateway;
let router: Router;
let sensor: { authorization: string };

beforeAll(async () => {
  g = await startGatewayEngine('routingfaults', {
    patterns: [counter, listener, fragile],
    settings: { seenLimit: SEEN_LIMIT },
  });
  router = routerWith(g.e.s.client);
  gw = await g.gateway({ router });
  sensor = g.bearer('rf_sensor');
});
afterAll(async () => g?.close());

function routerWith(client: Client): Router {
  const { e } = g;
  return createRouter({
    client,
    store: e.store,
    settings: e.settings,
    taskQueue: e.s.taskQueue,
    patternCacheMs: 0,
    logger: { warn: (fields, msg) => logs.push({ fields, msg }) },
  });
}

const post = (payload: unknown, headers: Record<string, string> = sensor, via: Gateway = gw) =>
  via.app.inject({ method: 'POST', url: '/events', payload: payload as object, headers });

async function accepted(payload: unknown, via?: Gateway) {
  const res = await post(payload, sensor, via);
  expect(res.statusCode, res.body).toBe(202);
  return res.json().results[0] as { eventId: string; thredIds: string[]; started: string[]; refused: unknown[] };
}

const count = (i: number, extra: Record<string, unknown> = {}) => ({
  id: eventId('rf'),
  type: 'rf.count',
  source: { id: 'x' },
  data: { content: { values: { i } } },
  ...extra,
});

/** Waits until the thred's read model has applied the event carrying `i` as `last`; returns its locals. */
async function appliedUpTo(thredId: string, i: number): Promise<Record<string, unknown>> {
  return waitFor(async () => {
    const r = await g.e.store.threds.get(thredId);
    return r?.locals.last === i ? r.locals : undefined;
  }, `thred ${thredId} to apply event ${i}`);
}

async function metricsText(via: Gateway = gw): Promise<string> {
  const res = await via.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
}

describe('exact idempotency', () => {
  it(`applies a re-sent event once, long after the thred's ${SEEN_LIMIT} recent ids forgot it (202 both times)`, async () => {
    const start = count(0);
    const thredId = (await accepted(start)).started[0]!;
    const bound = Array.from({ length: SEEN_LIMIT + 3 }, (_, k) => count(k + 1, { thredId }));
    for (const b of bound) await accepted(b);
    await appliedUpTo(thredId, bound.length);

    // The first bound event and the starting event, re-sent after SEEN_LIMIT + 2 newer ids.
    expect(await accepted(bound[0])).toEqual({ eventId: bound[0]!.id, thredIds: [thredId], started: [], refused: [] });
    expect(await accepted(start)).toEqual({ eventId: start.id, thredIds: [thredId], started: [], refused: [] });
    const marker = count(99, { thredId });
    await accepted(marker);
    const locals = await appliedUpTo(thredId, 99);
    expect(locals.n).toBe(1 + bound.length + 1); // start + bound + marker, nothing twice
    const log = await g.e.store.thredLog.forThred(thredId);
    expect(log.filter((l) => l.eventId === bound[0]!.id)).toHaveLength(1);
    expect(log.filter((l) => l.eventId === start.id)).toHaveLength(1);
  });

  it('applies 20 concurrent copies of one bound id and of one unbound id exactly once', async () => {
    const start = count(0);
    const copies = await Promise.all(Array.from({ length: 20 }, () => accepted(start)));
    const thredId = `rf_counter_${start.id}`;
    expect(copies.flatMap((r) => r.started)).toEqual([thredId]);
    for (const r of copies) expect(r.thredIds).toEqual([thredId]);
    const once = count(1, { thredId });
    const bound = await Promise.all(Array.from({ length: 20 }, () => accepted(once)));
    for (const r of bound) expect(r.thredIds).toEqual([thredId]);
    await accepted(count(2, { thredId }));
    expect((await appliedUpTo(thredId, 2)).n).toBe(3);
  });
});

describe('expression errors in start tests', () => {
  it('reports the failing pattern to the sender: 202 refused entry, error event, log line and metric', async () => {
    const alice = g.bearer('rf_alice');
    const id = eventId('fragile');
    const res = await post({ id, type: 'rf.fragile', source: { id: 'x' }, data: { title: 'not a number' } }, alice);
    expect(res.statusCode).toBe(202);
    const [result] = res.json().results;
    expect(result).toMatchObject({ eventId: id, thredIds: [], started: [] });
    expect(result.refused).toEqual([
      {
        patternId: 'rf_fragile',
        code: 5000,
        reason: expect.stringMatching(
          /^pattern rf_fragile: reaction 'probe', expression ".*\$number\(\$event\.data\.title\).*": /,
        ),
      },
    ]);

    // SPEC §9 error event to the sender: no thred, re = the event, source SYSTEM; stored, replayed on hello.
    const { ws } = await WsClient.connect(gw.url, g.token('rf_alice'), 0);
    const frame = await ws.next((f) => f.type === 'message', 'the error event');
    ws.close();
    const { event } = (frame as unknown as { message: { event: Record<string, unknown> } }).message;
    expect(event).toMatchObject({
      type: 'org.wt.tell',
      re: id,
      source: { id: 'SYSTEM' },
      data: { content: { error: { code: 5000, message: result.refused[0].reason } } },
    });
    expect(event.thredId).toBeUndefined();
    expect((await g.e.store.events.get(event.id as string))?.to).toEqual(['rf_alice']);

    expect(logs).toContainEqual({
      msg: 'pattern start test failed',
      fields: expect.objectContaining({ patternId: 'rf_fragile', eventId: id, code: 5000 }),
    });
    expect(await metricsText()).toContain('threds_pattern_match_errors_total{pattern="rf_fragile"} 1');

    // A re-send reports the same, and stores no second error event.
    const again = await post({ id, type: 'rf.fragile', source: { id: 'x' }, data: { title: 'not a number' } }, alice);
    expect(again.json().results[0].refused).toEqual(result.refused);
    expect((await g.e.store.outbox.since('rf_alice', 0)).filter((m) => m.message.event.re === id)).toHaveLength(1);
  });
});

describe('offers of unbound events to running threds', () => {
  let listenerId: string;
  let heard = 0;
  const hear = (i: number) => ({
    id: eventId('hear'),
    type: 'rf.hear',
    source: { id: 'x' },
    data: { content: { values: { i } } },
  });

  beforeAll(async () => {
    listenerId = (await accepted({ id: eventId('open'), type: 'rf.open', source: { id: 'x' } })).started[0]!;
    await waitFor(
      async () => (await g.e.store.threds.acceptingUnbound()).includes(listenerId),
      'the listener in the index',
    );
  });

  it('skips a thred that is gone, logging and counting it, and still delivers to the others', async () => {
    // A thred the read model lists as taking unbound events while Temporal has no such workflow.
    const ghost = thredRecord('rf_ghost_thred', { patternId: 'rf_ghost', acceptsUnbound: true });
    await g.e.store.threds.save(ghost);
    try {
      const ev = hear(1);
      expect((await accepted(ev)).thredIds).toEqual([listenerId]);
      heard++;
      expect(logs).toContainEqual({
        msg: 'offer of an unbound event failed',
        fields: expect.objectContaining({ thredId: 'rf_ghost_thred', eventId: ev.id, reason: 'gone' }),
      });
      expect(await metricsText()).toMatch(/threds_offer_failures_total\{reason="gone"\} [1-9]/);
    } finally {
      await g.e.store.threds.save({ ...ghost, status: 'terminated', acceptsUnbound: false, endTime: 1, version: 2 });
    }
    expect((await appliedUpTo(listenerId, 1)).heard).toBe(heard);
  });

  it('asks a thred closing for continue-as-new once more, and it takes the event', async () => {
    const closing = new ServiceError('Workflow Update failed', {
      cause: Object.assign(new Error('8 RESOURCE_EXHAUSTED: workflow is closing'), {
        code: 8,
        details: 'workflow operation can not be applied because workflow is closing',
      }),
    });
    const flaky = await g.gateway({ router: routerWith(failingOffers(g.e.s.client, [closing])) }, false);
    expect((await accepted(hear(2), flaky)).thredIds).toEqual([listenerId]);
    heard++;
    expect((await appliedUpTo(listenerId, 2)).heard).toBe(heard);
  });

  it('answers 503 when Temporal is unreachable for the offer; the retry by id delivers it once', async () => {
    const down = new ServiceError('Workflow Update failed', {
      cause: Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
        code: 14,
        details: 'No connection established',
      }),
    });
    const flaky = await g.gateway({ router: routerWith(failingOffers(g.e.s.client, [down])) }, false);
    const ev = hear(3);
    const res = await post(ev, sensor, flaky);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'THREDS_ERR_UNAVAILABLE', details: [] });
    expect((await accepted(ev)).thredIds).toEqual([listenerId]);
    expect((await accepted(ev)).thredIds).toEqual([listenerId]); // and a further re-send is answered the same
    heard++;
    await accepted(hear(4));
    heard++;
    expect((await appliedUpTo(listenerId, 4)).heard).toBe(heard);
    expect(await metricsText(flaky)).toMatch(/threds_offer_failures_total\{reason="unavailable"\} 1/);
  });
});

/** A client whose offers (workflow updates) first fail with the given errors, then go through. */
function failingOffers(real: Client, failures: Error[]): Client {
  const bind = <T extends object>(target: T, key: string | symbol) => {
    const v = Reflect.get(target, key) as unknown;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
  };
  const workflow = new Proxy(real.workflow, {
    get(target, key) {
      if (key !== 'getHandle') return bind(target, key);
      return (id: string) =>
        new Proxy(target.getHandle(id), {
          get(handle, hk) {
            if (hk !== 'executeUpdate') return bind(handle, hk);
            return async (...args: Parameters<typeof handle.executeUpdate>) => {
              const failure = failures.shift();
              if (failure) throw failure;
              return handle.executeUpdate(...args);
            };
          },
        });
    },
  });
  return new Proxy(real, { get: (target, key) => (key === 'workflow' ? workflow : bind(target, key)) });
}
