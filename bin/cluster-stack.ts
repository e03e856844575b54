/**
 * The local cluster (SPEC §13, `threds cluster`, the cluster suite): PostgreSQL from the system's packages run by an
 * unprivileged initdb/pg_ctl in a data folder, the real Temporal server on it (postgres12 plugin, config generated at
 * every start), the Temporal UI server, FerretDB on PostgreSQL (all in bin/cluster/servers.ts); and the Threds
 * processes (gateways, workers, agents) as supervised children with prefixed log lines, after `threds setup`. The
 * binaries come from scripts/install-tools.sh.
 */
import { connectTemporal } from '../gateway/temporal-connection';
import { openStore } from '../store';
import { loadDirectory } from '../store/directory';
import type { Config } from './config';
import { formatCredentials, seedDemo } from './demo-seed';
import { retentionMs, setupThreds } from './commands/setup';
import type { ClusterPorts } from './cluster/ports';
import { startClusterServers, type ClusterServers } from './cluster/servers';
import { superviseThreds } from './cluster/supervisor';
import type { TemporalServerTls } from './cluster/temporal-server';
import type { ThredsProcess, ThredsProcessSpec } from './cluster/threds-process';

export { DEFAULT_CLUSTER_PORTS, freeClusterPorts, type ClusterPorts } from './cluster/ports';
export { startClusterServers, type ClusterServers } from './cluster/servers';
export type { TemporalServerTls } from './cluster/temporal-server';
export type { ThredsProcess } from './cluster/threds-process';

export interface ClusterOptions {
  /** Everything lives here (.data/cluster for `threds cluster`). */
  dir: string;
  ports: ClusterPorts;
  /** Threds' settings for every process (namespace, database, JWT secret, config dir, …). */
  config: Config;
  workers?: number;
  /** Agent processes: nodeTypes (default: every configured agent with an implementation, one process each). */
  agents?: string[];
  ui?: boolean;
  /** Seed the demo participants (like `threds dev`). */
  demo?: boolean;
  /** Environment added to every Threds process (after the cluster's own variables). */
  env?: NodeJS.ProcessEnv;
  /** Restart a Threds process that dies after it was ready (like a container's restart policy). Default true. */
  restartOnCrash?: boolean;
  /** Output of servers' start-up and of every Threds process, by name (`cluster`, `gateway-1`, …). */
  log: (name: string, line: string) => void;
  tls?: TemporalServerTls;
  /** Servers already running (from startClusterServers): the Threds processes join them, and stop() stops them too. */
  servers?: ClusterServers;
}

export interface Cluster {
  servers: ClusterServers;
  gatewayUrls: string[];
  /** Threds processes by name, current incarnation. */
  processes: Map<string, ThredsProcess>;
  /** Demo credentials when `demo` (as `threds dev` prints them). */
  demoCredentials: string[];
  /** Sends a signal; with restartOnCrash the supervisor starts it again once it has died. */
  kill(name: string, signal: NodeJS.Signals): void;
  /** Resolves when `name` runs again and is ready (after a kill). */
  nextIncarnation(name: string): Promise<ThredsProcess>;
  stop(): Promise<void>;
}

/**
 * The production topology on one machine (SPEC §13): servers, `threds setup`, library patterns (and the demo), then
 * workers, agents and gateways as separate `threds` processes. Stop: gateways, agents, workers, the servers,
 * PostgreSQL last.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const say = (line: string) => opts.log('cluster', line);
  const servers =
    opts.servers ??
    (await startClusterServers({
      dir: opts.dir,
      ports: opts.ports,
      namespace: opts.config.temporalNamespace,
      log: say,
      ...(opts.ui !== undefined && { ui: opts.ui }),
      ...(opts.tls && { tls: opts.tls }),
    }));
  const supervisor = superviseThreds({
    log: opts.log,
    ...(opts.restartOnCrash !== undefined && { restartOnCrash: opts.restartOnCrash }),
  });
  const stop = async () => {
    await supervisor.stop();
    await servers.stop();
  };
  try {
    const config: Config = { ...opts.config, temporalAddress: servers.temporalAddress, mongoUrl: servers.mongoUrl };
    const demoCredentials = await prepareNamespace(config, opts.demo === true, say);
    const specs = thredsProcessSpecs(config, opts);
    for (const spec of specs) supervisor.start(spec);
    const results = await Promise.allSettled(specs.map((s) => supervisor.processes.get(s.name)!.ready));
    results.forEach((r, i) => {
      const name = specs[i]!.name;
      // An agent whose implementation lacks options exits at start (its log says why): the rest of the cluster runs.
      if (r.status === 'rejected' && !name.startsWith('agent-'))
        throw new Error(`${name} did not start: ${String(r.reason)}`);
    });
    return {
      servers,
      gatewayUrls: opts.ports.gateways.map((port) => `http://127.0.0.1:${port}`),
      processes: supervisor.processes,
      demoCredentials,
      kill: supervisor.kill,
      nextIncarnation: supervisor.nextIncarnation,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `threds setup` (namespace, search attributes, library patterns) and, with `demo`, the demo's participants. */
async function prepareNamespace(config: Config, demo: boolean, say: (line: string) => void): Promise<string[]> {
  const demoCredentials: string[] = [];
  const connection = await connectTemporal(config.temporalAddress, config);
  const { store, client } = await openStore(config.mongoUrl, config.mongoDb);
  try {
    await setupThreds({
      connection,
      namespace: config.temporalNamespace,
      retentionMs: retentionMs(config),
      store,
      config,
      log: (l) => say(`setup: ${l}`),
    });
    if (demo) {
      const seeded = await seedDemo({ store, config });
      demoCredentials.push(...formatCredentials(seeded.credentials, Boolean(config.adminPassword)));
    }
  } finally {
    await client.close();
    await connection.close();
  }
  return demoCredentials;
}

/** Workers, then agents, then gateways: the start order, so that stopping (its reverse) takes the gateways first. */
function thredsProcessSpecs(config: Config, opts: ClusterOptions): ThredsProcessSpec[] {
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: config.temporalAddress,
    TEMPORAL_NAMESPACE: config.temporalNamespace,
    MONGO_URL: config.mongoUrl,
    MONGO_DB: config.mongoDb,
    THREDS_JWT_SECRET: config.jwtSecret,
    THREDS_DATA_DIR: config.dataDir,
    THREDS_TASK_QUEUE: config.taskQueue,
    ...(config.configDir && { THREDS_CONFIG_DIR: config.configDir }),
    ...opts.env,
  };
  const directory = loadDirectory(config.configDir);
  const agentTypes = opts.agents ?? directory.agents.filter((a) => a.implementation).map((a) => a.nodeType);
  const workers = opts.workers ?? 2;
  return [
    ...Array.from({ length: workers }, (_, i) => ({
      name: `worker-${i + 1}`,
      args: ['worker'],
      env: { ...baseEnv, THREDS_METRICS_PORT: String(opts.ports.metrics[i]) },
      readyLine: /worker polling/,
    })),
    ...agentTypes.map((nodeType, i) => ({
      name: `agent-${nodeType}`,
      args: ['agent', nodeType],
      env: { ...baseEnv, THREDS_METRICS_PORT: String(opts.ports.metrics[workers + i]) },
      readyLine: /polling on/,
    })),
    ...opts.ports.gateways.map((port, i) => ({
      name: `gateway-${i + 1}`,
      args: ['gateway'],
      env: { ...baseEnv, THREDS_PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/ready`,
    })),
  ];
}
