/**
 * The agent runtime: one Temporal activity worker per configured agent (SPEC §6), polling the agent's task queue
 * (its nodeType unless `taskQueue` says otherwise) and serving `handleMessage` from its implementation. Agents without
 * an implementation are served elsewhere (another process or language) and skipped here, as are agents whose
 * implementation lacks required options — each with a log line saying why.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import type { Store } from '../store';
import type { AgentConfig, Directory } from '../store/directory';
import { createAgentActivities } from '../activities/agents/runtime';
import { loadImplementation } from '../activities/agents/load';
import { AgentNotConfigured, type AgentImplementation } from '../activities/agents/types';
import { agentTelemetry } from '../telemetry/agent';

export interface AgentWorkersOptions {
  connection: NativeConnection;
  namespace: string;
  store: Store;
  directory: Directory;
  mongoUrl: string;
  /** nodeTypes to run (default: every configured agent with an implementation). */
  only?: string[];
  logger?: Logger;
}

export interface AgentWorkers {
  /** nodeTypes actually started. */
  started: string[];
  shutdown(): Promise<void>;
  /** Settles when every worker has stopped (rejects if one fails). */
  running: Promise<void>;
}

export function nodeIdOf(a: AgentConfig): string {
  return a.nodeIds?.[0] ?? a.nodeType;
}

export async function startAgentWorkers(opts: AgentWorkersOptions): Promise<AgentWorkers> {
  const log = opts.logger ?? pino({ name: 'threds-agents', level: process.env.LOG_LEVEL || 'info' });
  const wanted = opts.only ? new Set(opts.only) : undefined;
  if (wanted) {
    const unknown = [...wanted].filter((t) => !opts.directory.agents.some((a) => a.nodeType === t));
    if (unknown.length > 0)
      throw new Error(
        `no agent configured with nodeType ${unknown.join(', ')} in ${opts.directory.configDir}/agents.json`,
      );
  }
  const started: { nodeType: string; worker: Worker; impl: AgentImplementation }[] = [];
  try {
    for (const config of opts.directory.agents) {
      if (wanted && !wanted.has(config.nodeType)) continue;
      const logger = log.child({ agent: config.nodeType });
      if (!config.implementation) {
        logger.info('no implementation configured: served by an outside worker, not started here');
        continue;
      }
      const nodeId = nodeIdOf(config);
      const init = {
        config,
        nodeType: config.nodeType,
        nodeId,
        options: config.options ?? {},
        logger,
        mongoUrl: opts.mongoUrl,
        thredsDb: opts.store.db.databaseName,
        configDir: opts.directory.configDir,
      };
      let impl: AgentImplementation;
      try {
        impl = await loadImplementation(config.implementation, init);
      } catch (err) {
        if (!(err instanceof AgentNotConfigured)) throw err;
        logger.warn(`skipped: ${err.message}`);
        continue;
      }
      const taskQueue = config.taskQueue ?? config.nodeType;
      const worker = await Worker.create({
        connection: opts.connection,
        namespace: opts.namespace,
        taskQueue,
        activities: createAgentActivities(impl, init),
        interceptors: { activity: [agentTelemetry(config.nodeType)] },
        maxConcurrentActivityTaskExecutions: config.concurrency ?? 10,
        // Long tasks get this long to finish (or notice cancellation) on shutdown.
        shutdownGraceTime: '10s',
      });
      started.push({ nodeType: config.nodeType, worker, impl });
      logger.info({ taskQueue, nodeId, implementation: config.implementation }, 'agent worker started');
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.impl.close?.()));
    throw err;
  }
  const runs = started.map((s) => s.worker.run());
  const running = Promise.all(runs).then(async () => {
    await Promise.all(
      started.map((s) => s.impl.close?.().catch((err: unknown) => log.warn({ err }, 'agent close failed'))),
    );
  });
  return {
    started: started.map((s) => s.nodeType),
    async shutdown() {
      for (const s of started) if (s.worker.getState() === 'RUNNING') s.worker.shutdown();
      await running;
    },
    running,
  };
}
