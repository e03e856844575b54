/**
 * The embedded servers: the Temporal CLI dev server and FerretDB (MongoDB wire protocol on SQLite), run as child
 * processes from the binaries scripts/install-tools.sh puts in .tools/bin. Used by `threds dev` (persistent data under
 * .data/) and `threds test` (throwaway data, free ports); the cluster (bin/cluster/) launches and stops its servers
 * with the same helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { pollUntil } from './poll';

export const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const toolsBin = join(projectRoot, '.tools', 'bin');

/** Search attributes every namespace Threds uses must have (SPEC §10). */
export const THRED_SEARCH_ATTRIBUTES = ['ThredPattern', 'ThredReaction', 'ThredStatus'] as const;

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
}

export interface TemporalServerOptions {
  port: number;
  uiPort?: number; // undefined → headless
  dbFile?: string; // undefined → in-memory
  dataDir: string; // logs go here
}

export interface MongoServerOptions {
  port: number;
  dataDir: string;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

/** A free port for the Temporal dev server, whose HTTP API and metrics take port+10 and port+11. */
export async function freeTemporalPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 11 < 65536 && !(await portInUse(port + 10)) && !(await portInUse(port + 11))) return port;
  }
}

export async function portInUse(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.once('error', () => ok(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => ok(false)));
  });
}

/** The embedded stack's way out of a missing tool: set-up, or servers of one's own (the cluster passes its own). */
const SETUP_REMEDY =
  '. Run `npm run setup` (needs Go), or set TEMPORAL_ADDRESS and MONGO_URL to servers you already run.';

/** The path of `name` in .tools/bin; throws, naming `remedy`, when it is missing. */
export function requireTool(name: string, remedy = SETUP_REMEDY): string {
  const path = join(toolsBin, name);
  if (!existsSync(path)) throw new Error(`${name} is not installed in .tools/bin${remedy}`);
  return path;
}

/** Runs `cmd` detached, stdout and stderr appended to `<logDir>/<name>.log`. */
export function launch(name: string, cmd: string, args: string[], logDir: string): ServerProcess {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  // Own process group, so Ctrl-C in the terminal reaches us first and we stop the servers in order.
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true });
  return { name, child, logFile };
}

/**
 * The FerretDB flags that follow the handler's own, whichever handler: state in `stateDir`, listening on loopback only,
 * no debug endpoint and no telemetry (the machines it runs on may be offline).
 */
export function ferretdbArgs(stateDir: string, port: number): string[] {
  return [
    `--state-dir=${stateDir}`,
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
  ];
}

export function startTemporal(opts: TemporalServerOptions): ServerProcess {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--http-port',
    String(opts.port + 10),
    '--metrics-port',
    String(opts.port + 11),
    '--log-level',
    'warn',
    // Updates are used by the admin API; the server check avoids an outbound call on this offline machine.
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    ...THRED_SEARCH_ATTRIBUTES.flatMap((sa) => ['--search-attribute', `${sa}=Keyword`]),
  ];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    // WAL: without it SQLite fsyncs every commit and the dev server manages ~1 workflow/s.
    args.push(
      '--db-filename',
      opts.dbFile,
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--sqlite-pragma',
      'synchronous=NORMAL',
    );
  }
  return launch('temporal', requireTool('temporal'), args, opts.dataDir);
}

export function startMongo(opts: MongoServerOptions): ServerProcess {
  const dbDir = join(opts.dataDir, 'ferretdb');
  mkdirSync(dbDir, { recursive: true });
  return launch(
    'ferretdb',
    requireTool('ferretdb'),
    [
      '--handler=sqlite',
      // WAL with synchronous=NORMAL: durable across process crashes, ~2.5× faster concurrent writes than the default.
      `--sqlite-url=file:${dbDir}/?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)`,
      ...ferretdbArgs(opts.dataDir, opts.port),
    ],
    opts.dataDir,
  );
}

/** Until `probe` resolves (a throw is "not yet"), or the server exits. */
async function waitFor(what: string, server: ServerProcess | undefined, probe: () => Promise<void>, timeoutMs: number) {
  await pollUntil(what, () => probe().then(() => true), { timeoutMs, intervalMs: 200, process: server });
}

export async function waitForTemporal(address: string, server?: ServerProcess, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `Temporal at ${address}`,
    server,
    async () => {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
      } finally {
        await conn.close();
      }
    },
    timeoutMs,
  );
}

export async function waitForMongo(url: string, server?: ServerProcess, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `MongoDB at ${url}`,
    server,
    async () => {
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 1000 });
      try {
        await client.db('admin').command({ ping: 1 });
      } finally {
        await client.close();
      }
    },
    timeoutMs,
  );
}

/**
 * Stops processes in reverse start order: `signal`, then SIGKILL after `graceMs`. The embedded servers get SIGINT by
 * default, what Ctrl-C in their terminal would send them.
 */
export async function stopAll(
  processes: readonly Pick<ServerProcess, 'child'>[],
  graceMs = 10_000,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<void> {
  for (const { child } of [...processes].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Throwaway servers for tests and benchmarks: in-memory Temporal and FerretDB in `dataDir`, on free ports — unless
 * TEMPORAL_ADDRESS and MONGO_URL are both given, in which case those are used and nothing is started.
 */
export async function throwawayServers(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ address: string; mongoUrl: string; servers: ServerProcess[] }> {
  if (env.TEMPORAL_ADDRESS && env.MONGO_URL) {
    return { address: env.TEMPORAL_ADDRESS, mongoUrl: env.MONGO_URL, servers: [] };
  }
  const [tport, mport] = [await freeTemporalPort(), await freePort()];
  const servers = [startTemporal({ port: tport, dataDir }), startMongo({ port: mport, dataDir })];
  const address = `127.0.0.1:${tport}`;
  const mongoUrl = `mongodb://127.0.0.1:${mport}`;
  try {
    await Promise.all([waitForTemporal(address, servers[0]), waitForMongo(mongoUrl, servers[1])]);
  } catch (err) {
    await stopAll(servers);
    throw err;
  }
  return { address, mongoUrl, servers };
}
