// watchThreds coalescing (SPEC §14; gateway/control/watch.ts): between two polls of the read model a thred that
// changed several times is pushed once, with its latest state — per thred, not one debounce for all: two threds
// changing in the same window are both pushed, each with its own final state. The poll is slow here (4 s) so a burst
// of changes falls inside one window; every change is written to the read model before the next is sent, so the
// store really holds each intermediate state for a moment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, WsClient, type Frame, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { eventId, waitFor } from '../helpers/engine';
import type { Message } from '../../patterns';

const steps = {
  name: 'Coalesce Steps',
  reactions: [
    { name: 's1', condition: { type: 'filter', xpr: "$event.type = 'c.start'" } },
    ...['s2', 's3', 's4', 's5', 's6'].map((name) => ({
      name,
      condition: { type: 'filter', xpr: "$event.type = 'c.next'" },
    })),
    { name: 's7', condition: { type: 'filter', xpr: "$event.type = 'c.never'" } },
  ],
};
const POLL_MS = 4000;

let g: GatewayEngine;
let gw: Gateway;

type Pushed = { id: string; currentReaction: { reactionName?: string } };

/** The reactions pushed for `thredId` under watch `re`, in arrival order. */
const pushedStates = (ws: WsClient, re: string, thredId: string) =>
  ws.frames.flatMap((f) => {
    if (f.type !== 'message') return [];
    const e = (f.message as Message).event;
    if (e.re !== re) return [];
    const threds = (e.data?.content?.values as { threds?: Pushed[] } | undefined)?.threds ?? [];
    return threds.filter((t) => t.id === thredId).map((t) => t.currentReaction.reactionName);
  });
const pushOf = (re: string, thredId: string, reaction: string) => (f: Frame) =>
  f.type === 'message' &&
  (f.message as Message).event.re === re &&
  ((f.message as Message).event.data?.content?.values as { threds?: Pushed[] } | undefined)?.threds?.some(
    (t) => t.id === thredId && t.currentReaction.reactionName === reaction,
  ) === true;

async function post(type: string, thredId?: string): Promise<string> {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    headers: g.bearer('coalesce-sensor'),
    payload: { id: eventId('c'), type, ...(thredId && { thredId }), source: { id: 'coalesce-sensor' } },
  });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json().results[0] as { thredIds: string[] }).thredIds[0]!;
}

const inReaction = (thredId: string, reaction: string) =>
  waitFor(async () => (await g.e.store.threds.get(thredId))?.reaction === reaction, `${thredId} in ${reaction}`);

beforeAll(async () => {
  g = await startGatewayEngine('ctlcoalesce', { patterns: [steps] });
  gw = await g.gateway({ limits: { watchPollMs: POLL_MS } });
}, 120_000);
afterAll(async () => g?.close());

describe('watchThreds coalescing', () => {
  it('pushes a burst of changes to one thred once per poll with its latest state, per thred', async () => {
    const ws = (await WsClient.connect(gw.url, g.token('coalesce-admin', ['admin']))).ws;
    const req = {
      id: eventId('cw'),
      type: 'org.wt.control.sysControl',
      thredId: 'SYSTEM',
      source: { id: 'coalesce-admin' },
      data: { content: { values: { op: 'watchThreds' } } },
    };
    ws.send({ type: 'event', event: req });
    await ws.next((f) => f.type === 'message' && (f.message as Message).event.re === req.id, 'the watch answer');

    const t1 = await post('c.start');
    const t2 = await post('c.start');
    // Both first states arrive in the same poll: a poll just ran, the next is POLL_MS away.
    await ws.next(pushOf(req.id, t1, 's2'), 'the push of t1 started', 20_000);
    await ws.next(pushOf(req.id, t2, 's2'), 'the push of t2 started', 20_000);

    // The burst: five changes each, interleaved, every one stored in the read model before the next is sent.
    const began = Date.now();
    for (const to of ['s3', 's4', 's5', 's6', 's7']) {
      for (const t of [t1, t2]) {
        await post('c.next', t);
        await inReaction(t, to);
      }
    }
    const burstMs = Date.now() - began;

    // Each thred's final state is pushed (a debounce for all would have pushed only the last one changed).
    await ws.next(pushOf(req.id, t1, 's7'), 'the push of t1 final state', 20_000);
    await ws.next(pushOf(req.id, t2, 's7'), 'the push of t2 final state', 20_000);
    for (const t of [t1, t2]) {
      const states = pushedStates(ws, req.id, t).slice(1); // after the s2 push
      // Fewer pushes than changes: at most one per poll that the burst overlapped.
      expect(states.length, `pushes ${JSON.stringify(states)} over a ${burstMs} ms burst`).toBeLessThan(5);
      expect(states.length).toBeLessThanOrEqual(Math.ceil(burstMs / POLL_MS) + 1);
      // In order, each state at most once, ending with the final one.
      expect(new Set(states).size).toBe(states.length);
      expect(states.at(-1)).toBe('s7');
      expect([...states].sort()).toEqual(states);
    }
    ws.close();
  }, 90_000);
});
