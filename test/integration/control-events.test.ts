// Control events (SPEC §14) as an original client sends them: a WebSocket client says hello, then sends event frames
// of type org.wt.control.{sys,user,data}Control with thredId SYSTEM, and reads the answer — an org.wt.tell message
// with thredId SYSTEM and re = the request id — or an error event (4101, 4200, 4202, 5201, 5203). One request goes
// through POST /events. Also: step errors and dead letters reach the admins online ($admins), rate-limited per thred.
// Real Temporal dev server, FerretDB, thred worker and gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, titled, WsClient, type Frame, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { agentType, eventId, waitFor } from '../helpers/engine';
import type { Message } from '../../patterns';
import { ADMIN_NOTICE_WINDOW_MS, ADMIN_NOTICES_PER_WINDOW } from '../../activities/admin-notices';

const FAILING = agentType('ctl-failing');

// start → first (publishes to the sender) → second → third → fourth.
const flow = {
  name: 'Ctl Flow',
  reactions: [
    {
      name: 'first',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'ctl.start'",
        transform: { eventDataTemplate: { title: 'ctl started' } },
        publish: { to: '$xpr($event.source.id)' },
      },
    },
    { name: 'second', condition: { type: 'filter', xpr: "$event.type = 'ctl.next'" } },
    { name: 'third', condition: { type: 'filter', xpr: "$event.type = 'ctl.next'" } },
    { name: 'fourth', condition: { type: 'filter', xpr: "$event.type = 'ctl.next'" } },
  ],
};

// Stays put; `fail.expr` fails its expression (a step error), `fail.agent` asks an agent that always fails.
const failing = {
  name: 'Ctl Fail',
  reactions: [
    {
      name: 'failing',
      condition: {
        type: 'or',
        transition: { name: '$noTransition' },
        operands: [
          {
            type: 'filter',
            xpr: "$event.type = 'fail.start'",
            transform: { eventDataTemplate: { title: 'fail started' } },
            publish: { to: '$xpr($event.source.id)' },
          },
          { type: 'filter', xpr: "$event.type = 'fail.expr' and $number('not a number') > 0" },
          {
            type: 'filter',
            xpr: "$event.type = 'fail.agent'",
            transform: { eventDataTemplate: { title: 'to the agent' } },
            publish: { to: FAILING },
          },
        ],
      },
    },
  ],
};

let g: GatewayEngine;
let gw: Gateway;
let admin: WsClient;
let pat: WsClient;

type Ev = NonNullable<Message['event']>;

/** A control request as the original client builds it. */
function control(kind: 'sys' | 'user' | 'data', content: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: eventId('ctl'),
    type: `org.wt.control.${kind}Control`,
    thredId: 'SYSTEM',
    source: { id: 'whoever' },
    data: { title: 'control', content },
    ...extra,
  };
}

const answerTo = (id: string) => (f: Frame) =>
  f.type === 'message' && (f.message as Message).event.re === id && (f.message as Message).event.thredId === 'SYSTEM';

/** Sends one control event frame, expects the ack, and answers the reply event. */
async function ask(ws: WsClient, event: ReturnType<typeof control>): Promise<Ev> {
  ws.send({ type: 'event', event });
  const ack = await ws.next(
    (f) => (f.type === 'ack' || f.type === 'error') && (f.eventId === event.id || f.re === event.id),
    `ack of ${event.id}`,
  );
  expect(ack).toMatchObject({ type: 'ack', eventId: event.id, thredIds: [], started: [] });
  const frame = await ws.next(answerTo(event.id), `answer to ${event.id}`);
  return (frame.message as Message).event;
}

const values = (e: Ev) => e.data?.content?.values as Record<string, unknown>;
const errorOf = (e: Ev) => e.data?.content?.error as { code: number; message: string } | undefined;

async function expectOk(ws: WsClient, event: ReturnType<typeof control>): Promise<Record<string, unknown>> {
  const answer = await ask(ws, event);
  expect(errorOf(answer), JSON.stringify(answer)).toBeUndefined();
  expect(answer).toMatchObject({ type: 'org.wt.tell', thredId: 'SYSTEM', re: event.id, source: { id: 'SYSTEM' } });
  expect(answer.data?.title).toBe(`System Event -> Thred: SYSTEM -> Re: Event: ${event.id}`);
  expect(values(answer)).toMatchObject({ status: 'OK' });
  return values(answer);
}

async function expectError(ws: WsClient, event: ReturnType<typeof control>, code: number): Promise<string> {
  const answer = await ask(ws, event);
  expect(answer).toMatchObject({ type: 'org.wt.tell', thredId: 'SYSTEM', re: event.id, source: { id: 'SYSTEM' } });
  expect(errorOf(answer)?.code, JSON.stringify(answer)).toBe(code);
  return errorOf(answer)!.message;
}

/** Starts a Ctl Flow thred as `ws`'s participant; answers its id once its record is stored. */
async function startFlow(ws: WsClient): Promise<string> {
  const event = { id: eventId('start'), type: 'ctl.start', source: { id: 'x' } };
  ws.send({ type: 'event', event });
  const ack = await ws.next((f) => f.type === 'ack' && f.eventId === event.id, 'start ack');
  const thredId = (ack.thredIds as string[])[0]!;
  await ws.next((f) => titled('ctl started')(f) && (f.message as Message).event.thredId === thredId, 'ctl started');
  await waitFor(async () => (await g.e.store.threds.get(thredId))?.reaction === 'second', 'thred in second');
  return thredId;
}

beforeAll(async () => {
  g = await startGatewayEngine('control', {
    patterns: [flow, failing],
    agents: [
      {
        nodeType: FAILING,
        retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 2 },
        handler: async () => {
          throw new Error('backend down');
        },
      },
    ],
  });
  await g.addParticipant('ctl-admin', 'pw-admin-123', ['admin']);
  gw = await g.gateway();
  admin = (await WsClient.connect(gw.url, g.token('ctl-admin', ['admin']))).ws;
  pat = (await WsClient.connect(gw.url, g.token('pat'))).ws;
}, 120_000);
afterAll(async () => {
  admin?.close();
  pat?.close();
  await g?.close();
});

describe('userControl (any participant, scoped to the sender)', () => {
  it('getThreds lists the threds the sender takes part in, with their last event, newest first', async () => {
    const mine = [await startFlow(pat), await startFlow(pat)];
    const other = await startFlow(admin);
    const v = await expectOk(pat, control('user', { values: { op: 'getThreds' } }));
    expect(v.op).toBe('getThreds');
    const results = v.results as {
      thred: Record<string, unknown>;
      lastEvent: { id: string; timestamp: number; event: Ev } | null;
    }[];
    const ids = results.map((r) => r.thred.id);
    expect(ids).toEqual(expect.arrayContaining(mine));
    expect(ids).not.toContain(other);
    const r = results.find((x) => x.thred.id === mine[1])!;
    expect(r.thred).toMatchObject({ patternId: 'ctl_flow', status: 'a', currentReaction: { reactionName: 'second' } });
    expect(r.lastEvent?.event.data?.title).toBe('ctl started');
    const times = results.map((x) => x.lastEvent?.timestamp ?? 0);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('getEvents answers the events of a thred the sender sent or received; thredId is required (4202)', async () => {
    const thredId = await startFlow(pat);
    const v = await expectOk(pat, control('user', { values: { op: 'getEvents', thredId } }));
    const events = v.events as { id: string; event: Ev; timestamp: number; to?: string[] }[];
    expect(events.map((e) => e.event.type)).toEqual(['ctl.start', 'org.wt.tell']);
    expect(events[1]).toMatchObject({ to: ['pat'], thredId });
    // Someone else's thred is not found, exactly like over GET /threds/:id/events.
    const foreign = await startFlow(admin);
    await expectError(pat, control('user', { values: { op: 'getEvents', thredId: foreign } }), 5203);
    expect(await expectError(pat, control('user', { values: { op: 'getEvents' } }), 4202)).toContain('thredId');
  });

  it('getSystemSpec describes the agents, participants and groups', async () => {
    const v = await expectOk(pat, control('user', { values: { op: 'getSystemSpec' } }));
    const spec = v.systemSpec as {
      serviceSpecs: { nodeType: string }[];
      addressSpec: { participants: { id: string }[] };
    };
    expect(spec.serviceSpecs.map((s) => s.nodeType)).toContain(FAILING);
    expect(spec.addressSpec.participants.map((p) => p.id)).toContain('ctl-admin');
  });

  it('the op may sit deeper in the values (found like $valueNamed), and an unknown op is 4200', async () => {
    const v = await expectOk(pat, control('user', { values: { request: { op: 'getSystemSpec' } } }));
    expect(v.op).toBe('getSystemSpec');
    expect(await expectError(pat, control('user', { values: { op: 'dropEverything' } }), 4200)).toContain(
      'dropEverything',
    );
    await expectError(pat, control('user', { values: {} }), 4202);
  });
});

describe('sysControl (role admin)', () => {
  it('refuses a participant without role admin (4101), also for dataControl', async () => {
    await expectError(pat, control('sys', { values: { op: 'getThreds' } }), 4101);
    await expectError(pat, control('data', { tasks: [{ op: 'get', params: { type: 'patterns' } }] }), 4101);
  });

  it('a control event needs thredId SYSTEM (4202) and never reaches a pattern', async () => {
    const event = control('sys', { values: { op: 'getThreds' } });
    delete (event as { thredId?: string }).thredId;
    expect(await expectError(admin, event, 4202)).toContain('SYSTEM');
    expect((await g.e.store.events.get(event.id))?.thredIds ?? []).toEqual([]);
  });

  it('getThreds lists active threds (finished included) in the original Thred shape', async () => {
    const thredId = await startFlow(pat);
    const v = await expectOk(admin, control('sys', { values: { op: 'getThreds' } }));
    const threds = v.threds as Record<string, unknown>[];
    expect(threds.find((t) => t.id === thredId)).toMatchObject({
      id: thredId,
      patternId: 'ctl_flow',
      patternName: 'Ctl Flow',
      status: 'a',
      currentReaction: { reactionName: 'second' },
      childThredIds: [],
    });
    const only = await expectOk(admin, control('sys', { values: { op: 'getThreds', thredIds: [thredId] } }));
    expect((only.threds as { id: string }[]).map((t) => t.id)).toEqual([thredId]);
    await expectError(admin, control('sys', { values: { op: 'getThreds', status: 'sleeping' } }), 4200);
  });

  it('transitionThred forces a transition; transition is required (4202) and must name a reaction (4200)', async () => {
    const thredId = await startFlow(pat);
    const v = await expectOk(
      admin,
      control('sys', { values: { op: 'transitionThred', thredId, transition: { name: 'fourth' } } }),
    );
    expect(v).toEqual({ status: 'OK', op: 'transitionThred', thredId });
    await waitFor(async () => (await g.e.store.threds.get(thredId))?.reaction === 'fourth', 'thred in fourth');
    await expectError(admin, control('sys', { values: { op: 'transitionThred', thredId } }), 4202);
    await expectError(
      admin,
      control('sys', { values: { op: 'transitionThred', transition: { name: 'third' } } }),
      4202,
    );
    expect(
      await expectError(
        admin,
        control('sys', { values: { op: 'transitionThred', thredId, transition: { name: 'nowhere' } } }),
        4200,
      ),
    ).toContain('nowhere');
    await expectError(
      admin,
      control('sys', { values: { op: 'transitionThred', thredId: 'ctl_flow_nope', transition: { name: 'third' } } }),
      5203,
    );
  });

  it('terminateThred over POST /events: 202 at once, the answer arrives as a message; getThreds finds it as terminated', async () => {
    const thredId = await startFlow(pat);
    const event = control('sys', { values: { op: 'terminateThred', thredId } });
    const res = await gw.app.inject({
      method: 'POST',
      url: '/events',
      headers: g.bearer('ctl-admin', ['admin']),
      payload: event,
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ results: [{ eventId: event.id, thredIds: [], started: [], refused: [] }] });
    const answer = (await admin.next(answerTo(event.id), 'terminate answer')).message as Message;
    expect(answer.to).toEqual(['ctl-admin']);
    expect(values(answer.event)).toEqual({ status: 'OK', op: 'terminateThred', thredId });
    expect((await g.e.store.threds.get(thredId))?.status).toBe('terminated');

    const active = await expectOk(admin, control('sys', { values: { op: 'getThreds' } }));
    expect((active.threds as { id: string }[]).map((t) => t.id)).not.toContain(thredId);
    const ended = await expectOk(
      admin,
      control('sys', { values: { op: 'getThreds', status: 'terminated', terminatedMatcher: { 'thred.id': thredId } } }),
    );
    expect(ended.threds).toEqual([expect.objectContaining({ id: thredId, status: 't' })]);
    const none = await expectOk(
      admin,
      control('sys', {
        values: { op: 'getThreds', status: 'terminated', terminatedMatcher: { 'thred.patternId': 'no_such' } },
      }),
    );
    expect(none.threds).toEqual([]);
    // Again: the thred has ended (THRED_DOES_NOT_EXIST, as the REST route's 409).
    await expectError(admin, control('sys', { values: { op: 'terminateThred', thredId } }), 5203);
    // A re-sent request id runs nothing again.
    const again = await gw.app.inject({
      method: 'POST',
      url: '/events',
      headers: g.bearer('ctl-admin', ['admin']),
      payload: event,
    });
    expect(again.statusCode).toBe(202);
  });

  it('reloadPattern needs an existing active pattern (5201, 4202); reloadAllPatterns answers OK', async () => {
    expect(await expectOk(admin, control('sys', { values: { op: 'reloadPattern', patternId: 'ctl_flow' } }))).toEqual({
      status: 'OK',
      op: 'reloadPattern',
      patternId: 'ctl_flow',
    });
    await expectError(admin, control('sys', { values: { op: 'reloadPattern', patternId: 'no_such_pattern' } }), 5201);
    await expectError(admin, control('sys', { values: { op: 'reloadPattern' } }), 4202);
    expect(await expectOk(admin, control('sys', { values: { op: 'reloadAllPatterns' } }))).toEqual({
      status: 'OK',
      op: 'reloadAllPatterns',
    });
  });

  it('shutdown is refused (4200): processes belong to their supervisor', async () => {
    expect(await expectError(admin, control('sys', { values: { op: 'shutdown', delay: 0 } }), 4200)).toContain(
      'supervisor',
    );
  });
});

describe('dataControl (role admin): persistence tasks on the pattern store', () => {
  it('saves, finds, updates and deletes a pattern; reads events and the thred log', async () => {
    const pattern = {
      id: 'ctl_saved',
      name: 'Ctl Saved',
      reactions: [{ name: 'only', condition: { type: 'filter', xpr: "$event.type = 'ctl.saved'" } }],
    };
    const put = await expectOk(
      admin,
      control('data', { tasks: [{ op: 'put', params: { type: 'PatternModel', values: pattern } }] }),
    );
    expect(put.result).toEqual(['ctl_saved']);
    expect((await g.e.store.patterns.get('ctl_saved'))?.name).toBe('Ctl Saved');

    const found = await expectOk(
      admin,
      control('data', {
        tasks: [
          { op: 'getOne', params: { type: 'patterns', matcher: { id: 'ctl_saved' } } },
          {
            op: 'get',
            params: { type: 'patterns', matcher: { name: { $re: '^ctl ' } }, selector: { include: ['name'] } },
          },
          {
            op: 'update',
            params: { type: 'patterns', matcher: { id: 'ctl_saved' }, values: { description: 'changed' } },
          },
          { op: 'count', params: { type: 'patterns' } },
        ],
      }),
    );
    const [one, some, updated, count] = found.result as [
      Record<string, unknown>,
      { id: string; name: string }[],
      unknown,
      number,
    ];
    expect(one).toMatchObject({ id: 'ctl_saved', name: 'Ctl Saved' });
    expect(some.map((p) => p.id).sort()).toEqual(['ctl_fail', 'ctl_flow', 'ctl_saved']);
    expect(some[0]).toEqual({ id: expect.any(String), name: expect.any(String) });
    expect(updated).toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect(count).toBeGreaterThanOrEqual(3);
    expect((await g.e.store.patterns.get('ctl_saved'))?.description).toBe('changed');

    // A second put of the same id is refused (OBJECT_ALREADY_EXISTS); an invalid pattern is 4200.
    await expectError(
      admin,
      control('data', { tasks: [{ op: 'put', params: { type: 'patterns', values: pattern } }] }),
      5202,
    );
    await expectError(
      admin,
      control('data', { tasks: [{ op: 'put', params: { type: 'patterns', values: { id: 'bad', reactions: 'x' } } }] }),
      4200,
    );

    const thredId = await startFlow(pat);
    const reads = await expectOk(
      admin,
      control('data', {
        tasks: [
          {
            op: 'get',
            params: { type: 'EventRecord', matcher: { thredId }, collector: { sort: [{ field: 'timestamp' }] } },
          },
          { op: 'get', params: { type: 'ThredLogRecord', matcher: { thredId } } },
          { op: 'count', params: { type: 'events', matcher: { thredId, 'event.type': 'ctl.start' } } },
        ],
      }),
    );
    const [events, log, starts] = reads.result as [{ event: Ev }[], { kind: string; to: string }[], number];
    expect(events.map((e) => e.event.type)).toEqual(['ctl.start', 'org.wt.tell']);
    expect(log[0]).toMatchObject({ kind: 'matched', to: 'second' });
    expect(starts).toBe(1);

    const deleted = await expectOk(
      admin,
      control('data', { tasks: [{ op: 'delete', params: { type: 'patterns', matcher: { id: 'ctl_saved' } } }] }),
    );
    expect(deleted.result).toEqual([{ deletedCount: 1 }]);
    expect(await g.e.store.patterns.get('ctl_saved')).toBeNull();
  });

  it('events and thred_log are read-only (4101); other collections and databases are out of reach', async () => {
    await expectError(
      admin,
      control('data', { tasks: [{ op: 'delete', params: { type: 'events', matcher: {} } }] }),
      4101,
    );
    await expectError(
      admin,
      control('data', { tasks: [{ op: 'put', params: { type: 'thred_log', values: { id: 'x' } } }] }),
      4101,
    );
    expect(
      await expectError(admin, control('data', { tasks: [{ op: 'get', params: { type: 'participants' } }] }), 4200),
    ).toContain('participants');
    await expectError(
      admin,
      control('data', { tasks: [{ op: 'get', params: { type: 'patterns' }, options: { dbname: 'other' } }] }),
      4101,
    );
    await expectError(
      admin,
      control('data', { tasks: [{ op: 'get', params: { type: 'patterns', matcher: { $where: '1' } } }] }),
      5200,
    );
    await expectError(admin, control('data', {}), 4202);
  });
});

describe('errors reach admins ($admins)', () => {
  it('a step error reaches the sender and, as a notice, the admins online — at most the per-thred limit', async () => {
    const start = { id: eventId('fs'), type: 'fail.start', source: { id: 'x' } };
    pat.send({ type: 'event', event: start });
    const thredId = ((await pat.next((f) => f.type === 'ack' && f.eventId === start.id)).thredIds as string[])[0]!;
    await pat.next(titled('fail started'), 'fail started');

    const sends = ADMIN_NOTICES_PER_WINDOW + 2;
    // The limit counts per fixed minute (workflow time ≈ wall clock): send them all well inside one minute.
    const intoMinute = Date.now() % ADMIN_NOTICE_WINDOW_MS;
    if (intoMinute > ADMIN_NOTICE_WINDOW_MS - 20_000)
      await new Promise((ok) => setTimeout(ok, ADMIN_NOTICE_WINDOW_MS - intoMinute + 200));
    for (let i = 0; i < sends; i++) {
      pat.send({ type: 'event', event: { id: eventId('fx'), type: 'fail.expr', thredId, source: { id: 'x' } } });
    }
    const isError = (f: Frame) =>
      f.type === 'message' &&
      (f.message as Message).event.thredId === thredId &&
      errorOf((f.message as Message).event)?.code === 5000;
    for (let i = 0; i < sends; i++) await pat.next(isError, `error event ${i + 1} to the sender`);

    const notice = (await admin.next(isError, 'a notice to the admin')).message as Message;
    expect(notice.to).toEqual(['ctl-admin']);
    expect(notice.event.data?.title).toMatch(new RegExp(`^Thred ${thredId} \\(Ctl Fail\\): `));
    // Every notice of those steps is stored with the sender's error events: count them there.
    const stored = await g.e.store.outbox.since('ctl-admin', 0, 1000);
    const notices = stored.filter((e) => e.message.event.thredId === thredId && e.message.id.endsWith(':admins'));
    expect(notices).toHaveLength(ADMIN_NOTICES_PER_WINDOW);
  });

  it('a dead letter reaches the admins online', async () => {
    const start = { id: eventId('fs'), type: 'fail.start', source: { id: 'x' } };
    pat.send({ type: 'event', event: start });
    const thredId = ((await pat.next((f) => f.type === 'ack' && f.eventId === start.id)).thredIds as string[])[0]!;
    pat.send({ type: 'event', event: { id: eventId('fa'), type: 'fail.agent', thredId, source: { id: 'x' } } });
    const frame = await admin.next(
      (f) =>
        f.type === 'message' &&
        (f.message as Message).event.thredId === thredId &&
        /dead letter/.test((f.message as Message).event.data?.title ?? ''),
      'dead-letter notice',
      30_000,
    );
    const event = (frame.message as Message).event;
    expect(event.data?.content).toMatchObject({ error: { code: 5200 }, values: { nodeType: FAILING, thredId } });
    expect(errorOf(event)?.message).toContain('backend down');
    const letters = await g.e.store.deadLetters.forThred(thredId);
    expect(letters.map((l) => l._id)).toEqual([(event.data?.content?.values as { deadLetterId: string }).deadLetterId]);
    // The thred's own 5200 error event of that dead letter is not a second notice.
    const stored = await g.e.store.outbox.since('ctl-admin', 0, 1000);
    expect(stored.filter((e) => e.message.event.thredId === thredId).map((e) => e.message.id)).toEqual([
      (frame.message as Message).id,
    ]);
  });
});

describe('terminateAllThreds', () => {
  it('terminates every thred that has not ended', async () => {
    const a = await startFlow(pat);
    const b = await startFlow(pat);
    expect(await expectOk(admin, control('sys', { values: { op: 'terminateAllThreds' } }))).toEqual({
      status: 'OK',
      op: 'terminateAllThreds',
    });
    for (const id of [a, b]) expect((await g.e.store.threds.get(id))?.status).toBe('terminated');
    expect(await g.e.store.threds.count({ status: 'active' })).toBe(0);
  });
});
