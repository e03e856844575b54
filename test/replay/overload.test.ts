// Runs that end by each continue-as-new bound — history length, history size, the handled-item budget — and a run
// whose workflow tasks are bounded (a small THREDS_TASK_ITEMS): every event is applied exactly once and in order,
// the worker's metrics name the reason, and the current code replays each run's history. The first run of each is
// recorded under test/fixtures/histories/ (overload_*.json) with THREDS_RECORD_HISTORIES=1, so later versions must
// replay them too (test/replay/replay.test.ts reads every fixture).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Message } from '../../patterns';
import { projectRoot } from '../../bin/stack';
import { workflowBundle } from '../../bin/bundle';
import { createRouter, type Router } from '../../gateway/routing';
import type { EngineSettings } from '../../workflows/messages';
import { processMetrics } from '../../telemetry/metrics';
import { replaySinks } from '../../telemetry/worker';
import { agentType, evt, startEngine, waitFor, type TestEngine } from '../helpers/engine';
import { tallyPattern } from '../fixtures/patterns/counters';

const fixtures = join(projectRoot, 'test', 'fixtures', 'histories');
const record = process.env.THREDS_RECORD_HISTORIES === '1';
const HELPER = agentType('helper');

/** Counts events and keeps the `i` of each in arrival order: a lost, doubled or reordered event shows in `seen`. */
const tally = tallyPattern('tally', 'Tally', 'test.tally');

/** Asks an agent and counts its reply: the reply is stored as an inbound event by the step that takes it. */
const asking = {
  id: 'asking',
  name: 'Asking',
  reactions: [
    {
      name: 'ask',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.ask'",
        transform: { eventDataTemplate: { title: 'help' } },
        publish: { to: HELPER, name: 'help' },
      },
    },
    {
      name: 'answered',
      condition: { type: 'filter', xpr: "$isResponseFor('help')" },
    },
  ],
};

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine('overload', {
    patterns: [tally, asking],
    agents: [
      {
        nodeType: HELPER,
        handler: async (message: Message) => ({
          id: `reply-${message.id}`,
          type: HELPER,
          source: { id: HELPER },
          re: message.event.id,
          thredId: message.event.thredId!,
          data: { title: 'helped' },
        }),
      },
    ],
  });
});
afterAll(async () => e?.close());

/** A router whose threds start with these settings (the settings travel in each thred's input). */
function routerWith(settings: Partial<EngineSettings>): Router {
  return createRouter({
    client: e.s.client,
    store: e.store,
    settings: { ...e.settings, ...settings },
    taskQueue: e.s.taskQueue,
    patternCacheMs: 0,
  });
}

async function continueAsNewCount(reason: string): Promise<number> {
  const metric = await processMetrics().registry.getSingleMetric('threds_continue_as_new_total')!.get();
  return metric.values
    .filter((v) => v.labels.pattern === 'tally' && v.labels.reason === reason)
    .reduce((a, v) => a + v.value, 0);
}

/** Starts a tally thred and sends it `total` events (`concurrent`: all at once, else one after another). */
async function tallyRun(
  router: Router,
  total: number,
  opts: { concurrent?: boolean; pad?: number } = {},
): Promise<{ thredId: string; runs: number }> {
  const data = (i: number) => ({ content: { values: { i, ...(opts.pad && { pad: 'x'.repeat(opts.pad) }) } } });
  const first = evt('test.tally', 'sensor', { data: data(1) });
  const thredId = (await router.route(first)).started[0]!;
  const rest = Array.from({ length: total - 1 }, (_, k) => evt('test.tally', 'sensor', { thredId, data: data(k + 2) }));
  if (opts.concurrent) await Promise.all(rest.map((ev) => router.route(ev)));
  else for (const ev of rest) await router.route(ev);
  const snap = await waitFor(async () => {
    const s = await e.snapshot(thredId);
    return s.state.locals.n === total && s.queued === 0 ? s : undefined;
  }, `${total} tallied events`);
  const seen = snap.state.locals.seen as number[];
  const expected = Array.from({ length: total }, (_, i) => i + 1);
  // Each event exactly once; in order when sent one after another (concurrent sends have no order between them).
  expect(opts.concurrent ? [...seen].sort((a, b) => a - b) : seen).toEqual(expected);
  return { thredId, runs: snap.run + 1 };
}

/** The history of the thred's first run (it ended by continue-as-new when the thred ran more than once). */
async function firstRunHistory(thredId: string): Promise<temporal.api.history.v1.IHistory> {
  const latest = await e.s.client.workflow.getHandle(thredId).fetchHistory();
  const firstRunId = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId;
  return e.s.client.workflow.getHandle(thredId, firstRunId ?? undefined).fetchHistory();
}

async function replay(name: string, thredId: string): Promise<temporal.api.history.v1.IHistory> {
  const bundle = await workflowBundle();
  const first = await firstRunHistory(thredId);
  const latest = await e.s.client.workflow.getHandle(thredId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: bundle, sinks: replaySinks }, first, `${name} (first run)`);
  await Worker.runReplayHistory({ workflowBundle: bundle, sinks: replaySinks }, latest, `${name} (latest run)`);
  if (record) {
    mkdirSync(fixtures, { recursive: true });
    writeFileSync(join(fixtures, `overload_${name}.json`), historyToJSON(first));
  }
  return first;
}

const lastEventType = (h: temporal.api.history.v1.IHistory) => h.events?.[h.events.length - 1]?.eventType;
const {
  EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: CONTINUED,
  EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: ACTIVITY_SCHEDULED,
  EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: WFT_TIMED_OUT,
  EVENT_TYPE_WORKFLOW_TASK_FAILED: WFT_FAILED,
  EVENT_TYPE_TIMER_FIRED: TIMER_FIRED,
} = temporal.api.enums.v1.EventType;

/** Every run of the thred, first to latest. */
async function allRuns(thredId: string): Promise<temporal.api.history.v1.IHistory[]> {
  const runs = [await firstRunHistory(thredId)];
  for (;;) {
    const next = runs.at(-1)!.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) return runs;
    runs.push(await e.s.client.workflow.getHandle(thredId, next).fetchHistory());
  }
}

describe('continue-as-new bounds and bounded workflow tasks', () => {
  it('ends a run by history length, losing and doubling nothing', async () => {
    const before = await continueAsNewCount('history_length');
    const { thredId, runs } = await tallyRun(routerWith({ eventBudget: 1_000_000, historyEvents: 40 }), 30);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(await continueAsNewCount('history_length')).toBeGreaterThan(before);
    const first = await replay('history_length', thredId);
    expect(lastEventType(first)).toBe(CONTINUED);
    // Checked at each item: the run ends within a workflow task or two of the bound, plus its closing (the patch
    // and closing markers, the quiet timer and the tasks around it, the signals that landed meanwhile).
    expect(first.events!.length).toBeGreaterThanOrEqual(40);
    expect(first.events!.length).toBeLessThan(40 + 30);
  });

  it('ends a run by history size', async () => {
    const before = await continueAsNewCount('history_size');
    const { thredId, runs } = await tallyRun(
      routerWith({ eventBudget: 1_000_000, historyEvents: 1_000_000, historyBytes: 40_000 }),
      30,
      { pad: 2000 },
    );
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(await continueAsNewCount('history_size')).toBeGreaterThan(before);
    expect(lastEventType(await replay('history_size', thredId))).toBe(CONTINUED);
  });

  it('ends a run by the handled-item budget', async () => {
    const before = await continueAsNewCount('budget');
    const { thredId, runs } = await tallyRun(routerWith({ eventBudget: 5 }), 12);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(await continueAsNewCount('budget')).toBeGreaterThan(before);
    expect(lastEventType(await replay('budget', thredId))).toBe(CONTINUED);
  });

  it('applies a burst a few items per workflow task, yielding between them', async () => {
    const { thredId } = await tallyRun(routerWith({ taskItems: 3, eventBudget: 1_000_000 }), 40, {
      concurrent: true,
    });
    const latest = await e.s.client.workflow.getHandle(thredId).fetchHistory();
    const first = await replay('bounded_task', thredId);
    const events = [...(first.events ?? []), ...(latest.events ?? [])];
    // The group commit hands the thred most of the burst in few signals; every 3 items it records the batch by a
    // regular activity (the pattern calls no agent, so every activity is one), which ends the workflow task.
    expect(events.filter((ev) => ev.eventType === ACTIVITY_SCHEDULED).length).toBeGreaterThanOrEqual(3);
    expect(events.filter((ev) => ev.eventType === WFT_TIMED_OUT)).toEqual([]);
  });

  it('continues as new under a steady stream of signals without a refused attempt: the door is closed first', async () => {
    // Temporal refuses a continue-as-new from a task during which a signal arrived (the task fails with
    // UnhandledCommand, the SDK evicts the run and the retry replays the whole history). The run first says it is
    // closing (closingAt in the read model), the router holds its signals, and the attempt comes after a short timer.
    const { thredId, runs } = await tallyRun(routerWith({ eventBudget: 1_000_000, historyEvents: 50 }), 120);
    expect(runs).toBeGreaterThanOrEqual(3);
    const histories = await allRuns(thredId);
    for (const h of histories.slice(0, -1)) {
      const events = h.events ?? [];
      expect(events.at(-1)?.eventType).toBe(CONTINUED);
      const failed = events.filter((ev) => ev.eventType === WFT_FAILED);
      expect(failed.map((ev) => ev.workflowTaskFailedEventAttributes?.cause)).toEqual([]);
      // The tally pattern has no expiry: the one timer is the run's quiet moment before continuing as new.
      expect(events.filter((ev) => ev.eventType === TIMER_FIRED)).toHaveLength(1);
    }
    await replay('closing', thredId);
  });

  it("carries an agent's reply across continue-as-new and stores it with the step that takes it", async () => {
    const router = routerWith({ eventBudget: 1 }); // the run ends as soon as the reply is queued
    const ask = evt('test.ask', 'sensor');
    const thredId = (await router.route(ask)).started[0]!;
    const final = await e.s.client.workflow.getHandle(thredId).result();
    expect(final.status).toBe('terminated');
    const latest = await e.s.client.workflow.getHandle(thredId).fetchHistory();
    expect(latest.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
    const inbound = await waitFor(async () => {
      const found = (await e.store.events.forThred(thredId)).filter(
        (x) => x.direction === 'in' && x.event.source.id === HELPER,
      );
      return found.length > 0 ? found : undefined;
    }, 'the reply stored as an inbound event');
    expect(inbound.map((x) => x.event.re)).toEqual([expect.any(String)]);
  });
});
