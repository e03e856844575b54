/**
 * A real engine whose agents run in the agent runtime (bin/agents.ts) from a directory of agent configs, as in
 * production — unlike engine.ts, whose agents are bare handler functions.
 */
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { validatePattern } from '../../patterns';
import { createStore, type Store } from '../../store';
import type { AgentConfig, Directory } from '../../store/directory';
import { createRouter, type Router } from '../../gateway/routing';
import { createThredWorker } from '../../bin/worker';
import { engineSettings } from '../../bin/settings';
import { startAgentWorkers, type AgentWorkers } from '../../bin/agents';
import { connectTestServers, type TestServers } from './servers';

export interface AgentEngine {
  s: TestServers;
  store: Store;
  router: Router;
  directory: Directory;
  agents: AgentWorkers;
  connection: NativeConnection;
  close(): Promise<void>;
}

export async function startAgentEngine(
  label: string,
  opts: { patterns: unknown[]; agents: AgentConfig[]; configDir: string },
): Promise<AgentEngine> {
  const s = await connectTestServers(label);
  const store = createStore(s.db);
  await store.ensureIndexes();
  const directory: Directory = { groups: {}, roles: {}, agents: opts.agents, configDir: opts.configDir };
  const settings = engineSettings(directory, {});
  for (const p of opts.patterns) {
    const report = validatePattern(p);
    if (!report.valid || !report.pattern) throw new Error(`test pattern invalid: ${JSON.stringify(report.errors)}`);
    await store.patterns.put(report.pattern, Date.now());
  }
  const connection = await NativeConnection.connect({ address: s.address });
  const agents = await startAgentWorkers({
    connection,
    namespace: s.namespace,
    store,
    directory,
    mongoUrl: s.mongoUrl,
    logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
  });
  const thred: Worker = await createThredWorker({
    connection,
    namespace: s.namespace,
    store,
    directory,
    taskQueue: s.taskQueue,
  });
  const thredRun = thred.run();
  return {
    s,
    store,
    directory,
    agents,
    connection,
    router: createRouter({ client: s.client, store, settings, taskQueue: s.taskQueue, patternCacheMs: 0 }),
    async close() {
      thred.shutdown();
      await thredRun;
      await agents.shutdown();
      await connection.close();
      await s.close();
    },
  };
}
