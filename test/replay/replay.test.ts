// Replay tests (SPEC §10, research-style habit 9): the current workflow code must replay
//  1. the histories recorded earlier under test/fixtures/histories/ — a change that alters the commands an old thred
//     produced fails here, before it strands running threds with a non-determinism error;
//  2. histories of threds run just now — catches non-determinism within this version (clock, randomness, iteration
//     order leaking into commands).
// THREDS_RECORD_HISTORIES=1 npm test -- test/replay  re-records the fixtures (only when a change is intended and
// running threds are handled, e.g. with patched()).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
// protobufjs is a direct dependency only to keep one copy of it: with several, histories fail to (de)serialize.
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Message } from '../../patterns';
import { projectRoot } from '../../bin/stack';
import { workflowBundle } from '../../bin/bundle';
import { libraryDir } from '../../bin/seed';
import { agentType, evt, startEngine, waitFor, type TestEngine } from '../helpers/engine';
import { replaySinks } from '../../telemetry/worker';

const fixtures = join(projectRoot, 'test', 'fixtures', 'histories');
const record = process.env.THREDS_RECORD_HISTORIES === '1';
const library = (name: string): unknown => JSON.parse(readFileSync(join(libraryDir, `${name}.json`), 'utf8'));

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine('replay', {
    patterns: [library('uav_detect'), library('echo'), library('and_or_chain')],
    agents: [
      {
        nodeType: 'org.wt.persistence',
        nodeIds: ['org.wt.persistence.1'],
        taskQueue: agentType('persistence'), // never shares the real agent's queue
        handler: async (message: Message) => {
          const tasks = (message.event.data?.content?.tasks ?? []) as { op: string }[];
          const result = tasks.map((t) =>
            t.op === 'get' ? [{ sensorId: 'sensor0', contactId: 'participant0' }] : { id: 'ticket-1' },
          );
          return {
            id: `r-${message.id}`,
            type: 'org.wt.persistence',
            source: { id: 'org.wt.persistence.1' },
            data: { content: { values: { result } } },
          };
        },
      },
    ],
  });
});
afterAll(async () => e?.close());

async function runUav(): Promise<string> {
  const detection = evt('org.wt.sensor.detectionEvent', 'sensor_agent0', {
    data: { content: { values: { sensorId: 'sensor0', latitude: 32.9, longitude: -97.0 } } },
  });
  const thredId = (await e.router.route(detection)).started[0]!;
  const prompt = await waitFor(
    async () => (await e.store.outbox.since('participant0', 0)).find((m) => m.message.event.thredId === thredId),
    'the UAV prompt',
  );
  await e.router.route(
    evt('org.wt.client.tell', 'participant0', {
      thredId,
      re: prompt.message.event.id,
      data: { content: { values: { video_stream_request: true } } },
    }),
  );
  await e.s.client.workflow.getHandle(thredId).result();
  return thredId;
}

async function runEcho(): Promise<string> {
  const first = evt('org.wt.echo', 'participant1', {
    data: { content: { values: { echoTo: 'participant1', echoTitle: 'echo', echoContent: { x: 1 } } } },
  });
  const thredId = (await e.router.route(first)).started[0]!;
  await e.router.route(
    evt('org.wt.echo', 'participant1', {
      thredId,
      data: { content: { values: { echoTo: 'participant1', echoTitle: 'again' } } },
    }),
  );
  await waitFor(async () => (await e.snapshot(thredId)).state.locals.echoTimes === 2, 'two echoes');
  await e.s.client.workflow.getHandle(thredId).executeUpdate('control', { args: [{ op: 'terminate' }] });
  await e.s.client.workflow.getHandle(thredId).result();
  return thredId;
}

describe('replay', () => {
  it('replays histories of library threds run now with the current code', async () => {
    const ids = [await runUav(), await runEcho()];
    const histories = await Promise.all(ids.map((id) => e.s.client.workflow.getHandle(id).fetchHistory()));
    const bundle = await workflowBundle();
    for (const [i, history] of histories.entries()) {
      await Worker.runReplayHistory({ workflowBundle: bundle, sinks: replaySinks }, history, ids[i]);
    }
    if (record) {
      mkdirSync(fixtures, { recursive: true });
      const names = ['uav_detect', 'echo'];
      histories.forEach((h, i) => writeFileSync(join(fixtures, `${names[i]}.json`), historyToJSON(h)));
    }
  });

  it('replays the recorded histories of earlier versions', async () => {
    const files = existsSync(fixtures) ? readdirSync(fixtures).filter((f) => f.endsWith('.json')) : [];
    expect(files.length).toBeGreaterThan(0);
    const bundle = await workflowBundle();
    for (const file of files) {
      const history: unknown = JSON.parse(readFileSync(join(fixtures, file), 'utf8')); // the worker converts JSON histories
      await Worker.runReplayHistory({ workflowBundle: bundle, sinks: replaySinks }, history, file);
    }
  });
});
