// watchThreds (SPEC §14) across two gateway instances on one store and Temporal namespace: an admin watching through
// gateway A gets a push for every thred that changes, whichever gateway the events came through; a watch started
// over POST /events on A serves the watcher's socket on B; pushes are per thred (two threds changing together are two
// pushes, not the last one); a subscription lapses after its TTL unless renewed; stop ends it. The WebSocket clients
// behave like original clients: hello, then event frames.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, WsClient, type Frame, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { eventId, waitFor } from '../helpers/engine';
import type { Message } from '../../patterns';

// w.start starts a thred in s1; each w.next moves it one reaction on.
const steps = {
  name: 'Watch Steps',
  reactions: [
    { name: 's1', condition: { type: 'filter', xpr: "$event.type = 'w.start'" } },
    ...['s2', 's3', 's4', 's5', 's6'].map((name) => ({
      name,
      condition: { type: 'filter', xpr: "$event.type = 'w.next'" },
    })),
    { name: 's7', condition: { type: 'filter', xpr: "$event.type = 'w.never'" } },
  ],
};

/** Short TTL and poll, so expiry is testable. */
const TTL_MS = 2500;
const limits = { watchTtlMs: TTL_MS, watchPollMs: 150 };

let g: GatewayEngine;
let a: Gateway;
let b: Gateway;

const watchRequest = (directive?: string) => ({
  id: eventId('watch'),
  type: 'org.wt.control.sysControl',
  thredId: 'SYSTEM',
  source: { id: 'ignored' },
  data: { title: 'Watch Threds', content: { values: { op: 'watchThreds', ...(directive && { directive }) } } },
});

type Pushed = { id: string; status: string; currentReaction: { reactionName?: string } };

/** The watch pushes (re = the watch request) carrying thred `thredId`. */
const pushOf = (re: string, thredId: string, reaction?: string) => (f: Frame) => {
  if (f.type !== 'message') return false;
  const e = (f.message as Message).event;
  const threds = (e.data?.content?.values as { threds?: Pushed[] } | undefined)?.threds;
  return (
    e.re === re &&
    e.thredId === 'SYSTEM' &&
    (threds?.some((t) => t.id === thredId && (reaction === undefined || t.currentReaction.reactionName === reaction)) ??
      false)
  );
};
const pushes = (ws: WsClient, re: string, thredId: string) => ws.frames.filter(pushOf(re, thredId));

async function watch(ws: WsClient, directive?: string): Promise<string> {
  const req = watchRequest(directive);
  ws.send({ type: 'event', event: req });
  const answer = await ws.next(
    (f) => f.type === 'message' && (f.message as Message).event.re === req.id,
    `watch ${directive ?? 'start'} answer`,
  );
  expect((answer.message as Message).event.data?.content?.values).toEqual({
    status: 'OK',
    op: 'watchThreds',
    directive: directive ?? 'start',
  });
  return req.id;
}

/** Posts through `via` as the sensor; answers the thred ids the event went to. */
async function post(via: Gateway, type: string, thredId?: string): Promise<string[]> {
  const res = await via.app.inject({
    method: 'POST',
    url: '/events',
    headers: g.bearer('watch-sensor'),
    payload: { id: eventId('w'), type, ...(thredId && { thredId }), source: { id: 'watch-sensor' } },
  });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json().results[0] as { thredIds: string[] }).thredIds;
}

async function startThred(via: Gateway): Promise<string> {
  const [thredId] = await post(via, 'w.start');
  return thredId!;
}

const inReaction = (thredId: string, reaction: string) =>
  waitFor(async () => (await g.e.store.threds.get(thredId))?.reaction === reaction, `${thredId} in ${reaction}`);

beforeAll(async () => {
  g = await startGatewayEngine('ctlwatch', { patterns: [steps] });
  a = await g.gateway({ limits });
  b = await g.gateway({ limits });
}, 120_000);
afterAll(async () => g?.close());

describe('watchThreds across gateways', () => {
  it('pushes changes caused through the other gateway, per thred', async () => {
    const admin = (await WsClient.connect(a.url, g.token('watch-admin', ['admin']))).ws;
    const re = await watch(admin);

    const t1 = await startThred(b);
    const first = await admin.next(pushOf(re, t1, 's2'), 'push of the started thred');
    const event = (first.message as Message).event;
    expect(first.message).toMatchObject({ to: ['watch-admin'] });
    expect(event).toMatchObject({ type: 'org.wt.tell', thredId: 'SYSTEM', source: { id: 'SYSTEM' }, re });
    const pushed = (event.data?.content?.values as { threds: Pushed[] }).threds;
    expect(pushed).toEqual([
      expect.objectContaining({
        id: t1,
        patternId: 'watch_steps',
        status: 'a',
        currentReaction: { reactionName: 's2' },
      }),
    ]);

    // Two threds changing in the same moment: a push for each (not one debounce for all).
    const [t2, t3] = await Promise.all([startThred(b), startThred(a)]);
    await admin.next(pushOf(re, t2!, 's2'), 'push of t2');
    await admin.next(pushOf(re, t3!, 's2'), 'push of t3');

    await post(b, 'w.next', t1);
    await admin.next(pushOf(re, t1, 's3'), 'push of t1 moving on');
    // Each state pushed once.
    expect(admin.frames.filter(pushOf(re, t1, 's2'))).toHaveLength(1);
    admin.close();
  });

  it('a watch started over POST /events on A serves the watcher connected to B; stop ends it', async () => {
    const onB = (await WsClient.connect(b.url, g.token('watch-admin2', ['admin']))).ws;
    const req = watchRequest();
    const res = await a.app.inject({
      method: 'POST',
      url: '/events',
      headers: g.bearer('watch-admin2', ['admin']),
      payload: req,
    });
    expect(res.statusCode, res.body).toBe(202);
    // The answer was pushed from A to the session on B.
    await onB.next(
      (f) =>
        f.type === 'message' &&
        (f.message as Message).event.re === req.id &&
        (f.message as Message).event.data?.content?.values !== undefined,
      'watch answer on B',
    );

    const t = await startThred(a);
    await onB.next(pushOf(req.id, t, 's2'), 'push on B');

    // Stop, then a change that a second, still-subscribed watcher on the same gateway sees: the stopped one gets nothing.
    const marker = (await WsClient.connect(b.url, g.token('watch-admin3', ['admin']))).ws;
    const markerRe = await watch(marker);
    await watch(onB, 'stop');
    await post(a, 'w.next', t);
    await marker.next(pushOf(markerRe, t, 's3'), 'push to the other watcher');
    expect(pushes(onB, req.id, t).filter(pushOf(req.id, t, 's3'))).toEqual([]);
    expect(await g.e.store.watches.live(Date.now())).not.toContainEqual(
      expect.objectContaining({ participantId: 'watch-admin2' }),
    );
    onB.close();
    marker.close();
  });

  it('a subscription lapses after its TTL unless renewed', async () => {
    const ws = (await WsClient.connect(a.url, g.token('watch-admin4', ['admin']))).ws;
    const re = await watch(ws);
    const t = await startThred(b);
    await ws.next(pushOf(re, t, 's2'), 'push while subscribed');

    // Renewed before the TTL ran out: still subscribed past the first TTL.
    await new Promise((r) => setTimeout(r, TTL_MS / 2));
    await watch(ws, 'renew');
    await new Promise((r) => setTimeout(r, TTL_MS / 2 + 300));
    await post(b, 'w.next', t);
    await ws.next(pushOf(re, t, 's3'), 'push after a renew, past the first TTL');

    // Not renewed: once the subscription has lapsed, changes are not pushed.
    await waitFor(
      async () => !(await g.e.store.watches.live(Date.now())).some((w) => w.participantId === 'watch-admin4'),
      'the subscription to lapse',
      TTL_MS * 3,
    );
    await post(b, 'w.next', t);
    await inReaction(t, 's4');
    // Marker: renewing a lapsed subscription starts it again, and the next change is pushed — the one before is not.
    const again = await watch(ws, 'renew');
    await post(b, 'w.next', t);
    await ws.next(pushOf(again, t, 's5'), 'push after renewing the lapsed watch');
    expect(ws.frames.filter((f) => pushOf(re, t, 's4')(f) || pushOf(again, t, 's4')(f))).toEqual([]);
    ws.close();
  });

  it('a participant without role admin cannot watch (4101)', async () => {
    const ws = (await WsClient.connect(a.url, g.token('watch-nobody'))).ws;
    const req = watchRequest();
    ws.send({ type: 'event', event: req });
    const answer = await ws.next((f) => f.type === 'message' && (f.message as Message).event.re === req.id, 'refusal');
    expect((answer.message as Message).event.data?.content?.error).toMatchObject({ code: 4101 });
    expect(await g.e.store.watches.live(Date.now())).not.toContainEqual(
      expect.objectContaining({ participantId: 'watch-nobody' }),
    );
    ws.close();
  });
});
