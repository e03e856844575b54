/**
 * The local cluster's servers (SPEC §13, `threds cluster`, the cluster suite): PostgreSQL from the system's packages
 * run by an unprivileged initdb/pg_ctl in a data folder, the real Temporal server on it (postgres12 plugin, config
 * generated here), the Temporal UI server, FerretDB on PostgreSQL; and the Threds processes (gateways, workers,
 * agents) as supervised children with prefixed log lines. The binaries come from scripts/install-tools.sh.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, portInUse, projectRoot, toolsBin, waitForMongo, waitForTemporal, type ServerProcess } from './stack';
import { connectTemporal } from '../gateway/temporal-connection';
import { openStore } from '../store';
import { loadDirectory } from '../store/directory';
import type { Config } from './config';
import { formatCredentials, seedDemo } from './demo-seed';
import { retentionMs, setupThreds } from './commands/setup';
import { pollUntil, waitForHttp } from './poll';

const run = promisify(execFile);

export interface ClusterPorts {
  postgres: number;
  /** Temporal frontend gRPC (what clients use). */
  temporal: number;
  temporalHttp: number;
  temporalHistory: number;
  temporalMatching: number;
  temporalWorker: number;
  /** Ringpop membership ports of frontend, history, matching, worker. */
  temporalMembership: [number, number, number, number];
  temporalMetrics: number;
  ui: number;
  mongo: number;
  gateways: number[];
  /** THREDS_METRICS_PORT of each worker and agent process, in start order. */
  metrics: number[];
}

/** `npm run cluster`: the ports of the dev stack and of Temporal's own development config. */
export const DEFAULT_CLUSTER_PORTS: ClusterPorts = {
  postgres: 5433, // not 5432: a system PostgreSQL may hold it
  temporal: 7233,
  temporalHttp: 7243,
  temporalHistory: 7234,
  temporalMatching: 7235,
  temporalWorker: 7239,
  temporalMembership: [6933, 6934, 6935, 6939],
  temporalMetrics: 7244,
  ui: 8233,
  mongo: 27017,
  gateways: [3000, 3001],
  metrics: [9464, 9465, 9466, 9467, 9468, 9469, 9470, 9471],
};

/** Distinct free ports for every server (tests, and a cluster beside a running dev stack). */
export async function freeClusterPorts(gateways = 2): Promise<ClusterPorts> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  // Temporal stores membership ports in a smallint column: they must be below 32768, under the ephemeral range.
  const low = async (): Promise<number> => {
    for (;;) {
      const p = 20_000 + Math.floor(Math.random() * 12_000);
      if (!taken.has(p) && !(await portInUse(p))) {
        taken.add(p);
        return p;
      }
    }
  };
  return {
    postgres: await next(),
    temporal: await next(),
    temporalHttp: await next(),
    temporalHistory: await next(),
    temporalMatching: await next(),
    temporalWorker: await next(),
    temporalMembership: [await low(), await low(), await low(), await low()],
    temporalMetrics: await next(),
    ui: await next(),
    mongo: await next(),
    gateways: await Promise.all(Array.from({ length: gateways }, next)),
    metrics: await Promise.all(Array.from({ length: 8 }, next)),
  };
}

function tool(name: string): string {
  const path = join(toolsBin, name);
  if (!existsSync(path)) {
    throw new Error(`${name} is not installed in .tools/bin: run \`bash scripts/install-tools.sh\` (needs Go).`);
  }
  return path;
}

// --- PostgreSQL -------------------------------------------------------------------------------------------------

/** The server binaries (initdb, pg_ctl, psql): THREDS_PG_BINDIR, `pg_config --bindir`, or Debian's newest. */
export async function postgresBinDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidates: string[] = [];
  if (env.THREDS_PG_BINDIR) candidates.push(env.THREDS_PG_BINDIR);
  try {
    candidates.push((await run('pg_config', ['--bindir'])).stdout.trim());
  } catch {
    // no pg_config on PATH: look where Debian puts the server
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  const found = candidates.find((dir) =>
    ['initdb', 'pg_ctl', 'postgres', 'psql'].every((b) => existsSync(join(dir, b))),
  );
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found: run `npm run setup` (installs PostgreSQL when missing) ' +
        'or set THREDS_PG_BINDIR.',
    );
  }
  return found;
}

export interface Postgres {
  port: number;
  user: string;
  password: string;
  /** postgres:// URL of one database. */
  url(db: string): string;
  psql(db: string, sql: string): Promise<string>;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * initdb refuses to run as root, and the server must not: as root, PostgreSQL runs as the `postgres` system user
 * (Debian's package creates it), else `nobody`, through runuser; otherwise as ourselves.
 */
async function runAsPrefix(): Promise<{ prefix: string[]; uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return { prefix: [] };
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number((await run('id', ['-u', user])).stdout.trim());
      const gid = Number((await run('id', ['-g', user])).stdout.trim());
      return { prefix: ['runuser', '-u', user, '--'], uid, gid };
    } catch {
      // try the next user
    }
  }
  throw new Error('running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as');
}

const DB_USER = 'threds';

/** `dir`'s parent folders, up to the root. */
function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dirname(resolve(dir)); ; d = dirname(d)) {
    out.push(d);
    if (dirname(d) === d) return out;
  }
}

/** Starts (initialising on first use) a PostgreSQL server in `<dir>/data` on 127.0.0.1:port, TCP only. */
export async function startPostgres(opts: { dir: string; port: number }): Promise<Postgres> {
  const bin = await postgresBinDir();
  const { prefix, uid, gid } = await runAsPrefix();
  const asUser = (cmd: string, args: string[]) => {
    const argv = [...prefix, join(bin, cmd), ...args];
    return run(argv[0]!, argv.slice(1), { maxBuffer: 16 << 20 });
  };
  mkdirSync(opts.dir, { recursive: true });
  const data = join(opts.dir, 'data');
  const logFile = join(opts.dir, 'postgres.log');
  // The password lives beside the data, readable by us only; the server keeps its scram hash.
  const passwordFile = join(opts.dir, 'password');
  if (uid !== undefined) {
    chmodSync(opts.dir, 0o755);
    chownSync(opts.dir, uid, gid!);
    const blocked = ancestors(opts.dir).find((d) => (statSync(d).mode & 0o001) === 0);
    if (blocked) {
      throw new Error(
        `PostgreSQL runs as ${prefix[2]}, which cannot enter ${blocked} (mode ${(statSync(blocked).mode & 0o777).toString(8)}): chmod o+x it, or use another data folder`,
      );
    }
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    rmSync(data, { recursive: true, force: true });
    const password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
    const pwfile = join(opts.dir, 'initdb-password');
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (uid !== undefined) {
      chownSync(pwfile, uid, gid!);
      chownSync(passwordFile, process.getuid!(), process.getgid!());
    }
    try {
      await asUser('initdb', [
        '-D',
        data,
        '-U',
        DB_USER,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-instructions',
      ]);
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`initdb failed in ${data}: ${e.stderr || e.message}`);
    } finally {
      rmSync(pwfile, { force: true });
    }
    // TCP on loopback only: no socket directory to own, no collision with a system server's socket.
    writeFileSync(
      join(data, 'postgresql.conf'),
      [
        readFileSync(join(data, 'postgresql.conf'), 'utf8'),
        '# threds cluster',
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        // Temporal opens a pool per service (4 services × store + visibility) and FerretDB its own.
        'max_connections = 300',
        'shared_buffers = 128MB',
        '',
      ].join('\n'),
    );
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  // A server left running by a killed `threds cluster` holds the pid file: stop it, then start ours.
  const status = await asUser('pg_ctl', ['-D', data, 'status']).then(
    () => true,
    () => false,
  );
  if (status) await asUser('pg_ctl', ['-D', data, 'stop', '-m', 'fast', '-w']);
  try {
    await asUser('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', `-p ${opts.port}`, 'start']);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
    throw new Error(`PostgreSQL did not start (port ${opts.port}): ${e.stderr || e.message}\n${tail}`);
  }
  const psql = async (db: string, sql: string) =>
    (
      await run(
        join(bin, 'psql'),
        ['-h', '127.0.0.1', '-p', String(opts.port), '-U', DB_USER, '-d', db, '-v', 'ON_ERROR_STOP=1', '-tAc', sql],
        {
          env: { ...process.env, PGPASSWORD: password },
        },
      )
    ).stdout.trim();
  return {
    port: opts.port,
    user: DB_USER,
    password,
    url: (db) => `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${db}`,
    psql,
    logFile,
    async stop() {
      await asUser('pg_ctl', ['-D', data, 'stop', '-m', 'fast', '-w']).catch(() => undefined);
    },
  };
}

export async function ensureDatabases(pg: Postgres, names: string[]): Promise<void> {
  for (const name of names) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    const exists = await pg.psql('postgres', `SELECT 1 FROM pg_database WHERE datname = '${name}'`);
    if (exists !== '1') await pg.psql('postgres', `CREATE DATABASE ${name}`);
  }
}

export const TEMPORAL_DB = 'temporal';
export const TEMPORAL_VISIBILITY_DB = 'temporal_visibility';
export const FERRETDB_DB = 'ferretdb';

/** Temporal's schemas at the installed server's version: setup-schema once, update-schema every start (no-op when current). */
export async function setupTemporalSchemas(pg: Postgres): Promise<void> {
  const sqlTool = tool('temporal-sql-tool');
  const schemaRoot = join(projectRoot, '.tools', 'share', 'temporal', 'schema', 'postgresql', 'v12');
  for (const [db, dir] of [
    [TEMPORAL_DB, 'temporal'],
    [TEMPORAL_VISIBILITY_DB, 'visibility'],
  ] as const) {
    const base = [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '-p',
      String(pg.port),
      '-u',
      pg.user,
      '--pw',
      pg.password,
      '--db',
      db,
    ];
    const hasVersion = await pg.psql(db, "SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'");
    try {
      if (hasVersion !== '1') await run(sqlTool, [...base, 'setup-schema', '-v', '0.0']);
      await run(sqlTool, [...base, 'update-schema', '-d', join(schemaRoot, dir, 'versioned')]);
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`temporal-sql-tool on ${db} failed: ${e.stderr || e.stdout || e.message}`);
    }
  }
}

// --- Temporal server and UI ---------------------------------------------------------------------------------------

/** Frontend TLS for the Temporal server (PEM paths). With clientCa, clients must present a certificate it signed. */
export interface TemporalServerTls {
  cert: string;
  key: string;
  clientCa?: string;
}

const yamlString = (s: string) => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar

/** The server's config file (Temporal's config/development-postgres12.yaml, trimmed, with our ports). */
export function temporalServerConfig(
  ports: ClusterPorts,
  pg: Postgres,
  dynamicConfigFile: string,
  tls?: TemporalServerTls,
): string {
  const store = (db: string, conns: number) => `      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: "127.0.0.1:${pg.port}"
        connectProtocol: tcp
        user: ${yamlString(pg.user)}
        password: ${yamlString(pg.password)}
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number, http?: number) => `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  // Internal callers (the worker service's system workflows) dial the frontend too: they get the same cert as client.
  const tlsBlock = tls
    ? `  tls:
    frontend:
      server:
        certFile: ${yamlString(tls.cert)}
        keyFile: ${yamlString(tls.key)}
        requireClientAuth: ${tls.clientCa ? 'true' : 'false'}${tls.clientCa ? `\n        clientCaFiles: [${yamlString(tls.clientCa)}]` : ''}
      client:
        serverName: localhost
        rootCaFiles: [${yamlString(tls.clientCa ?? tls.cert)}]
    systemWorker:
      certFile: ${yamlString(tls.cert)}
      keyFile: ${yamlString(tls.key)}
      client:
        serverName: localhost
        rootCaFiles: [${yamlString(tls.clientCa ?? tls.cert)}]
`
    : '';
  return `# Generated by bin/cluster-stack.ts at every start; edit that file, not this one.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  # Fixed when the cluster's databases are created; changing it later requires new databases.
  numHistoryShards: 4
  datastores:
    default:
${store(TEMPORAL_DB, 20)}
    visibility:
${store(TEMPORAL_VISIBILITY_DB, 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:${ports.temporalMetrics}"
${tlsBlock}services:
  frontend:
${service(ports.temporal, ports.temporalMembership[0], ports.temporalHttp)}
  history:
${service(ports.temporalHistory, ports.temporalMembership[1])}
  matching:
${service(ports.temporalMatching, ports.temporalMembership[2])}
  worker:
${service(ports.temporalWorker, ports.temporalMembership[3])}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${ports.temporal}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${yamlString(dynamicConfigFile)}
  pollInterval: 10s
`;
}

/** Dynamic config (polled by the server): written once, so an operator's edits survive restarts. */
const DYNAMIC_CONFIG = `# Temporal dynamic config for the threds local cluster (polled every 10 s; edits apply without a restart).
# Keys: https://github.com/temporalio/temporal/blob/main/common/dynamicconfig/constants.go
frontend.enableServerVersionCheck:
  - value: false
`;

function launch(name: string, cmd: string, args: string[], logDir: string): ServerProcess {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true });
  return { name, child, logFile };
}

export function startTemporalServer(opts: {
  dir: string;
  ports: ClusterPorts;
  pg: Postgres;
  logDir: string;
  tls?: TemporalServerTls;
}): ServerProcess {
  const configDir = join(opts.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const dynamic = join(opts.dir, 'dynamicconfig.yaml');
  if (!existsSync(dynamic)) writeFileSync(dynamic, DYNAMIC_CONFIG);
  writeFileSync(join(configDir, 'threds.yaml'), temporalServerConfig(opts.ports, opts.pg, dynamic, opts.tls), {
    mode: 0o600,
  });
  return launch(
    'temporal-server',
    tool('temporal-server'),
    ['--root', opts.dir, '--config', 'config', '--env', 'threds', '--allow-no-auth', 'start'],
    opts.logDir,
  );
}

export function startTemporalUi(opts: {
  dir: string;
  ports: ClusterPorts;
  namespace: string;
  logDir: string;
  tlsCa?: string;
}): ServerProcess {
  const configDir = join(opts.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, 'threds.yaml'),
    `# Generated by bin/cluster-stack.ts at every start.
temporalGrpcAddress: "127.0.0.1:${opts.ports.temporal}"
host: 127.0.0.1
port: ${opts.ports.ui}
enableUi: true
defaultNamespace: ${yamlString(opts.namespace)}
notifyOnNewVersion: false
cors:
  cookieInsecure: true
${opts.tlsCa ? `tls:\n  caFile: ${yamlString(opts.tlsCa)}\n  serverName: localhost\n` : ''}`,
  );
  return launch(
    'temporal-ui',
    tool('temporal-ui-server'),
    ['--root', opts.dir, '--config', 'config', '--env', 'threds', 'start'],
    opts.logDir,
  );
}

export function startFerretPostgres(opts: { dir: string; port: number; pg: Postgres; logDir: string }): ServerProcess {
  mkdirSync(opts.dir, { recursive: true });
  return launch(
    'ferretdb',
    tool('ferretdb'),
    [
      '--handler=postgresql',
      `--postgresql-url=${opts.pg.url(FERRETDB_DB)}`,
      `--state-dir=${opts.dir}`,
      `--listen-addr=127.0.0.1:${opts.port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
    ],
    opts.logDir,
  );
}

export interface ClusterServers {
  pg: Postgres;
  temporal: ServerProcess;
  ui?: ServerProcess;
  ferret: ServerProcess;
  temporalAddress: string;
  mongoUrl: string;
  uiUrl?: string;
  logDir: string;
  /** Reverse start order; PostgreSQL last (pg_ctl stop -m fast). */
  stop(): Promise<void>;
}

/**
 * PostgreSQL → databases and Temporal schemas → Temporal server, UI, FerretDB; resolves when Temporal answers and
 * FerretDB pings. `dir` keeps everything (pg/, temporal/, ui/, ferretdb/, logs/): a second start reuses the data.
 */
export async function startClusterServers(opts: {
  dir: string;
  ports: ClusterPorts;
  namespace: string;
  ui?: boolean;
  tls?: TemporalServerTls;
  log?: (line: string) => void;
}): Promise<ClusterServers> {
  const log = opts.log ?? (() => undefined);
  const logDir = join(opts.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const processes: ServerProcess[] = [];
  log(`PostgreSQL on 127.0.0.1:${opts.ports.postgres} (data ${join(opts.dir, 'pg', 'data')})`);
  const pg = await startPostgres({ dir: join(opts.dir, 'pg'), port: opts.ports.postgres });
  const stop = async () => {
    await stopProcesses(processes);
    await pg.stop();
  };
  try {
    await ensureDatabases(pg, [TEMPORAL_DB, TEMPORAL_VISIBILITY_DB, FERRETDB_DB]);
    log('Temporal schemas (temporal-sql-tool setup-schema / update-schema)');
    await setupTemporalSchemas(pg);
    const temporal = startTemporalServer({
      dir: join(opts.dir, 'temporal'),
      ports: opts.ports,
      pg,
      logDir,
      ...(opts.tls && { tls: opts.tls }),
    });
    processes.push(temporal);
    const ferret = startFerretPostgres({ dir: join(opts.dir, 'ferretdb'), port: opts.ports.mongo, pg, logDir });
    processes.push(ferret);
    const temporalAddress = `127.0.0.1:${opts.ports.temporal}`;
    const mongoUrl = `mongodb://127.0.0.1:${opts.ports.mongo}`;
    log(`Temporal server on ${temporalAddress}, FerretDB on ${mongoUrl} (logs in ${logDir})`);
    await Promise.all([
      opts.tls ? waitForTlsPort(opts.ports.temporal, temporal) : waitForTemporal(temporalAddress, temporal, 120_000),
      waitForMongo(mongoUrl, ferret, 60_000),
    ]);
    let ui: ServerProcess | undefined;
    let uiUrl: string | undefined;
    if (opts.ui !== false) {
      ui = startTemporalUi({
        dir: join(opts.dir, 'ui'),
        ports: opts.ports,
        namespace: opts.namespace,
        logDir,
        ...(opts.tls && { tlsCa: opts.tls.clientCa ?? opts.tls.cert }),
      });
      processes.push(ui);
      uiUrl = `http://127.0.0.1:${opts.ports.ui}`;
      await waitForHttp(uiUrl, { timeoutMs: 30_000, process: ui });
    }
    return {
      pg,
      temporal,
      ferret,
      temporalAddress,
      mongoUrl,
      logDir,
      stop,
      ...(ui && { ui }),
      ...(uiUrl && { uiUrl }),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** With frontend TLS, readiness is the caller's (it holds the client certificate); here: the port accepts. */
async function waitForTlsPort(port: number, server: ServerProcess): Promise<void> {
  const { connect } = await import('node:net');
  await pollUntil(
    `temporal-server listening on ${port}`,
    () =>
      new Promise<boolean>((r) => {
        const s = connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
        s.on('error', () => r(false));
      }),
    { timeoutMs: 120_000, intervalMs: 250, process: server },
  );
}

/** SIGTERM in reverse start order, SIGKILL after the grace time. */
export async function stopProcesses(
  processes: { name: string; child: ChildProcess }[],
  graceMs = 15_000,
): Promise<void> {
  for (const p of [...processes].reverse()) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
    p.child.kill('SIGTERM');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

// --- Threds processes -----------------------------------------------------------------------------------------------

export interface ThredsProcessSpec {
  /** Log prefix and handle, e.g. gateway-1. */
  name: string;
  /** `threds` command and arguments, e.g. ['gateway']. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** A line of its output that means it is serving (e.g. the worker's "polling"). */
  readyLine?: RegExp;
  /** An HTTP URL that answers 2xx once it is serving (the gateway's /ready). */
  readyUrl?: string;
}

export interface ThredsProcess {
  spec: ThredsProcessSpec;
  child: ChildProcess;
  /** Resolves when ready (readyLine seen / readyUrl answers); rejects if the process exits first. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const thredsEntry = join(projectRoot, 'bin', 'threds.mjs');

/** One `threds <command>` child; every line of its stdout/stderr goes to `log` with its name. */
export function startThredsProcess(spec: ThredsProcessSpec, log: (name: string, line: string) => void): ThredsProcess {
  const child = spawn(process.execPath, [thredsEntry, ...spec.args], {
    cwd: projectRoot,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // Ctrl-C reaches the supervisor only, which stops children in order
  });
  let sawReady: () => void = () => undefined;
  const lineReady = new Promise<void>((r) => (sawReady = r));
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      log(spec.name, line);
      if (spec.readyLine?.test(line)) sawReady();
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const readiness = spec.readyUrl
    ? waitForHttp(spec.readyUrl, { timeoutMs: 120_000 })
    : spec.readyLine
      ? lineReady
      : Promise.resolve();
  const ready = Promise.race([
    readiness,
    exited.then(({ code, signal }) => {
      throw new Error(`${spec.name} exited (${signal ?? `code ${code}`}) before it was ready`);
    }),
  ]);
  ready.catch(() => undefined);
  return { spec, child, ready, exited };
}

// --- The whole topology ---------------------------------------------------------------------------------------------

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
  const processes = new Map<string, ThredsProcess>();
  const order: string[] = [];
  const waiters = new Map<string, ((p: ThredsProcess) => void)[]>();
  let stopping = false;
  const demoCredentials: string[] = [];
  const stop = async () => {
    stopping = true;
    await stopProcesses(order.map((name) => ({ name, child: processes.get(name)!.child })));
    await servers.stop();
  };
  try {
    const config: Config = { ...opts.config, temporalAddress: servers.temporalAddress, mongoUrl: servers.mongoUrl };
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
      if (opts.demo) {
        const demo = await seedDemo({ store, config });
        demoCredentials.push(...formatCredentials(demo.credentials, Boolean(config.adminPassword)));
      }
    } finally {
      await client.close();
      await connection.close();
    }

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
    const specs: ThredsProcessSpec[] = [
      ...Array.from({ length: opts.workers ?? 2 }, (_, i) => ({
        name: `worker-${i + 1}`,
        args: ['worker'],
        env: { ...baseEnv, THREDS_METRICS_PORT: String(opts.ports.metrics[i]) },
        readyLine: /worker polling/,
      })),
      ...agentTypes.map((nodeType, i) => ({
        name: `agent-${nodeType}`,
        args: ['agent', nodeType],
        env: { ...baseEnv, THREDS_METRICS_PORT: String(opts.ports.metrics[(opts.workers ?? 2) + i]) },
        readyLine: /polling on/,
      })),
      ...opts.ports.gateways.map((port, i) => ({
        name: `gateway-${i + 1}`,
        args: ['gateway'],
        env: { ...baseEnv, THREDS_PORT: String(port) },
        readyUrl: `http://127.0.0.1:${port}/ready`,
      })),
    ];

    const launchSupervised = (spec: ThredsProcessSpec): ThredsProcess => {
      const p = startThredsProcess(spec, opts.log);
      processes.set(spec.name, p);
      let wasReady = false;
      p.ready.then(
        () => {
          wasReady = true;
          for (const w of waiters.get(spec.name)?.splice(0) ?? []) w(p);
        },
        () => undefined,
      );
      void p.exited.then(({ code, signal }) => {
        if (stopping) return;
        const how = signal ?? `code ${code}`;
        if (wasReady && opts.restartOnCrash !== false) {
          say(`${spec.name} exited (${how}); restarting it`);
          setTimeout(() => {
            if (!stopping) launchSupervised(spec);
          }, 500);
        } else {
          say(
            `${spec.name} exited (${how})${wasReady ? '' : ' before it was ready; not restarted (see its lines above)'}`,
          );
        }
      });
      return p;
    };
    for (const spec of specs) {
      order.push(spec.name);
      launchSupervised(spec);
    }
    const results = await Promise.allSettled(specs.map((s) => processes.get(s.name)!.ready));
    results.forEach((r, i) => {
      const name = specs[i]!.name;
      // An agent whose implementation lacks options exits at start (its log says why): the rest of the cluster runs.
      if (r.status === 'rejected' && !name.startsWith('agent-'))
        throw new Error(`${name} did not start: ${String(r.reason)}`);
    });
    return {
      servers,
      gatewayUrls: opts.ports.gateways.map((port) => `http://127.0.0.1:${port}`),
      processes,
      demoCredentials,
      kill(name, signal) {
        processes.get(name)?.child.kill(signal);
      },
      nextIncarnation(name) {
        const current = processes.get(name);
        return new Promise((resolve) => {
          const list = waiters.get(name) ?? [];
          list.push((p) => {
            if (p !== current) resolve(p);
          });
          waiters.set(name, list);
        });
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
