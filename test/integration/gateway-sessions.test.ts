// WebSocket delivery across gateway instances and over disconnects, on the real engine: two apps on different ports
// share the store; the thred worker pushes to whichever holds a participant's socket (store.sessions gatewayUrl).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, titled, WsClient, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';

// Each `gw.tell` event publishes its `text` to the participants named in `to`, and the thred stays put.
const relay = {
  name: 'Gw Relay',
  reactions: [
    {
      name: 'relay',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'gw.tell'",
        transform: { eventDataTemplate: { title: "$xpr($valueNamed('text'))" } },
        publish: { to: "$xpr($valueNamed('to'))" },
        transition: { name: '$noTransition' },
      },
    },
  ],
};

let g: GatewayEngine;
let a: Gateway;
let b: Gateway;
let thredId: string;

const tell = async (via: Gateway, to: string[], text: string) => {
  const res = await via.app.inject({
    method: 'POST',
    url: '/events',
    headers: g.bearer('relay-sensor'),
    payload: {
      type: 'gw.tell',
      ...(thredId && { thredId }),
      source: { id: 'relay-sensor' },
      data: { content: { values: { to, text } } },
    },
  });
  expect(res.statusCode).toBe(202);
  return res.json().results[0] as { thredIds: string[] };
};

beforeAll(async () => {
  g = await startGatewayEngine('gwsessions', { patterns: [relay] });
  a = await g.gateway();
  b = await g.gateway();
  thredId = (await tell(a, [], 'start')).thredIds[0]!;
  await waitFor(async () => (await g.e.store.threds.get(thredId)) ?? undefined, 'relay thred record');
});
afterAll(async () => g?.close());

describe('delivery across instances and sessions', () => {
  it('delivers to a participant connected to either instance, and to each of its sessions', async () => {
    const onA = await WsClient.connect(a.url, g.token('alice'));
    const onB = await WsClient.connect(b.url, g.token('bob'));
    const bobTab2 = await WsClient.connect(a.url, g.token('bob')); // the same participant on the other instance
    const records = await g.e.store.sessions.forParticipants(['alice', 'bob']);
    expect(records.map((r) => [r.participantId, r.gatewayUrl]).sort()).toEqual(
      [
        ['alice', `${a.url}/internal/deliver`],
        ['bob', `${a.url}/internal/deliver`],
        ['bob', `${b.url}/internal/deliver`],
      ].sort(),
    );

    await tell(b, ['alice', 'bob'], 'hello both'); // posted through B, Alice's socket is on A
    for (const ws of [onA.ws, onB.ws, bobTab2.ws]) {
      const frame = await ws.next(titled('hello both'), 'hello both');
      expect(frame.message).toMatchObject({ to: ['alice', 'bob'], event: { thredId, source: { id: 'SYSTEM' } } });
    }
    // Exactly once per session: a later message through the same path arrives after any copy would have.
    await tell(b, ['alice', 'bob'], 'marker');
    for (const ws of [onA.ws, onB.ws, bobTab2.ws]) await ws.next(titled('marker'), 'marker');
    for (const ws of [onA.ws, onB.ws, bobTab2.ws]) expect(ws.frames.filter(titled('hello both'))).toHaveLength(1);

    for (const c of [onA, onB, bobTab2]) c.ws.close();
    await waitFor(
      async () => (await g.e.store.sessions.forParticipants(['alice', 'bob'])).length === 0,
      'session records removed on close',
    );
  });

  it('a participant offline during a message receives it on reconnect with since', async () => {
    const first = await WsClient.connect(a.url, g.token('carol'));
    const before = Date.now();
    await tell(a, ['carol'], 'while online');
    await first.ws.next(titled('while online'));
    first.ws.close();
    await first.ws.closed;

    const sentAt = Date.now();
    await tell(b, ['carol'], 'while offline');
    await waitFor(
      async () =>
        (await g.e.store.outbox.since('carol', sentAt - 5000)).some(
          (m) => m.message.event.data?.title === 'while offline',
        ),
      'outbox entry',
    );

    // Reconnect to the OTHER instance, asking for everything since before the first message.
    const again = await WsClient.connect(b.url, g.token('carol'), before - 1000);
    const missed = await again.ws.next(titled('while offline'), 'the missed message');
    expect(missed.message).toMatchObject({ to: ['carol'], event: { thredId } });
    expect(again.ws.frames.filter(titled('while online'))).toHaveLength(1); // since covers it too: clients dedupe by id

    // Without since: only new messages.
    const fresh = await WsClient.connect(a.url, g.token('carol'));
    await tell(a, ['carol'], 'live again');
    await fresh.ws.next(titled('live again'));
    expect(fresh.ws.frames.filter(titled('while offline'))).toHaveLength(0);
    again.ws.close();
    fresh.ws.close();
  });

  it('an instance shutting down closes its sockets with 1001 and removes its session records', async () => {
    const c = await g.gateway();
    const dave = await WsClient.connect(c.url, g.token('dave'));
    expect(await g.e.store.sessions.forParticipants(['dave'])).toHaveLength(1);
    await c.app.close();
    expect((await dave.ws.closed).code).toBe(1001);
    expect(await g.e.store.sessions.forParticipants(['dave'])).toHaveLength(0);
  });

  it('sweeps the session records of a gateway that died without removing them, and keeps live ones', async () => {
    const now = Date.now();
    const ghost = {
      participantId: 'ghost',
      gatewayId: 'dead-host:1',
      gatewayUrl: 'http://127.0.0.1:9/internal/deliver',
      connectedAt: now - 60_000,
    };
    await g.e.store.sessions.add({ _id: 'ghost-1', ...ghost, lastSeen: now - 60_000, expiresAt: now - 1 });
    await g.e.store.sessions.add({ _id: 'ghost-legacy', ...ghost, lastSeen: now - 11 * 60_000 }); // from before expiresAt
    await g.e.store.sessions.add({ _id: 'ghost-recent', ...ghost, lastSeen: now, expiresAt: now + 60_000 });
    const sweeper = await g.gateway({ limits: { heartbeatMs: 300 } });
    const frank = await WsClient.connect(sweeper.url, g.token('frank'));
    await waitFor(
      async () => (await g.e.store.sessions.forParticipants(['ghost'])).length === 1,
      'stale ghost sessions swept',
    );
    expect((await g.e.store.sessions.forParticipants(['ghost'])).map((r) => r._id)).toEqual(['ghost-recent']);
    // Frank's record is refreshed by its pongs: its expiry moves forward while the socket lives.
    const [registered] = await g.e.store.sessions.forParticipants(['frank']);
    expect(registered?.expiresAt).toBeDefined();
    await waitFor(async () => {
      const [now] = await g.e.store.sessions.forParticipants(['frank']);
      return now?.expiresAt !== undefined && now.expiresAt > registered!.expiresAt!;
    }, "frank's session record refreshed by the heartbeat");
    await g.e.store.sessions.remove('ghost-recent');
    frank.ws.close();
  });

  it('the heartbeat drops a socket that stops answering pings', async () => {
    const hb = await g.gateway({ limits: { heartbeatMs: 150 } });
    // A client that never answers pings, as on a half-open connection.
    const erin = await WsClient.connect(hb.url, g.token('erin'), undefined, { autoPong: false });
    const closed = await erin.ws.closed;
    expect(closed.code).toBe(1006); // terminated by the server, no close frame
    await waitFor(
      async () => (await g.e.store.sessions.forParticipants(['erin'])).length === 0,
      'erin session removed',
    );
  });
});
