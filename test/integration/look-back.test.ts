// Look-back (SPEC §15) on the real engine, driven through HTTP: an answer that arrives before its question still
// moves the thred; one older than the window does not; one the thred already handled is not handled twice; and the
// recorded history replays with the current workflow code (the read is a recorded local activity).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { projectRoot } from '../../bin/stack';
import { workflowBundle } from '../../bin/bundle';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';
import { askPattern, busyPattern, twicePattern } from '../fixtures/look-back-patterns';
import { replaySinks } from '../../telemetry/worker';
import type { Static } from 'typebox';
import type { LogRecordSchema, StoredEventSchema } from '../../gateway/schemas';

let g: GatewayEngine;
let gw: Gateway;
const admin = () => g.bearer('ops', ['admin']);

beforeAll(async () => {
  g = await startGatewayEngine('look-back', {
    patterns: [
      askPattern('lb_ask', 30_000),
      askPattern('lb_short', 1500),
      twicePattern('lb_twice', 60_000),
      busyPattern('lb_busy', 60_000),
    ],
  });
  gw = await g.gateway({}, false);
});
afterAll(async () => g?.close());

interface RouteResult {
  eventId: string;
  thredIds: string[];
  started: string[];
}
interface ThredView {
  status: string;
  reaction: string | null;
  locals: Record<string, unknown>;
}
/** The answers of GET /threds/:id/events and /log, typed by their route schemas. */
type StoredEvent = Static<typeof StoredEventSchema>;
type LogRecord = Static<typeof LogRecordSchema>;

const uniq = () => randomBytes(4).toString('hex');

async function post(
  as: string,
  event: Record<string, unknown>,
): Promise<{ status: number; body: { results: RouteResult[] } }> {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    payload: { source: { id: as }, ...event },
    headers: g.bearer(as),
  });
  return { status: res.statusCode, body: res.json() };
}

async function ask(pattern: string, askee: string, ticket: string, id = `q-${uniq()}`): Promise<string> {
  const res = await post('asker', {
    id,
    type: 'org.test.question',
    data: { content: { values: { pattern, askee, ticket } } },
  });
  expect(res.status).toBe(202);
  const thredId = res.body.results[0]!.started[0]!;
  expect(thredId).toBe(`${pattern}_${id}`);
  return thredId;
}

const answer = (ticket: string, extra: Record<string, unknown> = {}) => ({
  id: `a-${uniq()}`,
  type: 'org.test.answer',
  data: { content: { values: { ticket } } },
  ...extra,
});

async function thred(id: string): Promise<ThredView | undefined> {
  const res = await gw.app.inject({ method: 'GET', url: `/threds/${id}`, headers: admin() });
  return res.statusCode === 200 ? (res.json() as ThredView) : undefined;
}

const reached = (id: string, reaction: string) =>
  waitFor(async () => {
    const t = await thred(id);
    return t?.reaction === reaction ? t : undefined;
  }, `thred ${id} in ${reaction}`);

describe('look-back', () => {
  it('an unbound answer posted before the question is published still moves the thred; the history replays', async () => {
    const askee = `bob-${uniq()}`;
    const ticket = uniq();
    const early = answer(ticket);
    const sent = await post(askee, early);
    expect(sent.status).toBe(202);
    expect(sent.body.results[0]!.thredIds).toEqual([]); // nothing took it when it arrived

    const thredId = await ask('lb_ask', askee, ticket);
    const done = await reached(thredId, 'done');
    expect(done.locals.answers).toEqual([`await:${early.id}`]);
    // The offered event is the thred's from now on.
    const events = (await gw.app.inject({ method: 'GET', url: `/threds/${thredId}/events`, headers: admin() })).json()
      .events as StoredEvent[];
    expect(events.map((e) => e.event.id)).toContain(early.id);

    // The read model is written inside the local activity; its marker reaches history when the workflow task
    // completes, a moment later on a loaded machine.
    const markersOf = (h: Awaited<ReturnType<typeof fetchHistory>>) =>
      h.events!.filter((e) => e.markerRecordedEventAttributes);
    const fetchHistory = () => g.e.s.client.workflow.getHandle(thredId).fetchHistory();
    const history = await waitFor(async () => {
      const h = await fetchHistory();
      return markersOf(h).length >= 3 ? h : undefined; // record, look-back, record
    }, 'the record, look-back and record markers in history');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), sinks: replaySinks }, history, thredId);
    // THREDS_RECORD_HISTORIES=1 keeps it among the histories every later version must replay (test/replay).
    if (process.env.THREDS_RECORD_HISTORIES === '1') {
      writeFileSync(join(projectRoot, 'test', 'fixtures', 'histories', 'look_back.json'), historyToJSON(history));
    }
  });

  it('an unhandled answer behind more handled events than one read holds (100) is still offered', async () => {
    const askee = `erin-${uniq()}`;
    const ticket = uniq();
    const thredId = await ask('lb_busy', askee, ticket);
    await reached(thredId, 'busy');
    const ticks = Array.from({ length: 105 }, () => ({ id: `t-${uniq()}`, type: 'org.test.tick', thredId }));
    for (let i = 0; i < ticks.length; i += 50) {
      const res = await gw.app.inject({
        method: 'POST',
        url: '/events',
        payload: { events: ticks.slice(i, i + 50).map((t) => ({ source: { id: askee }, ...t })) },
        headers: g.bearer(askee),
      });
      expect(res.statusCode).toBe(202);
    }
    // All ticks handled before the answer arrives, so it is stored behind them in the window.
    await waitFor(async () => {
      const log = (await gw.app.inject({ method: 'GET', url: `/threds/${thredId}/log`, headers: admin() })).json()
        .log as LogRecord[];
      return log.filter((r) => r.kind === 'matched' && r.from === 'busy').length >= ticks.length;
    }, 'the ticks handled');
    const late = answer(ticket, { thredId }); // `busy` does not take it: not handled
    expect((await post(askee, late)).status).toBe(202);
    expect((await post(askee, { id: `go-${uniq()}`, type: 'org.test.go', thredId })).status).toBe(202);
    expect((await reached(thredId, 'done')).locals.answers).toEqual([`await:${late.id}`]);
  });

  it('a bound answer posted before its thred exists is offered once the thred asks', async () => {
    const askee = `carol-${uniq()}`;
    const ticket = uniq();
    const questionId = `q-${uniq()}`;
    const early = answer(ticket, { thredId: `lb_ask_${questionId}` });
    expect((await post(askee, early)).status).toBe(404); // stored, but no thred yet
    const thredId = await ask('lb_ask', askee, ticket, questionId);
    expect((await reached(thredId, 'done')).locals.answers).toEqual([`await:${early.id}`]);
  });

  it('an answer older than the window is not offered', async () => {
    const askee = `dave-${uniq()}`;
    const ticket = uniq();
    const old = answer(ticket);
    expect((await post(askee, old)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1700)); // the window is 1500 ms
    const thredId = await ask('lb_short', askee, ticket);
    await reached(thredId, 'await');
    // Offered events come before new ones: had the old answer been offered, it would be the one taken.
    const fresh = answer(ticket, { thredId });
    expect((await post(askee, fresh)).status).toBe(202);
    expect((await reached(thredId, 'done')).locals.answers).toEqual([`await:${fresh.id}`]);
  });

  it('an answer the thred already handled is not handled twice', async () => {
    const askee = `erin-${uniq()}`;
    const ticket = uniq();
    const thredId = await ask('lb_twice', askee, ticket);
    await reached(thredId, 'warm');
    const first = answer(ticket, { thredId });
    expect((await post(askee, first)).status).toBe(202);
    // `await` looks back 60 s on entry: the first answer is in its window, but `warm` handled it.
    const second = answer(ticket, { thredId });
    await reached(thredId, 'await');
    expect((await post(askee, second)).status).toBe(202);
    const done = await reached(thredId, 'done');
    expect(done.locals.answers).toEqual([`warm:${first.id}`, `await:${second.id}`]);
    const log = (await gw.app.inject({ method: 'GET', url: `/threds/${thredId}/log`, headers: admin() })).json()
      .log as LogRecord[];
    expect(log.filter((r) => r.eventId === first.id).map((r) => r.kind)).toEqual(['matched']);
  });
});
