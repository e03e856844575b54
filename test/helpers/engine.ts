/**
 * A real engine for integration tests: the thred worker (prebuilt bundle) on the file's own task queue, agent workers
 * on their own queues, the router, and the file's own database — all on the servers `npm test` started.
 */
import { randomBytes } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { validatePattern, type Message, type ThredsEvent } from '../../patterns';
import { createStore, type Store } from '../../store';
import type { AgentConfig, Directory } from '../../store/directory';
import { createRouter, type Router } from '../../gateway/routing';
import { createThredWorker } from '../../bin/worker';
import { engineSettings } from '../../bin/settings';
import { stateQuery, type EngineSettings, type ThredSnapshot } from '../../workflows/messages';
import { connectTestServers, type TestServers } from './servers';
import { pollUntil } from '../../bin/poll';

export type AgentHandler = (message: Message) => Promise<ThredsEvent | null>;

export interface EngineOptions {
  patterns: unknown[];
  agents?: (AgentConfig & { handler: AgentHandler })[];
  groups?: Record<string, string[]>;
  settings?: Partial<EngineSettings>;
}

export interface TestEngine {
  s: TestServers;
  store: Store;
  router: Router;
  settings: EngineSettings;
  connection: NativeConnection;
  /** Starts (again) the thred worker; tests that kill workers call stopThredWorker first. */
  startThredWorker(): Promise<void>;
  stopThredWorker(): Promise<void>;
  snapshot(thredId: string): Promise<ThredSnapshot>;
  close(): Promise<void>;
}

let counter = 0;
/** A unique, valid event id. */
export function eventId(prefix = 'e'): string {
  return `${prefix}-${randomBytes(3).toString('hex')}-${++counter}`;
}

export function evt(type: string, sourceId: string, extra: Partial<ThredsEvent> = {}): ThredsEvent {
  return { id: eventId(), type, source: { id: sourceId }, time: Date.now(), ...extra };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  return pollUntil(what, probe, { timeoutMs });
}

export async function startEngine(label: string, opts: EngineOptions): Promise<TestEngine> {
  const s = await connectTestServers(label);
  const store = createStore(s.db);
  await store.ensureIndexes();
  const directory: Directory = {
    groups: opts.groups ?? {},
    roles: {},
    agents: (opts.agents ?? []).map(({ handler: _h, ...a }) => a),
    configDir: '',
  };
  const settings: EngineSettings = { ...engineSettings(directory, {}), ...opts.settings };
  for (const p of opts.patterns) {
    const report = validatePattern(p);
    if (!report.valid || !report.pattern) throw new Error(`test pattern invalid: ${JSON.stringify(report.errors)}`);
    await store.patterns.put(report.pattern, Date.now());
  }
  const connection = await NativeConnection.connect({ address: s.address });
  let thred: { worker: Worker; running: Promise<void> } | undefined;
  const agentWorkers = await Promise.all(
    (opts.agents ?? []).map(async (a) => {
      const worker = await Worker.create({
        connection,
        namespace: s.namespace,
        taskQueue: a.taskQueue ?? a.nodeType,
        activities: { handleMessage: a.handler },
      });
      return { worker, running: worker.run() };
    }),
  );
  const engine: TestEngine = {
    s,
    store,
    settings,
    connection,
    router: createRouter({ client: s.client, store, settings, taskQueue: s.taskQueue, patternCacheMs: 0 }),
    async startThredWorker() {
      const worker = await createThredWorker({
        connection,
        namespace: s.namespace,
        store,
        directory,
        taskQueue: s.taskQueue,
      });
      thred = { worker, running: worker.run() };
    },
    async stopThredWorker() {
      if (!thred) return;
      thred.worker.shutdown();
      await thred.running;
      thred = undefined;
    },
    async snapshot(thredId) {
      return s.client.workflow.getHandle(thredId).query(stateQuery);
    },
    async close() {
      await engine.stopThredWorker();
      for (const a of agentWorkers) a.worker.shutdown();
      await Promise.all(agentWorkers.map((a) => a.running));
      await connection.close();
      await s.close();
    },
  };
  await engine.startThredWorker();
  return engine;
}

/** A per-file agent node type, so parallel files never share an agent queue. */
export function agentType(name: string): string {
  return `test.${name}.${randomBytes(3).toString('hex')}`;
}
