/**
 * `threds cluster` (npm run cluster): the production topology on this machine, without containers (SPEC §13).
 * PostgreSQL (an unprivileged initdb/pg_ctl under .data/cluster/pg), the real Temporal server on it, the Temporal UI
 * (:8233), FerretDB on PostgreSQL (:27017), `threds setup`, then two workers, the agents and two gateways (:3000,
 * :3001), each its own process with prefixed output. Ctrl-C stops everything in reverse order; data survives.
 */
import { join } from 'node:path';
import { loadConfig } from '../config';
import { DEFAULT_CLUSTER_PORTS, startCluster, type Cluster } from '../cluster-stack';
import { portInUse } from '../stack';

export async function run(_argv: string[]): Promise<number> {
  const config = loadConfig();
  const ports = DEFAULT_CLUSTER_PORTS;
  const dir = join(config.dataDir, 'cluster');
  const fixed: [string, number][] = [
    ['PostgreSQL', ports.postgres],
    ['Temporal', ports.temporal],
    ['Temporal UI', ports.ui],
    ['FerretDB', ports.mongo],
    ...ports.gateways.map((p, i): [string, number] => [`gateway-${i + 1}`, p]),
  ];
  for (const [what, port] of fixed) {
    if (await portInUse(port)) {
      console.error(
        `[cluster] port ${port} (${what}) is in use: is \`npm start\` or another cluster running? Stop it first.`,
      );
      return 1;
    }
  }
  const width = 'agent-org.wt.persistence'.length;
  const log = (name: string, line: string) => console.log(`[${name}]`.padEnd(width + 2), line);

  let cluster: Cluster | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      console.log('\n[cluster] stopping (gateways, agents, workers, UI, FerretDB, Temporal, PostgreSQL)…');
      await cluster?.stop();
      console.log('[cluster] stopped; data kept in', dir);
    })());
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  try {
    cluster = await Promise.race([
      startCluster({ dir, ports, config, demo: process.env.THREDS_DEMO !== '0', log }),
      signalled.then(() => {
        throw new Error('interrupted during start');
      }),
    ]);
  } catch (err) {
    console.error(`[cluster] ${err instanceof Error ? err.message : String(err)}`);
    await stop();
    return 1;
  }
  console.log(
    [
      '',
      '[cluster] ready',
      ...cluster.gatewayUrls.map((url, i) => `  gateway-${i + 1}    ${url}   (console /, GET /ready, WebSocket /ws)`),
      `  Temporal     ${cluster.servers.temporalAddress} (server ${join(dir, 'temporal', 'config', 'threds.yaml')})`,
      ...(cluster.servers.uiUrl ? [`  Temporal UI  ${cluster.servers.uiUrl}`] : []),
      `  MongoDB      ${cluster.servers.mongoUrl}/${config.mongoDb} (FerretDB on PostgreSQL 127.0.0.1:${ports.postgres})`,
      `  data         ${dir}   server logs ${cluster.servers.logDir}`,
      ...(cluster.demoCredentials.length > 0 ? ['  demo logins:', ...cluster.demoCredentials] : []),
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  await signalled;
  await stop();
  return 0;
}
