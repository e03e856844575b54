// A WebSocket session lives as long as its access token (issue 19): closed with 4401 at the expiry, unless the
// client sent a `refresh` frame with a fresh token of the same participant first. Real engine, listening gateway,
// the `ws` client.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  JWT_SECRET,
  startGatewayEngine,
  titled,
  WsClient,
  type Frame,
  type Gateway,
  type GatewayEngine,
} from '../helpers/gateway';
import { waitFor } from '../helpers/engine';
import { signAccessToken } from '../../gateway/tokens';

// Each `wst.tell` event publishes its `text` to the participants named in `to`, and the thred stays put.
const relay = {
  name: 'Wst Relay',
  reactions: [
    {
      name: 'relay',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'wst.tell'",
        transform: { eventDataTemplate: { title: "$xpr($valueNamed('text'))" } },
        publish: { to: "$xpr($valueNamed('to'))" },
        transition: { name: '$noTransition' },
      },
    },
  ],
};

let g: GatewayEngine;
let gw: Gateway;
let thredId: string;
const open: WsClient[] = [];

async function tell(to: string[], text: string): Promise<void> {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    headers: g.bearer('wst-sensor'),
    payload: {
      type: 'wst.tell',
      ...(thredId && { thredId }),
      source: { id: 'wst-sensor' },
      data: { content: { values: { to, text } } },
    },
  });
  expect(res.statusCode).toBe(202);
  thredId ??= (res.json() as { results: { thredIds: string[] }[] }).results[0]!.thredIds[0]!;
}

/** A token that expires in 1.5–2.5 s (JWT `exp` has whole seconds). */
const shortToken = (participantId: string) => signAccessToken(JWT_SECRET, { participantId, roles: [], ttlMs: 2_500 });
const longToken = (participantId: string) =>
  signAccessToken(JWT_SECRET, { participantId, roles: [], ttlMs: 2 * 3_600_000 });

async function connect(token: string): Promise<WsClient> {
  const { ws } = await WsClient.connect(gw.url, token);
  open.push(ws);
  return ws;
}
const errorFrame = (code: string) => (f: Frame) => f.type === 'error' && f.code === code;

beforeAll(async () => {
  g = await startGatewayEngine('wstoken', { patterns: [relay] });
  gw = await g.gateway();
  await tell([], 'start');
  await waitFor(async () => (await g.e.store.threds.get(thredId)) ?? undefined, 'relay thred record');
});
afterEach(() => {
  open.splice(0).forEach((c) => c.close());
  vi.restoreAllMocks();
});
afterAll(async () => g?.close());

describe('a session ends with its access token', () => {
  it('warns before the expiry and closes with 4401 at it', async () => {
    const { token, expiresAt } = shortToken('tess');
    const ws = await connect(token);
    // Under a minute left: the warning comes right after welcome.
    expect(await ws.next((f) => f.type === 'expiring', 'expiring')).toEqual({ type: 'expiring', expiresAt });
    await tell(['tess'], 'while valid');
    await ws.next(titled('while valid'), 'a message while the token is valid');

    const closed = await ws.closed;
    const closedAt = Date.now();
    expect(closed.code).toBe(4401);
    expect(closedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(ws.frames.find(errorFrame('THREDS_ERR_TOKEN_EXPIRED'))).toMatchObject({
      type: 'error',
      message: expect.stringContaining('refresh'),
    });
    await waitFor(
      async () => (await g.e.store.sessions.forParticipants(['tess'])).length === 0,
      'session record removed',
    );
  });

  it('a session that refreshed in time keeps receiving after the original expiry', async () => {
    const first = shortToken('rita');
    const fresh = longToken('rita');
    const ws = await connect(first.token);
    ws.send({ type: 'refresh', token: fresh.token });
    expect(await ws.next((f) => f.type === 'refreshed' || f.type === 'error', 'refreshed')).toEqual({
      type: 'refreshed',
      expiresAt: fresh.expiresAt,
    });

    // Let the first token lapse, then send: the message after its expiry arrives.
    await new Promise((r) => setTimeout(r, first.expiresAt - Date.now() + 300));
    await tell(['rita'], 'after the first expiry');
    await ws.next(titled('after the first expiry'), 'a message after the original expiry');
    expect(ws.ws.readyState).toBe(ws.ws.OPEN);
    expect(ws.frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  it("refuses another participant's, an invalid and an expired token, and leaves the session as it was", async () => {
    const own = shortToken('sam');
    const ws = await connect(own.token);

    ws.send({ type: 'refresh', token: longToken('mallory').token });
    expect(await ws.next((f) => f.type === 'error', 'mismatch error')).toMatchObject({
      code: 'THREDS_ERR_TOKEN_PARTICIPANT_MISMATCH',
      details: [{ path: '/token', reason: expect.any(String) }],
    });
    ws.send({ type: 'refresh', token: 'not.a.jwt' });
    expect(await ws.next((f) => f.type === 'error', 'invalid token error')).toMatchObject({
      code: 'THREDS_ERR_UNAUTHORIZED',
    });
    const forged = signAccessToken('another-secret-entirely', {
      participantId: 'sam',
      roles: ['admin'],
      ttlMs: 3_600_000,
    });
    ws.send({ type: 'refresh', token: forged.token });
    expect(await ws.next((f) => f.type === 'error', 'forged token error')).toMatchObject({
      code: 'THREDS_ERR_UNAUTHORIZED',
    });
    const stale = signAccessToken(JWT_SECRET, {
      participantId: 'sam',
      roles: [],
      ttlMs: 60_000,
      now: Date.now() - 3_600_000,
    });
    ws.send({ type: 'refresh', token: stale.token });
    expect(await ws.next((f) => f.type === 'error', 'expired token error')).toMatchObject({
      code: 'THREDS_ERR_TOKEN_EXPIRED',
    });
    ws.send({ type: 'refresh' });
    expect(await ws.next((f) => f.type === 'error', 'frame error')).toMatchObject({
      code: 'THREDS_ERR_VALIDATION',
      details: [{ path: '/token', reason: 'is required' }],
    });

    // Still Sam's session, still open, and still ending at the first token's expiry.
    await tell(['sam'], 'still sam');
    await ws.next(titled('still sam'), "Sam's message after the refused refreshes");
    expect(ws.frames.some((f) => f.type === 'refreshed')).toBe(false);
    const closed = await ws.closed;
    expect(closed.code).toBe(4401);
    expect(Date.now()).toBeGreaterThanOrEqual(own.expiresAt);
  });

  it('a refresh frame before hello is refused like any first frame that is not hello', async () => {
    const ws = new WsClient(gw.url);
    open.push(ws);
    await ws.opened();
    ws.send({ type: 'refresh', token: longToken('early').token });
    expect(await ws.next((f) => f.type === 'error', 'error')).toMatchObject({ code: 'THREDS_ERR_UNAUTHORIZED' });
    expect((await ws.closed).code).toBe(4401);
  });

  it('leaves no token timer behind when sessions close', async () => {
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    const clears = vi.spyOn(globalThis, 'clearTimeout');
    const ids = ['tim1', 'tim2', 'tim3', 'tim4'];
    for (const id of ids) await connect(longToken(id).token);
    // Token timers are the only ones this long: 2 h minus the warning lead.
    const tokenTimers = timeouts.mock.results
      .filter((_, i) => Number(timeouts.mock.calls[i]![1]) > 3_600_000)
      .map((r) => r.value as unknown);
    expect(tokenTimers).toHaveLength(ids.length);
    open.splice(0).forEach((c) => c.close());
    await waitFor(
      async () => (await g.e.store.sessions.forParticipants(ids)).length === 0,
      'sessions closed on the server',
    );
    const cleared = new Set(clears.mock.calls.map((c) => c[0] as unknown));
    expect(tokenTimers.filter((t) => !cleared.has(t))).toEqual([]);
  });
});
