// Outages of the servers behind the gateway, on servers of this file's own (so pausing or killing them touches no
// other file): a frozen store (FerretDB paused with SIGSTOP) and a Temporal restart on its data file. During the
// outage POST /events answers 503 in the error shape within its deadline and /ready says what is down; afterwards
// the gateway recovers by itself, and the event that got 503, re-sent by id, is stored once and applied once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import {
  freePort,
  freeTemporalPort,
  startMongo,
  startTemporal,
  stopAll,
  waitForMongo,
  waitForTemporal,
  type ServerProcess,
} from '../../bin/stack';
import { createStore, STORE_CLIENT_OPTIONS, type Store } from '../../store';
import { createRouter } from '../../gateway/routing';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { eventId, waitFor } from '../helpers/engine';
import { lastCounterPattern } from '../fixtures/patterns/counters';

const counter = lastCounterPattern('Ro Counter', 'ro.count');

const ROUTE_TIMEOUT_MS = 3000;
/** Scheduling slack on a loaded 2-core machine; the 503 must come by the deadline, not merely eventually. */
const MARGIN_MS = 2000;

let dir: string;
let temporal: ServerProcess;
let mongo: ServerProcess;
let temporalPort: number;
let address: string;
let g: GatewayEngine;
let gw: Gateway;
let gwMongo: MongoClient;
let gwStore: Store;
let sensor: { authorization: string };
const saved = { temporal: process.env.TEMPORAL_ADDRESS, mongo: process.env.MONGO_URL };

function launchTemporal(): ServerProcess {
  return startTemporal({ port: temporalPort, dataDir: dir, dbFile: join(dir, 'temporal.db') });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'threds-outages-'));
  temporalPort = await freeTemporalPort();
  const mongoPort = await freePort();
  address = `127.0.0.1:${temporalPort}`;
  const mongoUrl = `mongodb://127.0.0.1:${mongoPort}`;
  temporal = launchTemporal();
  mongo = startMongo({ port: mongoPort, dataDir: dir });
  await Promise.all([waitForTemporal(address, temporal), waitForMongo(mongoUrl, mongo)]);
  process.env.TEMPORAL_ADDRESS = address;
  process.env.MONGO_URL = mongoUrl;
  g = await startGatewayEngine('outages', { patterns: [counter] });
  // The gateway's store as production opens it (store/index.ts openStore), on the engine's database.
  gwMongo = await MongoClient.connect(mongoUrl, STORE_CLIENT_OPTIONS);
  gwStore = createStore(gwMongo.db(g.e.s.dbName));
  const router = createRouter({
    client: g.e.s.client,
    store: gwStore,
    settings: g.e.settings,
    taskQueue: g.e.s.taskQueue,
  });
  gw = await g.gateway({ store: gwStore, router, limits: { routeTimeoutMs: ROUTE_TIMEOUT_MS } }, false);
  sensor = g.bearer('ro_sensor');
}, 180_000);

afterAll(async () => {
  if (mongo?.child.pid) process.kill(mongo.child.pid, 'SIGCONT');
  await g?.close();
  await gwMongo?.close();
  await stopAll([temporal, mongo].filter(Boolean));
  process.env.TEMPORAL_ADDRESS = saved.temporal;
  process.env.MONGO_URL = saved.mongo;
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

const count = (i: number, extra: Record<string, unknown> = {}) => ({
  id: eventId('ro'),
  type: 'ro.count',
  source: { id: 'x' },
  data: { content: { values: { i } } },
  ...extra,
});

const post = (payload: unknown) =>
  gw.app.inject({ method: 'POST', url: '/events', payload: payload as object, headers: sensor });

async function startCounter(): Promise<string> {
  const res = await post(count(0));
  expect(res.statusCode, res.body).toBe(202);
  return res.json().results[0].started[0];
}

/** Waits until the thred has applied the event carrying `i` (its `last`); returns its locals. */
async function appliedUpTo(thredId: string, i: number, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const r = await g.e.store.threds.get(thredId);
      return r?.locals.last === i ? r.locals : undefined;
    },
    `thred ${thredId} to apply event ${i}`,
    timeoutMs,
  );
}

const unavailable = {
  statusCode: 503,
  code: 'THREDS_ERR_UNAVAILABLE',
  error: 'Service Unavailable',
  message: 'Temporal or the store is unavailable; retry with the same event id',
  details: [],
};

/** POST that must be answered by the deadline; `bound` ms after which the test gives up waiting. */
async function postTimed(payload: unknown): Promise<{ status: number; body: unknown; ms: number }> {
  const t0 = Date.now();
  const res = await post(payload);
  return { status: res.statusCode, body: res.json(), ms: Date.now() - t0 };
}

describe('frozen store', () => {
  it('answers 503 by the deadline while the store is paused, /ready says so, and the re-sent event applies once', async () => {
    const thredId = await startCounter();
    await appliedUpTo(thredId, 0);
    const pid = mongo.child.pid!;
    process.kill(pid, 'SIGSTOP');
    // Resumed by this timer whatever happens, so a gateway that hangs fails the test instead of stalling it.
    const resume = setTimeout(() => process.kill(pid, 'SIGCONT'), ROUTE_TIMEOUT_MS + 8000);
    const frozen = count(1, { thredId });
    try {
      const during = await postTimed(frozen);
      expect(during.body).toEqual(unavailable);
      expect(during.ms).toBeLessThan(ROUTE_TIMEOUT_MS + MARGIN_MS);
      const unbound = await postTimed(count(0));
      expect(unbound.body).toEqual(unavailable);
      expect(unbound.ms).toBeLessThan(ROUTE_TIMEOUT_MS + MARGIN_MS);
      const ready = await gw.app.inject({ method: 'GET', url: '/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ code: 'THREDS_ERR_NOT_READY', details: [{ path: '/store' }] });
    } finally {
      clearTimeout(resume);
      process.kill(pid, 'SIGCONT');
    }
    const again = await post(frozen);
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json().results[0].thredIds).toEqual([thredId]);
    expect((await gw.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    const marker = count(2, { thredId });
    expect((await post(marker)).statusCode).toBe(202);
    expect((await appliedUpTo(thredId, 2)).n).toBe(3); // start, the frozen event once, marker
    expect(await g.e.store.events.get(frozen.id)).toMatchObject({ direction: 'in', thredId });
  });
});

describe('Temporal restart', () => {
  it('answers 503 by the deadline while Temporal is down, and takes events again within seconds of its return', async () => {
    const thredId = await startCounter();
    await appliedUpTo(thredId, 0);
    temporal.child.kill('SIGKILL');
    await new Promise((r) => temporal.child.once('exit', r));
    const downAt = Date.now();

    // Several at once: the later ones queue behind the first in the signal batcher, each under its own deadline.
    const lost = [1, 2, 3].map((i) => count(i, { thredId }));
    const during = await Promise.all(lost.map((ev) => postTimed(ev)));
    for (const d of during) {
      expect(d.body).toEqual(unavailable);
      expect(d.ms).toBeLessThan(ROUTE_TIMEOUT_MS + MARGIN_MS);
    }
    const ready = await gw.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.json()).toMatchObject({
      statusCode: 503,
      code: 'THREDS_ERR_NOT_READY',
      details: [{ path: '/temporal' }],
    });

    // An outage long enough for gRPC's default reconnect back-off to have grown to several seconds.
    await new Promise((r) => setTimeout(r, Math.max(0, 15_000 - (Date.now() - downAt))));
    temporal = launchTemporal();
    await waitForTemporal(address, temporal, 60_000); // healthy, seen by a fresh connection
    const healthyAt = Date.now();
    let firstAccepted: number | undefined;
    while (firstAccepted === undefined && Date.now() - healthyAt < 30_000) {
      const res = await post(lost[0]);
      if (res.statusCode === 202) firstAccepted = Date.now();
      else expect(res.json()).toEqual(unavailable);
    }
    expect(firstAccepted).toBeDefined();
    expect(firstAccepted! - healthyAt).toBeLessThan(5000);

    for (const ev of lost.slice(1)) expect((await post(ev)).statusCode).toBe(202);
    expect((await post(lost[0])).statusCode).toBe(202);
    expect((await post(count(4, { thredId }))).statusCode).toBe(202);
    expect((await appliedUpTo(thredId, 4, 60_000)).n).toBe(5); // start, the three 503'd events once each, marker
  }, 120_000);
});
