// The thred engine end to end on the real Temporal dev server and FerretDB: routing → workflow → interpreter →
// activities → store. Each `it` drives threds only through the router (the gateway's entry) and reads results from
// the store, the workflow query and Temporal's own view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Message } from '../../patterns';
import { createRouter, RouteError } from '../../gateway/routing';
import { createStore } from '../../store';
import { agentType, evt, startEngine, waitFor, type TestEngine } from '../helpers/engine';
import { lastCounterPattern } from '../fixtures/patterns/counters';

const LOOKUP = agentType('lookup');
const BROKEN = agentType('broken');
let flaky = 0;

const askAgent = {
  name: 'Ask Agent',
  reactions: [
    {
      name: 'ask',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.ask'",
        onTrue: { xpr: "$setLocal('asker', $event.source.id)" },
        transform: { eventDataTemplate: { title: 'lookup', content: { values: { q: "$xpr($valueNamed('q'))" } } } },
        publish: { to: LOOKUP, name: 'lookup' },
      },
    },
    {
      name: 'answer',
      condition: {
        type: 'filter',
        xpr: "$isResponseFor('lookup')",
        transform: {
          eventDataTemplate: { title: 'answer', content: { values: { a: "$xpr($valueNamed('answer'))" } } },
        },
        publish: { to: "$xpr($local('asker'))" },
      },
    },
  ],
};

const expiring = {
  name: 'Expiring',
  reactions: [
    {
      name: 'waiting',
      expiry: { interval: 1500, transition: { name: 'timed_out' } },
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.expiring' or $event.type = 'test.never'",
        transition: { name: '$noTransition' },
      },
    },
    {
      name: 'timed_out',
      condition: { type: 'filter', xpr: 'true' },
    },
  ],
};

const counter = lastCounterPattern('Counter', 'test.count');

/** At most one start per minute (instanceInterval), however many are active. */
const spaced = {
  name: 'Spaced',
  instanceInterval: 60_000,
  reactions: [
    {
      name: 'wait',
      condition: { type: 'filter', xpr: "$event.type = 'test.spaced'", transition: { name: '$noTransition' } },
    },
  ],
};
const limited = {
  name: 'Limited',
  maxInstances: 1,
  reactions: [
    {
      name: 'hold',
      condition: { type: 'filter', xpr: "$event.type = 'test.limited'", transition: { name: '$noTransition' } },
    },
  ],
};

const failing = {
  name: 'Failing',
  reactions: [
    {
      name: 'call',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.fail'",
        transform: { eventDataTemplate: { title: 'do it' } },
        publish: { to: BROKEN },
        transition: { name: '$noTransition' },
      },
    },
  ],
};

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine('thred', {
    patterns: [askAgent, expiring, counter, limited, spaced, failing],
    settings: { eventBudget: 5 },
    agents: [
      {
        nodeType: LOOKUP,
        retry: { initialInterval: '100ms', maximumAttempts: 3 },
        handler: async (message: Message) => {
          // Fails once, then answers: the retry policy absorbs transient failures.
          if (flaky++ === 0) throw new Error('transient lookup failure');
          return {
            id: `reply-${message.id}`,
            type: LOOKUP,
            source: { id: 'lookup-node' },
            re: message.event.id,
            thredId: message.event.thredId!,
            data: {
              content: {
                values: {
                  answer: `answer to ${String(message.event.data?.content?.values && (message.event.data.content.values as Record<string, unknown>).q)}`,
                },
              },
            },
          };
        },
      },
      {
        nodeType: BROKEN,
        retry: { initialInterval: '50ms', maximumAttempts: 2 },
        handler: async () => {
          throw ApplicationFailure.retryable('backend down', 'BackendDown');
        },
      },
    ],
  });
});
afterAll(async () => e?.close());

describe('thred engine', () => {
  it('runs a multi-step thred whose agent reply feeds the next reaction, then ends', async () => {
    const ask = evt('test.ask', 'sensor1', { data: { content: { values: { q: 'life' } } } });
    const routed = await e.router.route(ask);
    const thredId = `ask_agent_${ask.id}`;
    expect(routed).toEqual({ eventId: ask.id, thredIds: [thredId], started: [thredId], refused: [] });
    expect(await e.store.events.get(ask.id)).toMatchObject({ direction: 'in', thredIds: [thredId] });

    const entry = await waitFor(
      async () => (await e.store.outbox.since('sensor1', 0)).find((m) => m.message.event.thredId === thredId),
      'the answer in sensor1 outbox',
    );
    expect(entry.message.event).toMatchObject({
      type: 'org.wt.tell',
      source: { id: 'SYSTEM' },
      data: { title: 'answer', content: { values: { a: 'answer to life' } } },
    });
    const handle = e.s.client.workflow.getHandle(thredId);
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'terminated', reaction: null });
    expect(final.participants).toContain('sensor1');
    expect(final.participants).not.toContain(LOOKUP);

    const record = await waitFor(async () => {
      const r = await e.store.threds.get(thredId);
      return r?.status === 'terminated' ? r : undefined;
    }, 'archived thred record');
    expect(record.patternId).toBe('ask_agent');
    const log = await e.store.thredLog.forThred(thredId);
    expect(log.filter((l) => l.kind === 'matched').map((l) => [l.from, l.to])).toEqual([
      ['ask', 'answer'],
      ['answer', null],
    ]);
    // The agent request is stored as an outbound event with its resolved recipient.
    const outbound = (await e.store.events.forThred(thredId)).filter((x) => x.direction === 'out');
    expect(outbound.map((x) => x.to)).toEqual(expect.arrayContaining([[LOOKUP], ['sensor1']]));
    const desc = await handle.describe();
    expect(desc.searchAttributes).toMatchObject({ ThredPattern: ['ask_agent'], ThredStatus: ['terminated'] });
  });

  it('takes the expiry transition on a durable timer with no further event', async () => {
    const first = evt('test.expiring', 'sensor2');
    const { started } = await e.router.route(first);
    const thredId = started[0]!;
    expect((await e.snapshot(thredId)).state.reaction).toBe('waiting');
    const after = await waitFor(
      async () => {
        const snap = await e.snapshot(thredId);
        return snap.state.reaction === 'timed_out' ? snap : undefined;
      },
      'expiry to fire',
      15_000,
    );
    expect(after.state.status).toBe('active');
    const log = await e.store.thredLog.forThred(thredId);
    expect(log.some((l) => l.kind === 'expired' && l.from === 'waiting' && l.to === 'timed_out')).toBe(true);
  });

  it('delivers the same event twice → one transition', async () => {
    const first = evt('test.count', 'sensor3', { data: { content: { values: { i: 0 } } } });
    const { started } = await e.router.route(first);
    const thredId = started[0]!;
    const again = evt('test.count', 'sensor3', { thredId, data: { content: { values: { i: 1 } } } });
    await e.router.route(again);
    await e.router.route(again); // an HTTP retry of the same event
    expect((await e.router.route(first)).started).toEqual([]); // the unbound duplicate starts nothing new
    const snap = await waitFor(async () => {
      const s = await e.snapshot(thredId);
      return s.state.locals.n === 2 && s.queued === 0 ? s : undefined;
    }, 'two counted events');
    expect(snap.state.seq).toBe(2);
    // A marker sent after the copies: once it is counted, any copy applied would have been counted before it.
    await e.router.route(evt('test.count', 'sensor3', { thredId, data: { content: { values: { i: 2 } } } }));
    const marked = await waitFor(async () => {
      const s = await e.snapshot(thredId);
      return s.state.locals.last === 2 ? s : undefined;
    }, 'the marker event');
    expect(marked.state.locals).toMatchObject({ n: 3, last: 2 });
  });

  it('continues as new under a low event budget without losing, duplicating or reordering events', async () => {
    const first = evt('test.count', 'sensor4', { data: { content: { values: { i: 0 } } } });
    const { started } = await e.router.route(first);
    const thredId = started[0]!;
    const total = 23;
    for (let i = 1; i < total; i++) {
      await e.router.route(evt('test.count', 'sensor4', { thredId, data: { content: { values: { i } } } }));
    }
    const snap = await waitFor(async () => {
      const s = await e.snapshot(thredId);
      return s.state.locals.n === total ? s : undefined;
    }, `${total} counted events`);
    expect(snap.state.locals.last).toBe(total - 1); // last applied = last sent: order kept
    // Budget 5 ⇒ at least 4 continue-as-new boundaries crossed (23 events / 5 per run).
    expect(snap.run).toBeGreaterThanOrEqual(4);
    const history = await e.s.client.workflow.getHandle(thredId).fetchHistory();
    expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
  });

  it('takes concurrent bound events in fewer signals than events (group commit), counting each once', async () => {
    const first = evt('test.count', 'sensor7', { data: { content: { values: { i: 0 } } } });
    const thredId = (await e.router.route(first)).started[0]!;
    const total = 4; // under the test budget of 5 handled events per run: all signals stay in one history
    const bound = Array.from({ length: total - 1 }, (_, k) =>
      evt('test.count', 'sensor7', { thredId, data: { content: { values: { i: k + 1 } } } }),
    );
    // The first bound signal is held in flight until every route has its two store answers (the thred record and the
    // stored event) — what it awaits before handing the event to the batcher — and one macrotask more, so every route
    // has reached the batcher: the test does not depend on how the store's and Temporal's round trips interleave.
    let held = false;
    let looked = 0;
    const store = {
      ...e.store,
      threds: {
        ...e.store.threds,
        get: async (id: string) => {
          const record = await e.store.threds.get(id);
          if (id === thredId) looked++;
          return record;
        },
      },
    } as typeof e.store;
    const allStored = async () => {
      await waitFor(
        async () =>
          looked >= bound.length && (await Promise.all(bound.map((b) => e.store.events.get(b.id)))).every(Boolean),
        'every route past its store round trips',
      );
      await new Promise((r) => setImmediate(r));
    };
    const client = {
      withDeadline: <R>(deadline: number | Date, fn: () => Promise<R>) => e.s.client.withDeadline(deadline, fn),
      workflow: {
        getHandle: (id: string) => ({
          signal: async (...args: Parameters<ReturnType<typeof e.s.client.workflow.getHandle>['signal']>) => {
            if (!held) {
              held = true;
              await allStored();
            }
            return e.s.client.workflow.getHandle(id).signal(...args);
          },
        }),
      },
    } as unknown as typeof e.s.client;
    const router = createRouter({ client, store, settings: e.settings, taskQueue: e.s.taskQueue });
    await Promise.all(bound.map((b) => router.route(b)));
    await waitFor(async () => (await e.snapshot(thredId)).state.locals.n === total, `${total} counted events`);
    const history = (await e.s.client.workflow.getHandle(thredId).fetchHistory()).events ?? [];
    const names = history.flatMap((x) => x.workflowExecutionSignaledEventAttributes?.signalName ?? []);
    // the start's signal, the first bound event alone (the `event` signal of SPEC §10), then the other two together
    expect(names).toEqual(['event', 'event', 'events']);
    const carried = history
      .flatMap((x) => x.workflowExecutionSignaledEventAttributes?.input?.payloads ?? [])
      .slice(1)
      .map((p) =>
        [JSON.parse(Buffer.from(p.data!).toString()) as { id: string } | { id: string }[]].flat().map((ev) => ev.id),
      );
    expect(carried.map((ids) => ids.length)).toEqual([1, 2]);
    expect(carried.flat().sort()).toEqual(bound.map((b) => b.id).sort());
  });

  it('refuses starts beyond maxInstances under concurrent unbound events, and reports them', async () => {
    const events = Array.from({ length: 5 }, () => evt('test.limited', 'sensor5'));
    const results = await Promise.all(events.map((ev) => e.router.route(ev)));
    const started = results.flatMap((r) => r.started);
    const refused = results.flatMap((r) => r.refused);
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(4);
    expect(refused[0]).toMatchObject({ patternId: 'limited', code: 4300 });
    expect(await e.store.instances.active('limited')).toBe(1);
    const winner = results.find((r) => r.started.length === 1)!;
    expect((await e.store.events.get(winner.eventId))?.thredIds).toEqual(winner.started);
    const loser = results.find((r) => r.refused.length === 1)!;
    expect((await e.store.events.get(loser.eventId))?.thredIds).toBeUndefined();
  });

  it('refuses starts within instanceInterval of the last one, even from two gateways at once', async () => {
    const second = createRouter({
      client: e.s.client,
      store: createStore(e.store.db),
      settings: e.settings,
      taskQueue: e.s.taskQueue,
    });
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, k) => (k % 2 ? second : e.router).route(evt('test.spaced', 'sensor8'))),
    );
    expect(results.flatMap((r) => r.started)).toHaveLength(1);
    const refused = results.flatMap((r) => r.refused);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r).toMatchObject({
        patternId: 'spaced',
        code: 4300,
        reason: expect.stringMatching(/^pattern spaced started a thred \d+ ms ago \(instanceInterval 60000 ms\)$/),
      });
    }
    const loser = results.find((r) => r.refused.length === 1)!;
    const log = await e.store.thredLog.forThred(`spaced_${loser.eventId}`);
    expect(log).toMatchObject([{ kind: 'refused', eventId: loser.eventId }]);
  });

  it('refuses bound events for an unknown thred (404) and an ended one (409); audits events that reach nothing', async () => {
    const lost = evt('test.x', 'sensor6', { thredId: 'no_such_thred' });
    await expect(e.router.route(lost)).rejects.toMatchObject({ statusCode: 404, thredsCode: 5203 });
    expect((await e.store.events.get(lost.id))?.outcome).toBe('no_thred');
    const orphan = evt('test.nobody.listens', 'sensor6');
    expect(await e.router.route(orphan)).toEqual({ eventId: orphan.id, thredIds: [], started: [], refused: [] });
    expect((await e.store.events.get(orphan.id))?.outcome).toBe('no_pattern');
    const ask = evt('test.expiring', 'sensor6');
    const { started } = await e.router.route(ask);
    const thredId = started[0]!;
    const handle = e.s.client.workflow.getHandle(thredId);
    // Malformed updates are refused by their validators before they reach the thred's history.
    for (const [name, arg] of [
      ['control', { op: 'explode' }],
      ['control', { op: 'transition', transition: {} }],
      ['offer', { id: 'no-type', source: { id: 'x' } }],
    ] as const) {
      const refused = await handle
        .executeUpdate(name, { args: [arg], updateId: `bad-${name}-${JSON.stringify(arg)}` })
        .catch((x: unknown) => x);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'InvalidUpdate' });
    }
    await handle.executeUpdate('control', { args: [{ op: 'terminate' }] });
    const { events } = await handle.fetchHistory();
    const updates = (events ?? []).filter((ev) => ev.workflowExecutionUpdateAcceptedEventAttributes);
    expect(updates).toHaveLength(1); // the terminate only
    const err = await e.router.route(evt('test.x', 'sensor6', { thredId })).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(RouteError);
    expect(err).toMatchObject({ statusCode: 409 });
  });

  it('turns an agent whose retries are exhausted into an error event to $thred and a dead letter', async () => {
    const ev = evt('test.fail', 'person7');
    const { started } = await e.router.route(ev);
    const thredId = started[0]!;
    const letter = await waitFor(async () => (await e.store.deadLetters.forThred(thredId))[0], 'a dead letter');
    expect(letter).toMatchObject({ nodeType: BROKEN, thredId });
    expect(letter.error).toContain('backend down');
    const notice = await waitFor(
      async () => (await e.store.outbox.since('person7', 0)).find((m) => m.message.event.data?.content?.error),
      'error event to the thred participant',
    );
    expect(notice.message.event).toMatchObject({
      type: 'org.wt.tell',
      thredId,
      source: { id: 'SYSTEM' },
      data: { content: { error: { code: 5200 } } },
    });
  });
});

describe('payloads', () => {
  it('stores and delivers events whose data has $-keys and nested arrays (persistence matchers, get results)', async () => {
    const data = { content: { values: { q: 'x', matcher: { n: { $gt: 5 } }, result: [[{ a: 1 }], []] } } };
    const ask = evt('test.ask', 'sensor10', { data });
    const thredId = (await e.router.route(ask)).started[0]!;
    const stored = await e.store.events.get(ask.id);
    expect(stored?.event.data).toEqual(data);
    const entry = await waitFor(
      async () => (await e.store.outbox.since('sensor10', 0)).find((m) => m.message.event.thredId === thredId),
      'the answer',
    );
    expect(entry.message.event.data?.title).toBe('answer');
  });
});

describe('history cost', () => {
  it('spends at most 6 history events per handled event on the common path', async () => {
    const first = evt('test.count', 'sensor9', { data: { content: { values: { i: 0 } } } });
    const thredId = (await e.router.route(first)).started[0]!;
    const handle = e.s.client.workflow.getHandle(thredId);
    // Progress is read from the read model, not by query: a query that arrives while a workflow task waits for its
    // local activity closes that task early and adds one more (README, Reads). The count is taken once the history
    // has settled, or the open task's completion would land in the next event's count.
    const settled = async (n: number) =>
      waitFor(async () => {
        if ((await e.store.threds.get(thredId))?.locals.n !== n) return undefined;
        const events = (await handle.fetchHistory()).events ?? [];
        const last = String(events.at(-1)?.eventType);
        return /WORKFLOW_TASK_(SCHEDULED|STARTED)$/.test(last) || last === '5' || last === '6' ? undefined : events;
      }, `event ${n} recorded`);
    const before = (await settled(1)).length;
    // One at a time (each processed before the next), the worst case: nothing is batched.
    const n = 3; // with the first event, stays under the test budget of 5 handled events per run (no continue-as-new)
    let events: Awaited<ReturnType<typeof settled>> = [];
    for (let i = 1; i <= n; i++) {
      await e.router.route(evt('test.count', 'sensor9', { thredId, data: { content: { values: { i } } } }));
      events = await settled(i + 1);
    }
    const added = events.slice(before).map((x) => String(x.eventType));
    expect(added.length / n, `history events added: ${added.join(' ')}`).toBeLessThanOrEqual(6);
  });
});
