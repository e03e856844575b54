// `npm start` as a user runs it (issue 2): embedded Temporal (with its UI) and FerretDB, worker, agents and gateway
// come up; Ctrl-C stops everything it started; a second start keeps the data, including a running thred.
// Runs its own embedded servers on free ports with a temporary data dir, beside the test servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { portInUse, projectRoot } from '../../bin/stack';
import { waitFor } from '../helpers/engine';

const dataDir = mkdtempSync(join(tmpdir(), 'threds-dev-'));
const logFile = join(dataDir, 'npm-start.log');
/** What `npm start` and its Temporal printed, for a failure message (the data dir is removed afterwards). */
const output = () => {
  const tail = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').slice(-3000) : '(none)');
  return `${tail(logFile)}\n--- temporal.log ---\n${tail(join(dataDir, 'temporal', 'temporal.log'))}`;
};

/**
 * The ports must stay free while the stack is down between the two starts. Below the kernel's ephemeral range
 * (32768+), other tests' outbound connections cannot take them meanwhile — with ports from `listen(0)` they could,
 * and the restarted Temporal then failed to bind. `offsets`: Temporal also takes port+10 and +11.
 */
const taken = new Set<number>();
async function stablePort(offsets: number[] = [0]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const all = offsets.map((o) => port + o);
    if (all.some((p) => taken.has(p))) continue;
    if ((await Promise.all(all.map(portInUse))).some(Boolean)) continue;
    all.forEach((p) => taken.add(p));
    return port;
  }
}
let ports: Record<string, number>;
let running: ChildProcess | undefined;

function start(): ChildProcess {
  const env = { ...process.env };
  delete env.TEMPORAL_ADDRESS; // embedded servers, as on a fresh machine
  delete env.MONGO_URL;
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), 'dev'], {
    env: {
      ...env,
      THREDS_DATA_DIR: dataDir,
      THREDS_PORT: String(ports.gateway),
      THREDS_TEMPORAL_PORT: String(ports.temporal),
      THREDS_TEMPORAL_UI_PORT: String(ports.ui),
      THREDS_MONGO_PORT: String(ports.mongo),
      THREDS_ADMIN_PASSWORD: 'dev-stack-admin',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
  });
  running = child;
  return child;
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  return exited;
}

const up = async (url: string) => (await fetch(url).catch(() => undefined))?.status === 200;

afterAll(async () => {
  if (running && running.exitCode === null) running.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('brings up the stack, stops it cleanly, and keeps a running thred across a restart', async () => {
    // Ports spaced out: the Temporal dev server also takes port+10 and port+11 (HTTP API, metrics).
    ports = {
      temporal: await stablePort([0, 10, 11]),
      ui: await stablePort(),
      mongo: await stablePort(),
      gateway: await stablePort(),
    };
    const gateway = `http://127.0.0.1:${ports.gateway}`;
    let child = start();
    await waitFor(() => up(`${gateway}/health`), 'gateway /health', 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- npm start output ---\n${output()}`);
    });
    expect(await up(`http://127.0.0.1:${ports.ui}/`)).toBe(true); // the Temporal Web UI

    const login = await fetch(`${gateway}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ participantId: 'admin', password: 'dev-stack-admin' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const posted = await fetch(`${gateway}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({
        id: 'dev-stack-echo-1',
        type: 'org.wt.echo',
        source: { id: 'admin' },
        data: { content: { values: { echoTo: 'admin', echoTitle: 'hi' } } },
      }),
    });
    expect(posted.status).toBe(202);
    const thredId = 'echo_test_dev-stack-echo-1';
    expect(((await posted.json()) as { results: { started: string[] }[] }).results[0]!.started).toEqual([thredId]);
    // The 202 means the thred started; its read-model record is written by its first step, which may still be on its
    // way. Stop only once it is there, so the restart check below reads a record that the stop had to keep.
    const thredStatus = async () => {
      const res = await fetch(`${gateway}/threds/${thredId}`, { headers: { authorization: `Bearer ${accessToken}` } });
      return { code: res.status, body: (await res.json()) as { status?: string } };
    };
    await waitFor(async () => (await thredStatus()).body.status === 'active', 'the thred record before the stop');

    expect(await stop(child)).toBe(0);
    expect(await up(`${gateway}/health`)).toBe(false);
    expect(await up(`http://127.0.0.1:${ports.ui}/`)).toBe(false); // the servers it started are gone too

    child = start();
    await waitFor(() => up(`${gateway}/health`), 'gateway /health after restart', 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- npm start output ---\n${output()}`);
    });
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    try {
      const desc = await new Client({ connection }).workflow.getHandle(thredId).describe();
      expect(desc.status.name).toBe('RUNNING');
      expect(await thredStatus()).toMatchObject({ code: 200, body: { status: 'active' } });
    } finally {
      await connection.close();
    }
    expect(await stop(child)).toBe(0);
  }, 300_000);
});
