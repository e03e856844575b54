/**
 * `npm run bench` — Threds against bare Temporal, measured in one run on the same servers (issue 8).
 *
 *   baseline   signal-with-start of a minimal workflow running one activity: workflows/s, signal→activity latency
 *   threds     POST /events accepted/s; POST → WebSocket message latency at a fixed offered rate and at saturation
 *   long       events/s through one thred across continue-as-new boundaries
 *   scale      N idle threds: worker and gateway RSS, latency of an event to one of them, history events per event
 *
 * The gateway and the thred worker run as separate processes (`threds gateway`, `threds worker`), as in production,
 * so their memory is measured alone. Results: bench/results/<timestamp>.json and .png, and a table on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { SingleBar, Presets } from 'cli-progress';
import WebSocket from 'ws';
import { MongoClient } from 'mongodb';
import { freePort, projectRoot, stopAll, throwawayServers, type ServerProcess } from '../bin/stack';
import { createBaselineActivities } from './baseline-activities';
import { createStore } from '../store';
import { validatePattern } from '../patterns';
import { closedLoop, openLoop, percentiles, round, type Percentiles } from './stats';
import { writeChart } from './chart';
import { createProfiler } from './profile';

export interface BenchOptions {
  durationMs: number;
  concurrency: number;
  idleThreds: number;
  longEvents: number;
  /** Directory for V8 CPU profiles of the worker and the gateway (written when they exit), or none. */
  profileDir?: string;
}

const BENCH_PATTERNS = [
  {
    id: 'bench_echo',
    name: 'Bench Echo',
    reactions: [
      {
        name: 'echo',
        condition: {
          type: 'filter',
          xpr: "$event.type = 'bench.ping'",
          transform: { eventDataTemplate: { title: 'pong', content: { values: { ping: '$xpr($event.id)' } } } },
          publish: { to: 'bench_client' },
        },
      },
    ],
  },
  {
    id: 'bench_counter',
    name: 'Bench Counter',
    reactions: [
      {
        name: 'count',
        condition: {
          type: 'filter',
          xpr: "$event.type = 'bench.count'",
          onTrue: { xpr: "$setLocal('n', ($local('n') ? $local('n') : 0) + 1)" },
          transition: { name: '$noTransition' },
        },
      },
    ],
  },
  {
    id: 'bench_idle',
    name: 'Bench Idle',
    reactions: [
      {
        name: 'idle',
        condition: {
          type: 'or',
          operands: [
            { type: 'filter', xpr: "$event.type = 'bench.idle'", transition: { name: '$noTransition' } },
            {
              type: 'filter',
              xpr: "$event.type = 'bench.poke'",
              transform: { eventDataTemplate: { title: 'poked', content: { values: { ping: '$xpr($event.id)' } } } },
              publish: { to: 'bench_client' },
              transition: { name: '$noTransition' },
            },
          ],
        },
      },
    ],
  },
];

function cli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

let stopping = false;

/** A long-running child (worker, gateway) logging to a file, so a full pipe never blocks it; says so if it dies. */
function service(name: string, args: string[], env: NodeJS.ProcessEnv, dir: string, profileDir?: string): ChildProcess {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const node = profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`]
    : [];
  const child = spawn(process.execPath, [...node, join(projectRoot, 'bin', 'threds.mjs'), ...args], {
    env,
    stdio: ['ignore', fd, fd],
  });
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`\n[bench] ${name} exited (${code ?? signal}); its log: ${log}`);
  });
  return child;
}

async function cliOutput(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = cli(args, env);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`threds ${args.join(' ')} failed (${code}): ${err}`);
  return out.trim();
}

function rssMB(pid: number | undefined): number {
  if (!pid) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? round(Number(m[1]) / 1024) : NaN;
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

/** A progress bar on a terminal; elsewhere (CI, a log file) a line every 5 s. */
function progress(label: string, total: number) {
  const bar = new SingleBar(
    {
      format: `${label.padEnd(28)} [{bar}] {percentage}% {value}/{total} {eta_formatted}`,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}

/** Progress of a closed-loop (saturation) phase, which runs for a time rather than a count: seconds elapsed. */
function timedProgress(label: string, durationMs: number) {
  const bar = progress(label, Math.round(durationMs / 1000));
  const timer = setInterval(bar.tick, 1000);
  return {
    tick: bar.tick,
    stop: () => {
      clearInterval(timer);
      bar.stop();
    },
  };
}

/** A WebSocket client of the gateway that resolves waiters by the `ping` value the bench patterns echo back. */
async function wsClient(baseUrl: string, token: string) {
  const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/ws');
  const waiters = new Map<string, (at: number) => void>();
  const early = new Map<string, number>();
  await new Promise<void>((ok, fail) => {
    ws.once('error', fail);
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'hello', token, since: Date.now() }));
    });
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as {
        type: string;
        message?: { event?: { data?: { content?: { values?: { ping?: string } } } } };
      };
      if (frame.type === 'welcome') ok();
      const ping = frame.message?.event?.data?.content?.values?.ping;
      if (frame.type === 'message' && ping) {
        const w = waiters.get(ping);
        if (w) {
          waiters.delete(ping);
          w(Date.now());
        } else early.set(ping, Date.now());
      }
    });
  });
  return {
    /** When the message echoing `ping` arrived; rejects after 30 s (a lost message is an error, not a hang). */
    arrival(ping: string): Promise<number> {
      const at = early.get(ping);
      if (at !== undefined) {
        early.delete(ping);
        return Promise.resolve(at);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(ping);
          reject(new Error(`no message for ${ping} within 30 s`));
        }, 30_000);
        waiters.set(ping, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
    close: () => ws.close(),
  };
}

export async function runBench(opts: BenchOptions): Promise<string> {
  const servers: ServerProcess[] = [];
  const children: ChildProcess[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'threds-bench-'));
  let worker: ChildProcess | undefined;
  let gateway: ChildProcess | undefined;
  const profiler = createProfiler(() => ({
    temporal: servers.find((s) => s.name === 'temporal')?.child.pid,
    ferretdb: servers.find((s) => s.name !== 'temporal')?.child.pid,
    worker: worker?.pid,
    gateway: gateway?.pid,
    bench: process.pid,
  }));
  const phase = profiler.phase;
  // Closed in `finally`, so a failed run ends instead of hanging on open connections.
  const closers: (() => Promise<unknown> | void)[] = [];
  let ok = false;
  stopping = false;
  try {
    // --- servers -----------------------------------------------------------------------------------------------
    const { address, mongoUrl, servers: started } = await throwawayServers(tmp);
    servers.push(...started);
    console.log(`[bench] Temporal ${address}, MongoDB ${mongoUrl}`);
    const connection = await Connection.connect({ address });
    closers.push(() => connection.close());
    const client = new Client({ connection });
    const native = await NativeConnection.connect({ address });
    closers.push(() => native.close());

    // --- baseline ----------------------------------------------------------------------------------------------
    const latencies: number[] = [];
    const baselineQueue = `bench-baseline-${randomBytes(3).toString('hex')}`;
    const baselineWorker = await Worker.create({
      connection: native,
      taskQueue: baselineQueue,
      workflowsPath: fileURLToPath(new URL('./baseline-workflow.ts', import.meta.url)),
      activities: createBaselineActivities(latencies),
    });
    const baselineRun = baselineWorker.run();
    const oneBaseline = async () => {
      const handle = await client.workflow.signalWithStart('baseline', {
        workflowId: `baseline-${randomUUID()}`,
        taskQueue: baselineQueue,
        signal: 'ping',
        signalArgs: [Date.now()],
      });
      await handle.result();
    };
    await closedLoop(2000, opts.concurrency, oneBaseline); // warm-up (bundle, caches)
    latencies.length = 0;
    let bar = timedProgress('baseline saturation (s)', opts.durationMs);
    const baseSat = await phase('baseline saturation', () =>
      closedLoop(opts.durationMs, opts.concurrency, oneBaseline),
    );
    bar.stop();
    const baselineSaturation = {
      perSec: round((baseSat.completed * 1000) / baseSat.elapsedMs),
      latency: percentiles(latencies),
      errors: baseSat.errors,
    };
    const fixedRate = Math.max(5, Math.floor(baselineSaturation.perSec * 0.5));
    latencies.length = 0;
    bar = progress(`baseline at ${fixedRate}/s`, Math.round((opts.durationMs / 1000) * fixedRate));
    const baseFixed = await phase('baseline fixed rate', () =>
      openLoop(opts.durationMs, fixedRate, oneBaseline, bar.tick),
    );
    bar.stop();
    const baselineFixed = { rate: fixedRate, latency: percentiles(latencies), errors: baseFixed.errors };
    baselineWorker.shutdown();
    await baselineRun;

    // --- Threds processes ---------------------------------------------------------------------------------------
    const mongoDb = `bench_${randomBytes(3).toString('hex')}`;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      MONGO_URL: mongoUrl,
      MONGO_DB: mongoDb,
      THREDS_PORT: String(port),
      THREDS_JWT_SECRET: randomBytes(24).toString('base64url'),
      THREDS_TASK_QUEUE: `bench-threds-${randomBytes(3).toString('hex')}`,
      THREDS_EVENT_BUDGET: '500',
      THREDS_RATE_LIMIT: '100000000', // the bench is one principal posting as fast as it can
      THREDS_CONFIG_DIR: join(projectRoot, 'test', 'fixtures', 'config-empty'),
      LOG_LEVEL: 'warn',
    };
    const mongo = await MongoClient.connect(mongoUrl);
    closers.push(() => mongo.close());
    const db = mongo.db(mongoDb);
    const store = createStore(db);
    for (const p of BENCH_PATTERNS) {
      const report = validatePattern(p);
      if (!report.pattern) throw new Error(`bench pattern ${p.id} invalid: ${JSON.stringify(report.errors)}`);
      await store.patterns.put(report.pattern, Date.now());
    }
    worker = service('worker', ['worker'], env, tmp, opts.profileDir);
    gateway = service('gateway', ['gateway'], env, tmp, opts.profileDir);
    children.push(worker, gateway);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitHttp(`${baseUrl}/health`);
    const sensorToken = await cliOutput(['token', 'bench_sensor', '--ttl', '2h'], env);
    const clientToken = await cliOutput(['token', 'bench_client', '--ttl', '2h'], env);
    const ws = await wsClient(baseUrl, clientToken);
    closers.push(() => ws.close());
    const post = async (event: Record<string, unknown>) => {
      const res = await fetch(`${baseUrl}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sensorToken}` },
        body: JSON.stringify(event),
      });
      if (res.status !== 202) throw new Error(`POST /events → ${res.status}: ${await res.text()}`);
      return (await res.json()) as { results: { thredIds: string[] }[] };
    };
    const e2e: number[] = [];
    const onePing = async () => {
      const id = `p-${randomUUID()}`;
      const sent = Date.now();
      const arrived = ws.arrival(id);
      arrived.catch(() => undefined); // observed below; a failed POST must not leave it unhandled
      await post({ id, type: 'bench.ping', source: { id: 'bench_sensor' } });
      e2e.push((await arrived) - sent);
    };
    await closedLoop(2000, opts.concurrency, onePing); // warm-up: bundle load, caches
    e2e.length = 0;
    bar = timedProgress('threds saturation (s)', opts.durationMs);
    const thSat = await phase('threds saturation', () => closedLoop(opts.durationMs, opts.concurrency, onePing));
    bar.stop();
    const thredsSaturation = {
      perSec: round((thSat.completed * 1000) / thSat.elapsedMs),
      latency: percentiles(e2e),
      errors: thSat.errors,
    };
    e2e.length = 0;
    bar = progress(`threds at ${fixedRate}/s`, Math.round((opts.durationMs / 1000) * fixedRate));
    const thFixed = await phase('threds fixed rate', () => openLoop(opts.durationMs, fixedRate, onePing, bar.tick));
    bar.stop();
    const thredsFixed = { rate: fixedRate, latency: percentiles(e2e), errors: thFixed.errors };

    // Ingest alone: accepted by POST /events (no waiting for delivery).
    const ingest = await phase('ingest', () =>
      closedLoop(Math.min(opts.durationMs, 10_000), opts.concurrency, async () => {
        await post({ id: `i-${randomUUID()}`, type: 'bench.ingest.nomatch', source: { id: 'bench_sensor' } });
      }),
    );
    const ingestPerSec = round((ingest.completed * 1000) / ingest.elapsedMs);

    // --- one long thred ------------------------------------------------------------------------------------------
    const first = await post({ id: `c-${randomUUID()}`, type: 'bench.count', source: { id: 'bench_sensor' } });
    const counterId = first.results[0]!.thredIds[0]!;
    const handle = client.workflow.getHandle(counterId);
    const firstRunId = (await handle.describe()).runId;
    bar = progress('long thred events', opts.longEvents);
    const longStart = Date.now();
    let sent = 1;
    await phase('long thred', async () => {
      // Many senders, as many sensors would be: one sender's round trip would measure latency, not the thred.
      await Promise.all(
        Array.from({ length: opts.concurrency * 8 }, async () => {
          while (sent < opts.longEvents) {
            sent++;
            await post({
              id: `c-${randomUUID()}`,
              type: 'bench.count',
              source: { id: 'bench_sensor' },
              thredId: counterId,
            });
            bar.tick();
          }
        }),
      );
      // Progress from the read model (a query would compete with the busy thred for its worker).
      for (;;) {
        const n = ((await store.threds.get(counterId))?.locals.n as number | undefined) ?? 0;
        if (n >= opts.longEvents) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    const longElapsed = Date.now() - longStart;
    bar.stop();
    const longSnap = await retry(() => handle.query('state') as Promise<{ run: number }>);
    const longThred = {
      events: opts.longEvents,
      perSec: round((opts.longEvents * 1000) / longElapsed),
      continueAsNewRuns: longSnap.run,
    };

    // --- scale: idle threds -------------------------------------------------------------------------------------
    bar = progress(`starting ${opts.idleThreds} idle threds`, opts.idleThreds);
    const idleIds: string[] = [];
    let next = 0;
    const idleStart = Date.now();
    await phase('idle threds start', async () => {
      await Promise.all(
        Array.from({ length: opts.concurrency }, async () => {
          while (next < opts.idleThreds) {
            next++;
            const r = await post({ id: `idle-${randomUUID()}`, type: 'bench.idle', source: { id: 'bench_sensor' } });
            idleIds.push(r.results[0]!.thredIds[0]!);
            bar.tick();
          }
        }),
      );
      // Accepted is not started: a thred counts once its first step is in the read model (the worker may lag).
      while ((await store.threds.count({ pattern: 'bench_idle' })) < idleIds.length) {
        await new Promise((r) => setTimeout(r, 500));
      }
    });
    const idleStartsPerSec = round((idleIds.length * 1000) / (Date.now() - idleStart));
    bar.stop();
    const pokes: number[] = [];
    await phase('idle pokes', async () => {
      for (let i = 0; i < 50; i++) {
        const target = idleIds[Math.floor(Math.random() * idleIds.length)]!;
        const id = `poke-${randomUUID()}`;
        const t0 = Date.now();
        const arrived = ws.arrival(id);
        arrived.catch(() => undefined);
        await post({ id, type: 'bench.poke', source: { id: 'bench_sensor' }, thredId: target });
        pokes.push((await arrived) - t0);
      }
    });
    const scale = {
      idleThreds: idleIds.length,
      startsPerSec: idleStartsPerSec,
      workerRssMB: rssMB(worker.pid),
      gatewayRssMB: rssMB(gateway.pid),
      eventLatency: percentiles(pokes),
    };
    // History cost: every history event of the counter thred, across its continue-as-new runs, per event it handled.
    let historyEvents = 0;
    for (let runId: string | undefined = firstRunId; runId;) {
      const history: Awaited<ReturnType<typeof handle.fetchHistory>> = await client.workflow
        .getHandle(counterId, runId)
        .fetchHistory();
      const events = history.events ?? [];
      historyEvents += events.length;
      const next: string | null | undefined =
        events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      runId = next ?? undefined;
    }
    const historyPerEvent = round(historyEvents / opts.longEvents, 2);

    // --- report -------------------------------------------------------------------------------------------------
    const targets = [
      {
        name: 'ingest ≥ 0.85× baseline throughput',
        target: 0.85,
        actual: round(ingestPerSec / baselineSaturation.perSec, 2),
      },
      {
        name: 'e2e p50 ≤ baseline p50 + 10 ms (fixed rate)',
        target: baselineFixed.latency.p50 + 10,
        actual: thredsFixed.latency.p50,
      },
      {
        name: 'e2e p99 ≤ baseline p99 + 30 ms (fixed rate)',
        target: baselineFixed.latency.p99 + 30,
        actual: thredsFixed.latency.p99,
      },
      { name: 'one thred ≥ 200 events/s across continue-as-new', target: 200, actual: longThred.perSec },
      { name: `${scale.idleThreds} idle threds: worker RSS < 1024 MB`, target: 1024, actual: scale.workerRssMB },
      { name: '≤ 6 history events per handled event', target: 6, actual: historyPerEvent },
    ].map((t, i) => ({ ...t, met: i === 0 || i === 3 ? t.actual >= t.target : t.actual <= t.target }));
    const result = {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, memGB: round(totalmem() / 2 ** 30), node: process.version },
      options: opts,
      baseline: {
        saturation: baselineSaturation,
        fixedRate: baselineFixed,
        note: 'signal-with-start → one activity → complete; latency = signal sent → activity started',
      },
      threds: {
        ingestPerSec,
        saturation: thredsSaturation,
        fixedRate: thredsFixed,
        ratios: {
          ingestToBaseline: round(ingestPerSec / baselineSaturation.perSec, 2),
          saturationThroughputToBaseline: round(thredsSaturation.perSec / baselineSaturation.perSec, 2),
        },
        note: 'latency = POST /events sent → message received on a WebSocket client',
      },
      longThred,
      scale: { ...scale, historyEventsPerHandledEvent: historyPerEvent },
      targets,
      profile: profiler.phases,
    };
    const stamp = result.when.replace(/[:.]/g, '-');
    const file = join(projectRoot, 'bench', 'results', `${stamp}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(projectRoot, 'bench', 'results', 'latest.json'), JSON.stringify(result, null, 2) + '\n');
    const chart: Parameters<typeof writeChart>[1] = {
      title: `Threds vs bare Temporal — ${result.when} (${result.machine.cpus} cores)`,
      latency: [
        { label: 'baseline fixed', ...pick(baselineFixed.latency) },
        { label: 'threds fixed', ...pick(thredsFixed.latency) },
        { label: 'baseline sat.', ...pick(baselineSaturation.latency) },
        { label: 'threds sat.', ...pick(thredsSaturation.latency) },
        { label: 'idle poke', ...pick(scale.eventLatency) },
      ],
      throughput: [
        { label: 'baseline wf/s', perSec: baselineSaturation.perSec },
        { label: 'ingest ev/s', perSec: ingestPerSec },
        { label: 'threds e2e/s', perSec: thredsSaturation.perSec },
        { label: 'one thred ev/s', perSec: longThred.perSec },
      ],
    };
    writeChart(file.replace(/\.json$/, '.png'), chart);
    writeChart(join(projectRoot, 'bench', 'results', 'latest.png'), chart);
    printTable(result, targets);
    printProfile(profiler.phases);
    ok = true;
    return file;
  } finally {
    stopping = true;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await stopAll(servers);
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    if (ok) rmSync(tmp, { recursive: true, force: true });
    else console.error(`[bench] failed; the worker's and gateway's logs are kept in ${tmp}`);
  }
}

async function retry<T>(fn: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function printProfile(phases: ReturnType<typeof createProfiler>['phases']) {
  const names = [...new Set(phases.flatMap((p) => Object.keys(p.cpuPercent)))];
  console.log(
    `\n| phase | wall s | ${names.map((n) => `${n} CPU %`).join(' | ')} |\n|---|---|${names.map(() => '---|').join('')}`,
  );
  for (const p of phases) {
    const cells = names.map((n) => (Number.isFinite(p.cpuPercent[n]) ? String(p.cpuPercent[n]) : '–'));
    console.log(`| ${p.phase} | ${round(p.wallMs / 1000)} | ${cells.join(' | ')} |`);
  }
}

function pick(p: Percentiles) {
  return { p50: p.p50, p95: p.p95, p99: p.p99 };
}

function printTable(
  result: Record<string, unknown>,
  targets: { name: string; target: number; actual: number; met: boolean }[],
) {
  const r = result as {
    baseline: {
      saturation: { perSec: number; latency: Percentiles };
      fixedRate: { rate: number; latency: Percentiles };
    };
    threds: {
      ingestPerSec: number;
      saturation: { perSec: number; latency: Percentiles };
      fixedRate: { latency: Percentiles };
    };
    longThred: { perSec: number; continueAsNewRuns: number };
    scale: {
      idleThreds: number;
      startsPerSec: number;
      workerRssMB: number;
      gatewayRssMB: number;
      eventLatency: Percentiles;
      historyEventsPerHandledEvent: number;
    };
  };
  const lat = (p: Percentiles) => `${p.p50} / ${p.p95} / ${p.p99} ms`;
  console.log('\n| measure | value |\n|---|---|');
  console.log(`| baseline workflows/s (saturation) | ${r.baseline.saturation.perSec} |`);
  console.log(
    `| baseline latency p50/p95/p99 at ${r.baseline.fixedRate.rate}/s | ${lat(r.baseline.fixedRate.latency)} |`,
  );
  console.log(`| baseline latency at saturation | ${lat(r.baseline.saturation.latency)} |`);
  console.log(`| threds ingest events/s (POST /events) | ${r.threds.ingestPerSec} |`);
  console.log(`| threds e2e/s (saturation) | ${r.threds.saturation.perSec} |`);
  console.log(`| threds e2e latency at ${r.baseline.fixedRate.rate}/s | ${lat(r.threds.fixedRate.latency)} |`);
  console.log(`| threds e2e latency at saturation | ${lat(r.threds.saturation.latency)} |`);
  console.log(`| one thred events/s (${r.longThred.continueAsNewRuns} continue-as-new) | ${r.longThred.perSec} |`);
  console.log(`| idle threds started/s | ${r.scale.startsPerSec} |`);
  console.log(
    `| ${r.scale.idleThreds} idle threds: worker / gateway RSS | ${r.scale.workerRssMB} / ${r.scale.gatewayRssMB} MB |`,
  );
  console.log(`| event to an idle thred, latency | ${lat(r.scale.eventLatency)} |`);
  console.log(`| history events per handled event | ${r.scale.historyEventsPerHandledEvent} |`);
  console.log('\n| target | target value | actual | met |\n|---|---|---|---|');
  for (const t of targets) console.log(`| ${t.name} | ${t.target} | ${t.actual} | ${t.met ? 'yes' : 'NO'} |`);
}
