// What-if replay (SPEC §15 POST /threds/:id/replay) through HTTP on the real engine: a thred with an agent call, a
// reply to a published message and an expiry is replayed through its own pattern (no divergence) and through a
// changed one (diverges at the right event); look-back threds replay too; bad bodies, non-admins and unknown threds
// get the error shape.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../patterns';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { agentType, waitFor } from '../helpers/engine';
import { askPattern } from '../fixtures/look-back-patterns';
import type { Static } from 'typebox';
import type { LogRecordSchema, StoredEventSchema } from '../../gateway/schemas';

const lookup = agentType('whatif');

const flow = {
  id: 'wi_flow',
  name: 'wi_flow',
  reactions: [
    {
      name: 'detect',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'wi.detect'",
        transform: { eventDataTemplate: { title: 'who?', content: { values: { key: "$xpr($valueNamed('key'))" } } } },
        publish: { to: lookup, name: 'lookup' },
      },
    },
    {
      name: 'lookup',
      condition: {
        type: 'filter',
        xpr: "$isResponseFor('lookup')",
        onTrue: { xpr: "$setLocal('who', $valueNamed('who'))" },
        transform: { eventDataTemplate: { title: 'Engage?' } },
        publish: { to: "$xpr($local('who'))", name: 'advice' },
      },
    },
    {
      name: 'decide',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'org.wt.client.tell' and $isResponseFor('advice') and $valueNamed('decision') = 'yes'",
        onTrue: { xpr: "$setLocal('decision', $valueNamed('decision'))" },
      },
    },
    {
      name: 'wait',
      expiry: { interval: 800, transition: { name: '$terminate' } },
      condition: { type: 'filter', xpr: "$event.type = 'wi.never'" },
    },
  ],
};

interface RouteResult {
  eventId: string;
  thredIds: string[];
  started: string[];
}
/** The answers of GET /threds/:id/events and /log, typed by their route schemas. */
type StoredEvent = Static<typeof StoredEventSchema>;
type LogRecord = Static<typeof LogRecordSchema>;
interface Step {
  kind: string;
  from: string | null;
  to: string | null;
}

let g: GatewayEngine;
let gw: Gateway;
const person = `wi-person-${randomBytes(3).toString('hex')}`;
const admin = () => g.bearer('ops', ['admin']);

beforeAll(async () => {
  g = await startGatewayEngine('what-if', {
    patterns: [flow, askPattern('wi_ask', 30_000)],
    agents: [
      {
        nodeType: lookup,
        taskQueue: lookup,
        handler: async (message: Message) => ({
          id: `r-${message.id}`,
          type: lookup,
          source: { id: lookup },
          data: { content: { values: { who: person } } },
        }),
      },
    ],
  });
  gw = await g.gateway({}, false);
});
afterAll(async () => g?.close());

const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers = admin()) =>
  gw.app.inject({ method, url, headers, ...(payload !== undefined && { payload: payload as object }) });
const replay = (thredId: string, body: unknown, headers = admin()) =>
  inject('POST', `/threds/${thredId}/replay`, body, headers);

async function postEvent(as: string, event: Record<string, unknown>): Promise<RouteResult> {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    payload: { source: { id: as }, ...event },
    headers: g.bearer(as),
  });
  expect(res.statusCode).toBe(202);
  return (res.json() as { results: RouteResult[] }).results[0]!;
}

let flowThred: string;
let tellId: string;

describe('what-if replay', () => {
  beforeAll(async () => {
    flowThred = (await postEvent('sensor0', { type: 'wi.detect', data: { content: { values: { key: 'k1' } } } }))
      .started[0]!;
    const advice = await waitFor(async () => {
      const events = (await inject('GET', `/threds/${flowThred}/events`)).json().events as StoredEvent[];
      return events.find((e) => e.direction === 'out' && e.to?.includes(person));
    }, 'the advice to the person');
    tellId = `tell-${randomBytes(3).toString('hex')}`;
    await postEvent(person, {
      id: tellId,
      type: 'org.wt.client.tell',
      thredId: flowThred,
      re: advice.event.id,
      data: { content: { values: { decision: 'yes' } } },
    });
    await waitFor(
      async () => (await inject('GET', `/threds/${flowThred}`)).json().status === 'terminated',
      'the expiry to end the thred',
    );
  });

  it('the same pattern replays without divergence (agent reply, reply to a message, expiry)', async () => {
    const res = await replay(flowThred, { patternId: 'wi_flow' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.diverges).toBeNull();
    expect(body.final).toEqual({ status: 'terminated', reaction: null, locals: { who: person, decision: 'yes' } });
    expect((body.steps as Step[]).map((s) => [s.kind, s.from, s.to])).toEqual([
      ['event', 'detect', 'lookup'],
      ['event', 'lookup', 'decide'],
      ['event', 'decide', 'wait'],
      ['expiry', 'wait', null],
    ]);
  });

  it('a changed pattern diverges at the event it decides differently', async () => {
    const changed = structuredClone(flow);
    changed.reactions[2]!.condition.xpr = changed.reactions[2]!.condition.xpr.replace("= 'yes'", "= 'no'");
    const res = await replay(flowThred, { pattern: changed });
    expect(res.statusCode).toBe(200);
    const { diverges, final } = res.json();
    expect(diverges).toMatchObject({
      atEvent: tellId,
      was: { kind: 'matched', eventId: tellId, from: 'decide', to: 'wait' },
      now: { kind: 'no_match', eventId: tellId, from: 'decide', to: 'decide' },
    });
    expect(final).toMatchObject({ status: 'active', reaction: 'decide' });
    // Nothing running was touched: the real thred's log is as it was.
    const log = (await inject('GET', `/threds/${flowThred}/log`)).json().log as LogRecord[];
    expect(log.filter((r) => r.eventId === tellId).map((r) => r.kind)).toEqual(['matched']);
  });

  it('a look-back thred replays through its pattern, and diverges without lookBack', async () => {
    const askee = `wi-bob-${randomBytes(3).toString('hex')}`;
    const ticket = randomBytes(3).toString('hex');
    const early = await postEvent(askee, { type: 'org.test.answer', data: { content: { values: { ticket } } } });
    const started = await postEvent('asker', {
      type: 'org.test.question',
      data: { content: { values: { pattern: 'wi_ask', askee, ticket } } },
    });
    const thredId = started.started[0]!;
    await waitFor(
      async () => (await inject('GET', `/threds/${thredId}`)).json().reaction === 'done',
      'the look-back answer',
    );
    const same = (await replay(thredId, { patternId: 'wi_ask' })).json();
    expect(same.diverges).toBeNull();
    expect(same.final.reaction).toBe('done');
    const without = (await replay(thredId, { pattern: askPattern('wi_ask', undefined) })).json();
    expect(without.diverges).toMatchObject({
      atEvent: early.eventId,
      was: { kind: 'matched', from: 'await', to: 'done' },
      now: null,
    });
  });

  it('says when the thred was longer than one replay reads (truncated), and only then', async () => {
    expect((await replay(flowThred, { patternId: 'wi_flow' })).json()).not.toHaveProperty('truncated');
    const capped = await g.gateway({ limits: { replayEvents: 2 } }, false);
    const res = await capped.app.inject({
      method: 'POST',
      url: `/threds/${flowThred}/replay`,
      headers: admin(),
      payload: { patternId: 'wi_flow' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ truncated: true });
  });

  it('bad bodies get 400 with the field and reason', async () => {
    const wrongType = await replay(flowThred, { patternId: 5 });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({
      code: 'THREDS_ERR_VALIDATION',
      details: [expect.objectContaining({ path: '/patternId' })],
    });
    const neither = await replay(flowThred, {});
    expect(neither.statusCode).toBe(400);
    expect(neither.json().details).toEqual([{ path: '/pattern', reason: 'is required (or /patternId)' }]);
    const both = await replay(flowThred, { pattern: flow, patternId: 'wi_flow' });
    expect(both.statusCode).toBe(400);
    const inlineVersion = await replay(flowThred, { pattern: flow, version: 1 });
    expect(inlineVersion.statusCode).toBe(400);
    expect(inlineVersion.json().details[0].path).toBe('/version');
    const noSuchVersion = await replay(flowThred, { patternId: 'wi_flow', version: 2 });
    expect(noSuchVersion.statusCode).toBe(404);
    expect(noSuchVersion.json().message).toBe('pattern wi_flow has no version 2');
    const badVersion = await replay(flowThred, { patternId: 'wi_flow', version: 0 });
    expect(badVersion.statusCode).toBe(400);
    const invalid = await replay(flowThred, { pattern: { name: 'x', reactions: [] } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({
      code: 'THREDS_ERR_PATTERN_INVALID',
      details: [expect.objectContaining({ path: '/reactions' })],
    });
    const noBody = await inject('POST', `/threds/${flowThred}/replay`);
    expect(noBody.statusCode).toBe(400);
    const missing = await replay(flowThred, { patternId: 'no_such_pattern' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('THREDS_ERR_PATTERN_NOT_FOUND');
  });

  it('non-admins get 403, unknown threds 404', async () => {
    const participant = await replay(flowThred, { patternId: 'wi_flow' }, g.bearer(person));
    expect(participant.statusCode).toBe(403);
    expect(participant.json().code).toBe('THREDS_ERR_FORBIDDEN');
    const none = await replay('wi_flow_nope', { patternId: 'wi_flow' });
    expect(none.statusCode).toBe(404);
    expect(none.json().code).toBe('THREDS_ERR_THRED_NOT_FOUND');
  });
});
