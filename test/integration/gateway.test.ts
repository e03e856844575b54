// The gateway end to end on the real engine (Temporal dev server + FerretDB): a flow driven only through HTTP and
// WebSocket, the auth rules, and exact error bodies for bad input. Steps of the flow are numbered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createStore } from '../../store';
import { startGatewayEngine, titled, WsClient, type Gateway, type GatewayEngine, type Frame } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';

const advice = {
  name: 'Gw Advice',
  reactions: [
    {
      name: 'detect',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'gw.detect'",
        transform: {
          eventDataTemplate: {
            title: 'Contact detected',
            advice: { eventType: 'org.wt.client.tell', title: 'Engage?' },
            content: { values: { where: "$xpr($valueNamed('where'))" } },
          },
        },
        publish: { to: 'participant0', name: 'advice' },
      },
    },
    {
      name: 'decide',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'org.wt.client.tell' and $isResponseFor('advice')",
        transform: {
          eventDataTemplate: {
            title: 'Decision recorded',
            content: { values: { decision: "$xpr($valueNamed('decision'))" } },
          },
        },
        publish: { to: '$thred' },
      },
    },
  ],
};

const hold = {
  name: 'Gw Hold',
  reactions: [
    {
      name: 'holding',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'gw.hold'",
        transform: { eventDataTemplate: { title: 'held' } },
        publish: { to: '$thred' },
        transition: { name: '$noTransition' },
      },
    },
    { name: 'released', condition: { type: 'filter', xpr: 'true' } },
  ],
};

let g: GatewayEngine;
let gw: Gateway;
let admin: { authorization: string };
let sensor: { authorization: string };

beforeAll(async () => {
  g = await startGatewayEngine('gateway', { patterns: [advice, hold] });
  gw = await g.gateway();
  admin = g.bearer('ops', ['admin']);
  sensor = g.bearer('sensor0');
  await g.addParticipant('participant0', 'pw-participant0');
});
afterAll(async () => g?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = sensor) =>
  gw.app.inject({ method: 'POST', url, payload: payload as object, headers });
const get = (url: string, headers: Record<string, string> = admin) => gw.app.inject({ method: 'GET', url, headers });

/** Starts a `hold` thred through the API; returns its id. */
async function holdThred(source = sensor): Promise<string> {
  const res = await post('/events', { type: 'gw.hold', source: { id: 'x' } }, source);
  expect(res.statusCode).toBe(202);
  return res.json().results[0].started[0];
}

describe('flow through HTTP and WebSocket only', () => {
  it('sensor event → advice to participant0 over WebSocket → answer → next message → thred ends', async () => {
    // 1. participant0 logs in with its password and opens a session.
    const login = await post('/login', { participantId: 'participant0', password: 'pw-participant0' }, {});
    expect(login.statusCode).toBe(200);
    const { accessToken, refreshToken, expiresAt } = login.json();
    expect(typeof refreshToken).toBe('string');
    expect(expiresAt).toBeGreaterThan(Date.now());
    const { ws, welcome } = await WsClient.connect(gw.url, accessToken);
    expect(welcome).toEqual({ type: 'welcome', participantId: 'participant0', sessionId: expect.any(String) });

    // 2. The sensor posts an unbound event without id or time, claiming to be someone else.
    const res = await post('/events', {
      type: 'gw.detect',
      source: { id: 'participant0', name: 'Sensor 0' },
      data: { content: { values: { where: 'north' } } },
    });
    expect(res.statusCode).toBe(202);
    const [result] = res.json().results;
    expect(result.eventId).toMatch(/^evt_[0-9a-f]{32}$/);
    const thredId = `gw_advice_${result.eventId}`;
    expect(result).toEqual({ eventId: result.eventId, thredIds: [thredId], started: [thredId], refused: [] });

    // 3. The advice arrives on participant0's socket.
    const adviceFrame = await ws.next(titled('Contact detected'), 'the advice');
    const adviceMsg = adviceFrame.message as { id: string; to: string[]; event: Record<string, unknown> };
    expect(adviceMsg.to).toEqual(['participant0']);
    expect(adviceMsg.event).toMatchObject({
      type: 'org.wt.tell',
      thredId,
      source: { id: 'SYSTEM' },
      data: { advice: { eventType: 'org.wt.client.tell' }, content: { values: { where: 'north' } } },
    });

    // 4. participant0 answers over the socket (bound event, re = the advice).
    ws.send({
      type: 'event',
      event: {
        id: 'answer-1',
        type: 'org.wt.client.tell',
        thredId,
        re: adviceMsg.event.id,
        source: { id: 'participant0' },
        data: { content: { values: { decision: 'engage' } } },
      },
    });
    expect(await ws.next((f) => f.type === 'ack' || f.type === 'error', 'ack')).toEqual({
      type: 'ack',
      eventId: 'answer-1',
      thredIds: [thredId],
      started: [],
      refused: [],
    });

    // 5. The next message, then the end of the thred.
    const decided = await ws.next(titled('Decision recorded'), 'the decision');
    expect((decided.message as { event: { data: unknown } }).event.data).toMatchObject({
      content: { values: { decision: 'engage' } },
    });
    const view = await waitFor(async () => {
      const r = await get(`/threds/${thredId}`, { authorization: `Bearer ${accessToken}` });
      return r.statusCode === 200 && r.json().status === 'terminated'
        ? (r.json() as { participants: string[] })
        : undefined;
    }, 'the thred to end');
    expect(view).toMatchObject({
      thredId,
      patternId: 'gw_advice',
      status: 'terminated',
      reaction: null,
      childThredIds: [],
    });
    expect(view.participants).toEqual(expect.arrayContaining(['participant0', 'sensor0']));

    // 6. Stored events: the sensor's source.id was replaced by its principal; the log has both transitions.
    const events = (await get(`/threds/${thredId}/events`)).json().events as {
      event: { id: string; source: { id: string; name?: string }; time?: number };
      direction: string;
    }[];
    const detect = events.find((x) => x.event.id === result.eventId)!;
    expect(detect.event.source).toEqual({ id: 'sensor0', name: 'Sensor 0' });
    expect(typeof detect.event.time).toBe('number');
    const log = (await get(`/threds/${thredId}/log`)).json().log as { kind: string; from: string; to: string | null }[];
    expect(log.filter((l) => l.kind === 'matched').map((l) => [l.from, l.to])).toEqual([
      ['detect', 'decide'],
      ['decide', null],
    ]);
    ws.close();
  });
});

describe('auth', () => {
  it('login refuses a wrong password or an unknown participant with the same 401', async () => {
    const body = {
      statusCode: 401,
      code: 'THREDS_ERR_INVALID_LOGIN',
      error: 'Unauthorized',
      message: 'participantId or password is wrong',
      details: [],
    };
    expect((await post('/login', { participantId: 'participant0', password: 'nope' }, {})).json()).toEqual(body);
    expect((await post('/login', { participantId: 'nobody', password: 'nope' }, {})).json()).toEqual(body);
  });

  it('refresh rotates: a refresh token works once; reusing it revokes the family', async () => {
    const first = (await post('/login', { participantId: 'participant0', password: 'pw-participant0' }, {})).json();
    const second = await post('/refresh', { refreshToken: first.refreshToken }, {});
    expect(second.statusCode).toBe(200);
    expect(second.json().refreshToken).not.toBe(first.refreshToken);
    const reuse = await post('/refresh', { refreshToken: first.refreshToken }, {});
    expect(reuse.json()).toEqual({
      statusCode: 401,
      code: 'THREDS_ERR_INVALID_REFRESH_TOKEN',
      error: 'Unauthorized',
      message: 'refresh token is reused',
      details: [],
    });
    // The stolen-token case: the rotated one dies with its family.
    expect((await post('/refresh', { refreshToken: second.json().refreshToken }, {})).statusCode).toBe(401);
    const fresh = await get('/threds', { authorization: `Bearer ${second.json().accessToken}` });
    expect(fresh.statusCode).toBe(200); // access tokens live until they expire
  });

  it('a participant reads only threds it participates in (others answer 404); admins read all', async () => {
    const thredId = await holdThred(g.bearer('sensor-a'));
    // The read model lists the sender once the thred has handled its event (it published to $thred).
    await waitFor(async () => (await g.e.store.threds.get(thredId))?.participants.includes('sensor-a'), 'thred record');
    expect((await get(`/threds/${thredId}`, g.bearer('sensor-a'))).statusCode).toBe(200);
    const other = await get(`/threds/${thredId}`, g.bearer('sensor-b'));
    expect(other.json()).toEqual({
      statusCode: 404,
      code: 'THREDS_ERR_THRED_NOT_FOUND',
      error: 'Not Found',
      message: `thred ${thredId} does not exist`,
      details: [],
    });
    expect((await get(`/threds/${thredId}/events`, g.bearer('sensor-b'))).statusCode).toBe(404);
    // Lists are forced to the caller's own threds, whatever ?participant= says.
    const listB = (await get('/threds?participant=sensor-a', g.bearer('sensor-b'))).json();
    expect(listB.threds.map((t: { thredId: string }) => t.thredId)).not.toContain(thredId);
    const listA = (await get('/threds?pattern=gw_hold', g.bearer('sensor-a'))).json();
    expect(listA.threds.map((t: { thredId: string }) => t.thredId)).toContain(thredId);
    const listAdmin = (await get('/threds?participant=sensor-a&status=active')).json();
    expect(listAdmin.threds.map((t: { thredId: string }) => t.thredId)).toContain(thredId);
  });
});

describe('exact error bodies', () => {
  const err = (
    statusCode: number,
    code: string,
    error: string,
    message: string,
    details: { path: string; reason: string }[] = [],
  ) => ({
    statusCode,
    code,
    error,
    message,
    details,
  });
  const endedEvent = `ended-${Date.now()}`;
  const ended = `gw_hold_${endedEvent}`;
  beforeAll(async () => {
    const res = await post('/events', { id: endedEvent, type: 'gw.hold', source: { id: 'x' } });
    expect(res.json().results[0].started).toEqual([ended]);
    const t = await post(`/threds/${ended}/terminate`, {}, admin);
    expect(t.statusCode).toBe(200);
    expect(t.json()).toMatchObject({ thredId: ended, status: 'terminated', reaction: null });
  });

  const expired = () => `Bearer ${g.token('sensor0', [], 1000, Date.now() - 60_000)}`;
  const rows: [
    string,
    () => {
      method: 'GET' | 'POST' | 'PUT';
      url: string;
      payload?: unknown;
      headers?: Record<string, string>;
      raw?: string;
    },
    ReturnType<typeof err>,
  ][] = [
    [
      'no token',
      () => ({ method: 'POST', url: '/events', payload: { type: 'x', source: { id: 's' } }, headers: {} }),
      err(401, 'THREDS_ERR_UNAUTHORIZED', 'Unauthorized', 'missing Authorization: Bearer <token> header'),
    ],
    [
      'bad token',
      () => ({
        method: 'POST',
        url: '/events',
        payload: { type: 'x', source: { id: 's' } },
        headers: { authorization: 'Bearer not.a.jwt' },
      }),
      err(401, 'THREDS_ERR_UNAUTHORIZED', 'Unauthorized', 'access token is not valid'),
    ],
    [
      'token signed with another secret',
      () => ({
        method: 'GET',
        url: '/threds',
        headers: {
          authorization:
            'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4Iiwicm9sZXMiOltdLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMDAwMDAwMH0.c2lnbmF0dXJl',
        },
      }),
      err(401, 'THREDS_ERR_UNAUTHORIZED', 'Unauthorized', 'access token is not valid'),
    ],
    [
      'expired token',
      () => ({
        method: 'POST',
        url: '/events',
        payload: { type: 'x', source: { id: 's' } },
        headers: { authorization: expired() },
      }),
      err(401, 'THREDS_ERR_TOKEN_EXPIRED', 'Unauthorized', 'access token has expired'),
    ],
    [
      'missing type',
      () => ({ method: 'POST', url: '/events', payload: { source: { id: 's' } } }),
      err(400, 'THREDS_ERR_VALIDATION', 'Bad Request', 'invalid body: /type is required', [
        { path: '/type', reason: 'is required' },
      ]),
    ],
    [
      'missing source.id',
      () => ({ method: 'POST', url: '/events', payload: { type: 'x', source: {} } }),
      err(400, 'THREDS_ERR_VALIDATION', 'Bad Request', 'invalid body: /source/id is required', [
        { path: '/source/id', reason: 'is required' },
      ]),
    ],
    [
      'wrong types',
      () => ({ method: 'POST', url: '/events', payload: { type: 5, source: { id: 's' }, time: 'now' } }),
      err(400, 'THREDS_ERR_VALIDATION', 'Bad Request', 'invalid body: /type must be string; /time must be number', [
        { path: '/type', reason: 'must be string' },
        { path: '/time', reason: 'must be number' },
      ]),
    ],
    [
      'id outside the charset',
      () => ({ method: 'POST', url: '/events', payload: { id: 'a b', type: 'x', source: { id: 's' } } }),
      err(
        400,
        'THREDS_ERR_VALIDATION',
        'Bad Request',
        'invalid body: /id must match pattern "^[A-Za-z0-9._:-]{1,128}$"',
        [{ path: '/id', reason: 'must match pattern "^[A-Za-z0-9._:-]{1,128}$"' }],
      ),
    ],
    [
      'invalid JSON',
      () => ({ method: 'POST', url: '/events', raw: '{"type": ' }),
      err(400, 'THREDS_ERR_INVALID_JSON', 'Bad Request', 'body is not valid JSON'),
    ],
    [
      'empty batch',
      () => ({ method: 'POST', url: '/events', payload: { events: [] } }),
      err(400, 'THREDS_ERR_VALIDATION', 'Bad Request', 'invalid body: /events must not have fewer than 1 items', [
        { path: '/events', reason: 'must not have fewer than 1 items' },
      ]),
    ],
    [
      'oversize body',
      () => ({
        method: 'POST',
        url: '/events',
        payload: { type: 'x', source: { id: 's' }, data: { description: 'x'.repeat(256 * 1024) } },
      }),
      err(413, 'THREDS_ERR_PAYLOAD_TOO_LARGE', 'Payload Too Large', 'request body is larger than the limit'),
    ],
    [
      'unknown thred',
      () => ({ method: 'POST', url: '/events', payload: { type: 'x', source: { id: 's' }, thredId: 'no_such_thred' } }),
      err(404, 'THREDS_ERR_THRED_NOT_FOUND', 'Not Found', 'thred no_such_thred does not exist'),
    ],
    [
      'ended thred',
      () => ({ method: 'POST', url: '/events', payload: { type: 'x', source: { id: 's' }, thredId: ended } }),
      err(409, 'THREDS_ERR_THRED_ENDED', 'Conflict', `thred ${ended} has ended`),
    ],
    [
      'terminate an ended thred',
      () => ({ method: 'POST', url: `/threds/${ended}/terminate`, payload: {}, headers: admin }),
      err(409, 'THREDS_ERR_THRED_ENDED', 'Conflict', `thred ${ended} has ended`),
    ],
    [
      'non-admin on an admin route',
      () => ({ method: 'GET', url: '/patterns' }),
      err(403, 'THREDS_ERR_FORBIDDEN', 'Forbidden', 'role admin required (sensor0 lacks it)'),
    ],
    [
      'non-admin terminating',
      () => ({ method: 'POST', url: `/threds/${ended}/terminate`, payload: {} }),
      err(403, 'THREDS_ERR_FORBIDDEN', 'Forbidden', 'role admin required (sensor0 lacks it)'),
    ],
    [
      'unknown route',
      () => ({ method: 'GET', url: '/nowhere?x=1' }),
      err(404, 'THREDS_ERR_NOT_FOUND', 'Not Found', 'route GET /nowhere not found'),
    ],
    [
      'bad list query',
      () => ({ method: 'GET', url: '/threds?limit=0&status=sleeping', headers: admin }),
      err(
        400,
        'THREDS_ERR_VALIDATION',
        'Bad Request',
        'invalid querystring: /status must be one of "active", "finished", "terminated"; /limit must be >= 1',
        [
          { path: '/status', reason: 'must be one of "active", "finished", "terminated"' },
          { path: '/limit', reason: 'must be >= 1' },
        ],
      ),
    ],
    [
      'invalid pattern',
      () => ({
        method: 'PUT',
        url: '/patterns/broken',
        payload: { name: 'Broken', reactions: [{ name: 'a', condition: { type: 'filter', xpr: '(' } }] },
        headers: admin,
      }),
      err(400, 'THREDS_ERR_PATTERN_INVALID', 'Bad Request', '', []),
    ],
    [
      'internal delivery without the internal token',
      () => ({ method: 'POST', url: '/internal/deliver', payload: { deliveries: [] }, headers: admin }),
      err(401, 'THREDS_ERR_UNAUTHORIZED', 'Unauthorized', 'internal endpoint: missing or wrong internal token'),
    ],
  ];

  it.each(rows)('%s', async (name, req, expected) => {
    const r = req();
    const res = await gw.app.inject({
      method: r.method,
      url: r.url,
      headers: { ...(r.headers ?? sensor), ...(r.raw !== undefined && { 'content-type': 'application/json' }) },
      ...(r.raw !== undefined ? { payload: r.raw } : r.payload !== undefined ? { payload: r.payload as object } : {}),
    });
    const body = res.json();
    expect(res.statusCode).toBe(expected.statusCode);
    if (name === 'invalid pattern') {
      expect(body).toEqual({
        ...expected,
        message: expect.stringMatching(/^invalid pattern: \/reactions\/0\/condition\/xpr /),
        details: [{ path: '/reactions/0/condition/xpr', reason: expect.any(String) }],
      });
    } else {
      expect(body).toEqual(expected);
    }
  });

  it('a batch reports each event on its own: one bad event does not fail the others', async () => {
    const res = await post('/events', {
      events: [
        { id: 'b-ok', type: 'gw.nomatch', source: { id: 's' } },
        { id: 'b-bad', source: { id: 's' } },
        { type: 'x', source: { id: 's' }, thredId: 'no_such_thred' },
      ],
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      results: [
        { eventId: 'b-ok', thredIds: [], started: [], refused: [] },
        {
          eventId: 'b-bad',
          thredIds: [],
          started: [],
          refused: [],
          error: err(400, 'THREDS_ERR_VALIDATION', 'Bad Request', 'invalid event: /type is required', [
            { path: '/type', reason: 'is required' },
          ]),
        },
        {
          thredIds: [],
          started: [],
          refused: [],
          error: err(404, 'THREDS_ERR_THRED_NOT_FOUND', 'Not Found', 'thred no_such_thred does not exist'),
        },
      ],
    });
  });

  it('429 per principal once the rate limit is spent (another principal is unaffected)', async () => {
    const limited = await g.gateway({ limits: { ratePerMinute: 2 } }, false);
    const send = (who: string) =>
      limited.app.inject({
        method: 'POST',
        url: '/events',
        payload: { type: 'gw.nomatch', source: { id: who } },
        headers: g.bearer(who),
      });
    expect((await send('rl-a')).statusCode).toBe(202);
    expect((await send('rl-a')).statusCode).toBe(202);
    const third = await send('rl-a');
    expect(third.statusCode).toBe(429);
    expect(third.json()).toEqual(
      err(
        429,
        'THREDS_ERR_RATE_LIMITED',
        'Too Many Requests',
        expect.stringMatching(/^rate limit exceeded: 2 requests per minute; retry in /) as unknown as string,
      ),
    );
    expect((await send('rl-b')).statusCode).toBe(202);
  });

  it('503 when the store is unreachable (the client may retry with the same id)', async () => {
    const dead = new MongoClient('mongodb://127.0.0.1:9', { serverSelectionTimeoutMS: 300 });
    const store = createStore(dead.db('nowhere'));
    const { createRouter } = await import('../../gateway/routing');
    const down = await g.gateway(
      { store, router: createRouter({ client: g.e.s.client, store, settings: g.e.settings }) },
      false,
    );
    const res = await down.app.inject({
      method: 'POST',
      url: '/events',
      payload: { id: 'retry-me', type: 'x', source: { id: 's' } },
      headers: sensor,
    });
    expect(res.json()).toEqual(
      err(
        503,
        'THREDS_ERR_UNAVAILABLE',
        'Service Unavailable',
        'Temporal or the store is unavailable; retry with the same event id',
      ),
    );
    const ready = await down.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      code: 'THREDS_ERR_NOT_READY',
      details: [{ path: '/store', reason: expect.any(String) }],
    });
    await dead.close();
  });

  it('503 when Temporal is unreachable, within the routing deadline', async () => {
    const { Client, Connection } = await import('@temporalio/client');
    const { createRouter } = await import('../../gateway/routing');
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 200 }) });
    const router = createRouter({ client, store: g.e.store, settings: g.e.settings });
    const down = await g.gateway({ client, router, limits: { routeTimeoutMs: 1000 } }, false);
    const started = Date.now();
    const res = await down.app.inject({
      method: 'POST',
      url: '/events',
      payload: { id: 'retry-me-too', type: 'x', source: { id: 's' }, thredId: 'some_thred' },
      headers: sensor,
    });
    expect(res.json()).toEqual(
      err(
        503,
        'THREDS_ERR_UNAVAILABLE',
        'Service Unavailable',
        'Temporal or the store is unavailable; retry with the same event id',
      ),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    const ready = await down.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.json()).toMatchObject({
      statusCode: 503,
      code: 'THREDS_ERR_NOT_READY',
      details: [{ path: '/temporal' }],
    });
  });
});

describe('WebSocket frames', () => {
  it('answers every bad frame with an error frame and keeps the session', async () => {
    const { ws } = await WsClient.connect(gw.url, g.token('participant9'));
    const error = () => ws.next((f) => f.type === 'error', 'an error frame');
    ws.send('{not json');
    expect(await error()).toEqual({
      type: 'error',
      code: 'THREDS_ERR_INVALID_JSON',
      message: 'frame is not valid JSON',
      details: [],
    });
    ws.send({ type: 'shout' });
    expect(await error()).toEqual({
      type: 'error',
      code: 'THREDS_ERR_BAD_FRAME',
      message: 'unknown frame type "shout" (expected event, refresh or ping)',
      details: [{ path: '/type', reason: 'must be one of "event", "refresh", "ping"' }],
    });
    ws.send([1, 2]);
    expect(await error()).toMatchObject({
      code: 'THREDS_ERR_BAD_FRAME',
      details: [{ path: '/type', reason: 'is required' }],
    });
    ws.send({ type: 'event', event: { id: 'ws-bad', source: { id: 'x' } } });
    expect(await error()).toEqual({
      type: 'error',
      re: 'ws-bad',
      code: 'THREDS_ERR_VALIDATION',
      message: 'invalid event: /type is required',
      details: [{ path: '/type', reason: 'is required' }],
    });
    ws.send({ type: 'event', event: { id: 'ws-404', type: 'x', source: { id: 'x' }, thredId: 'no_such_thred' } });
    expect(await error()).toEqual({
      type: 'error',
      re: 'ws-404',
      code: 'THREDS_ERR_THRED_NOT_FOUND',
      message: 'thred no_such_thred does not exist',
      details: [],
    });
    ws.send({ type: 'event' });
    expect(await error()).toMatchObject({
      code: 'THREDS_ERR_VALIDATION',
      details: [{ path: '/event', reason: 'is required and must be an object' }],
    });
    ws.send({ type: 'ping' });
    expect(await ws.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
    ws.send({ type: 'event', event: { type: 'gw.nomatch', source: { id: 'x' } } });
    const ack = await ws.next((f) => f.type === 'ack');
    expect(ack).toEqual({
      type: 'ack',
      eventId: expect.stringMatching(/^evt_/),
      thredIds: [],
      started: [],
      refused: [],
    });
    ws.close();
  });

  it('closes with 4401 on a bad token, a first frame that is not hello, or no hello in time', async () => {
    const bad = new WsClient(gw.url);
    await bad.opened();
    bad.send({ type: 'hello', token: 'nope' });
    expect(await bad.next()).toEqual({
      type: 'error',
      code: 'THREDS_ERR_UNAUTHORIZED',
      message: 'access token is not valid',
      details: [],
    });
    expect((await bad.closed).code).toBe(4401);

    const expired = new WsClient(gw.url);
    await expired.opened();
    expired.send({ type: 'hello', token: g.token('p', [], 1000, Date.now() - 60_000) });
    expect(await expired.next()).toMatchObject({ code: 'THREDS_ERR_TOKEN_EXPIRED' });
    expect((await expired.closed).code).toBe(4401);

    const early = new WsClient(gw.url);
    await early.opened();
    early.send({ type: 'event', event: {} });
    expect(await early.next()).toMatchObject({
      code: 'THREDS_ERR_UNAUTHORIZED',
      message: 'the first frame must be hello, got "event"',
    });
    expect((await early.closed).code).toBe(4401);

    const quick = await g.gateway({ limits: { helloTimeoutMs: 200 } });
    const silent = new WsClient(quick.url);
    await silent.opened();
    expect(await silent.closed).toEqual({ code: 4401, reason: 'no hello frame within 200 ms' });
  });
});

describe('admin and ops routes', () => {
  it('stores, lists, validates, simulates and deletes patterns', async () => {
    const echo = {
      name: 'Gw Echo',
      reactions: [
        {
          name: 'only',
          condition: {
            type: 'filter',
            xpr: "$event.type = 'gw.echo'",
            transform: { eventDataTemplate: { title: 'echo' } },
            publish: { to: '$thred' },
          },
        },
      ],
    };
    const put = await gw.app.inject({ method: 'PUT', url: '/patterns/gw_echo', payload: echo, headers: admin });
    expect(put.statusCode).toBe(200);
    expect(put.json().pattern).toMatchObject({ id: 'gw_echo', name: 'Gw Echo' });
    expect((await get('/patterns/gw_echo')).json()).toMatchObject({ id: 'gw_echo' });
    expect((await get('/patterns')).json().patterns.map((p: { id: string }) => p.id)).toEqual(
      expect.arrayContaining(['gw_advice', 'gw_echo', 'gw_hold']),
    );
    const invalid = await post(
      '/patterns/validate',
      {
        name: 'X',
        reactions: [{ name: 'a', condition: { type: 'filter', xpr: 'true', transition: { name: 'nowhere' } } }],
      },
      admin,
    );
    expect(invalid.statusCode).toBe(200);
    expect(invalid.json()).toMatchObject({
      valid: false,
      errors: [{ path: '/reactions/0/condition/transition/name', reason: expect.any(String) }],
    });
    const sim = await post(
      '/patterns/simulate',
      { patternId: 'gw_echo', events: [{ id: 's1', type: 'gw.echo', source: { id: 'p1' } }] },
      admin,
    );
    expect(sim.statusCode).toBe(200);
    expect(sim.json()).toMatchObject({ valid: true, thredId: 'gw_echo_s1', steps: [{ started: true, matched: true }] });
    expect((await gw.app.inject({ method: 'DELETE', url: '/patterns/gw_echo', headers: admin })).json()).toEqual({
      id: 'gw_echo',
      deleted: true,
    });
    expect((await get('/patterns/gw_echo')).json()).toMatchObject({
      statusCode: 404,
      code: 'THREDS_ERR_PATTERN_NOT_FOUND',
    });
  });

  it('forces a transition, and resets a thred to its last workflow task', async () => {
    const thredId = await holdThred();
    const bad = await post(`/threds/${thredId}/transition`, { transition: { name: 'nowhere' } }, admin);
    expect(bad.json()).toEqual({
      statusCode: 400,
      code: 'THREDS_ERR_VALIDATION',
      error: 'Bad Request',
      message: 'invalid body: /transition/name pattern gw_hold has no reaction "nowhere"',
      details: [{ path: '/transition/name', reason: 'pattern gw_hold has no reaction "nowhere"' }],
    });
    const moved = await post(`/threds/${thredId}/transition`, { transition: { name: 'released' } }, admin);
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ thredId, status: 'active', reaction: 'released' });
    const reset = await post(`/threds/${thredId}/reset`, { to: 'last-workflow-task' }, admin);
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toEqual({ thredId, runId: expect.any(String), resetEventId: expect.any(Number) });
    const wrong = await post(`/threds/${thredId}/reset`, { to: 1 }, admin);
    expect(wrong.json()).toMatchObject({
      statusCode: 400,
      code: 'THREDS_ERR_RESET_TARGET',
      details: [{ path: '/to' }],
    });
    expect((await post('/threds/no_such_thred/reset', { to: 'first-workflow-task' }, admin)).statusCode).toBe(404);
  });

  it('resets an admin-terminated thred: ends again by default, takes events again without re-applied updates', async () => {
    const terminated = async () => {
      const thredId = await holdThred();
      expect((await post(`/threds/${thredId}/terminate`, {}, admin)).json()).toMatchObject({ status: 'terminated' });
      expect((await post('/events', { type: 'gw.hold', source: { id: 'x' }, thredId }, sensor)).statusCode).toBe(409);
      return thredId;
    };
    const reset = async (thredId: string, body: object) => {
      const res = await post(`/threds/${thredId}/reset`, { to: 'first-workflow-task', ...body }, admin);
      expect(res.statusCode).toBe(200);
      return g.e.s.client.workflow.getHandle(thredId, res.json().runId);
    };

    // Default (as Temporal): the terminate, an update after the reset point, is re-applied — the thred ends again.
    const again = await reset(await terminated(), {});
    await waitFor(async () => (await again.describe()).status.name === 'COMPLETED', 'reset run ends again');
    expect((await again.query<{ state: { status: string } }>('state')).state.status).toBe('terminated');

    // Without re-applied updates the reset run is the thred before the terminate: active, and it takes events.
    const thredId = await terminated();
    const revived = await reset(thredId, { reapplyExclude: ['updates'] });
    expect((await get(`/threds/${thredId}`)).json()).toMatchObject({ status: 'active', reaction: 'holding' });
    const taken = await post('/events', { type: 'gw.hold', source: { id: 'x' }, thredId }, sensor);
    expect(taken.statusCode).toBe(202);
    expect(taken.json().results[0].thredIds).toEqual([thredId]);
    expect((await revived.describe()).status.name).toBe('RUNNING');

    const bad = await post(
      `/threds/${thredId}/reset`,
      { to: 'last-workflow-task', reapplyExclude: ['everything'] },
      admin,
    );
    expect(bad.json()).toMatchObject({
      statusCode: 400,
      code: 'THREDS_ERR_VALIDATION',
      details: [{ path: expect.stringMatching(/^\/reapplyExclude\/0/) }],
    });
  });

  it('health, readiness, metrics, dead letters and the OpenAPI document', async () => {
    expect((await get('/health', {})).json()).toEqual({ status: 'ok' });
    expect((await get('/ready', {})).json()).toEqual({ status: 'ready', temporal: 'ok', store: 'ok' });
    const metrics = await get('/metrics', {});
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/threds_events_received_total \d+/);
    expect(metrics.body).toMatch(/threds_events_rejected_total\{reason="THREDS_ERR_THRED_NOT_FOUND"\} \d+/);
    expect(metrics.body).toContain('threds_routing_seconds_bucket');
    expect(metrics.body).toContain('threds_ws_sessions');
    expect((await get('/dead-letters')).json()).toEqual({ deadLetters: [] });
    const doc = (await get('/docs/json', {})).json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/events',
        '/login',
        '/refresh',
        '/threds/{id}',
        '/patterns/{id}',
        '/threds/{id}/reset',
        '/ws',
      ]),
    );
    expect((await get('/docs', {})).statusCode).toBeLessThan(400);
  });
});

export type { Frame };
