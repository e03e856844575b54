/**
 * The system under test: throwaway servers (or TEMPORAL_ADDRESS/MONGO_URL), the run's patterns in a database of its
 * own, and `threds worker` and `threds gateway` as separate processes, as in production, so that each one's memory
 * is measured alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { freePort, projectRoot, throwawayServers } from '../../bin/stack';
import { createStore, type Store } from '../../store';
import { validatePattern } from '../../patterns';
import { runThreds } from '../../test/helpers/cli';
import { round } from '../stats';
import type { Resources } from './resources';

export interface Servers {
  address: string;
  mongoUrl: string;
  client: Client;
}

export async function startServers(res: Resources): Promise<Servers> {
  const { address, mongoUrl, servers } = await throwawayServers(res.tmp);
  res.servers.push(...servers);
  const connection = await Connection.connect({ address });
  res.onClose(() => connection.close());
  return { address, mongoUrl, client: new Client({ connection }) };
}

export interface ThredsOptions {
  /** Prefix of the database and task queue names, random after it, so runs sharing servers never meet. */
  prefix: string;
  patterns: { id: string }[];
  /** Settings beyond the common ones. */
  env?: Record<string, string>;
  /** Directory for V8 CPU profiles of the worker and the gateway (written when they exit). */
  profileDir?: string;
}

/** The body of a 202 from POST /events: per event, the threds it went to. */
export interface Accepted {
  results: { thredIds: string[] }[];
}

/** Posts one event and resolves once it is accepted; any other answer is an error. */
export type Post = (event: Record<string, unknown>) => Promise<Accepted>;

export interface Threds {
  baseUrl: string;
  store: Store;
  worker: ChildProcess;
  gateway: ChildProcess;
  token(subject: string, ttl: string): Promise<string>;
  poster(token: string): Post;
  rssMB(): { worker: number; gateway: number };
}

export async function startThreds(res: Resources, servers: Servers, opts: ThredsOptions): Promise<Threds> {
  const mongoDb = `${opts.prefix}_${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: servers.address,
    MONGO_URL: servers.mongoUrl,
    MONGO_DB: mongoDb,
    THREDS_PORT: String(port),
    THREDS_JWT_SECRET: randomBytes(24).toString('base64url'),
    THREDS_TASK_QUEUE: `${opts.prefix}-threds-${randomBytes(3).toString('hex')}`,
    // One principal posts everything, as fast as it can: what is measured is the engine and its backpressure.
    THREDS_RATE_LIMIT: '100000000',
    THREDS_CONFIG_DIR: join(projectRoot, 'test', 'fixtures', 'config-empty'),
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  const mongo = await MongoClient.connect(servers.mongoUrl);
  res.onClose(() => mongo.close());
  const store = createStore(mongo.db(mongoDb));
  for (const p of opts.patterns) {
    const report = validatePattern(p);
    if (!report.pattern) throw new Error(`pattern ${p.id} invalid: ${JSON.stringify(report.errors)}`);
    await store.patterns.put(report.pattern, Date.now());
  }
  const worker = service(res, 'worker', env, opts.profileDir);
  const gateway = service(res, 'gateway', env, opts.profileDir);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitHttp(`${baseUrl}/health`);
  return {
    baseUrl,
    store,
    worker,
    gateway,
    token: (subject, ttl) => cliOutput(['token', subject, '--ttl', ttl], env),
    poster: (token) => async (event) => {
      const r = await fetch(`${baseUrl}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(event),
      });
      if (r.status !== 202) throw new Error(`POST /events → ${r.status}: ${await r.text()}`);
      return (await r.json()) as Accepted;
    },
    rssMB: () => ({ worker: rssMB(worker.pid), gateway: rssMB(gateway.pid) }),
  };
}

/** A long-running child logging to a file, so a full pipe never blocks it; says so if it dies during the run. */
function service(res: Resources, name: string, env: NodeJS.ProcessEnv, profileDir?: string): ChildProcess {
  const log = join(res.tmp, `${name}.log`);
  const fd = openSync(log, 'a');
  const node = profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`]
    : [];
  const child = spawn(process.execPath, [...node, join(projectRoot, 'bin', 'threds.mjs'), name], {
    env,
    stdio: ['ignore', fd, fd],
  });
  res.children.push(child);
  child.once('exit', (code, signal) => {
    if (!res.stopping) console.error(`\n[${res.label}] ${name} exited (${code ?? signal}); its log: ${log}`);
  });
  return child;
}

async function cliOutput(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const ran = await runThreds(args, env);
  if (ran.code !== 0) throw new Error(`threds ${args.join(' ')} failed (${ran.code}): ${ran.stderr}`);
  return ran.stdout.trim();
}

/** NaN once the process has gone, so a late sample shows as missing rather than failing the run. */
function rssMB(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

async function waitHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not up after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
