/**
 * `npm run bench -- --soak 10m` — sustained load and overload (issue 18), not part of CI.
 *
 * Throwaway servers, `threds worker` and `threds gateway` as separate processes (as in run.ts), 20 busy counter
 * threds. First a short closed loop measures saturation (events/s *applied*, from the read model); then two open-loop
 * phases of the given duration each: ~70 % of saturation, then 150 %. A sender whose event is refused (429/503)
 * re-sends the same event id after its Retry-After, as a client should. Every second it samples applied events/s,
 * the backlog (acknowledged − applied, per thred), POST latency; after each phase it waits for the backlog to reach
 * zero (recovery time) and checks every acknowledged event was applied exactly once (the counter of each thred equals
 * the events acknowledged for it). At the end: history length of each run and workflow-task timeouts (from the
 * histories), worker/gateway RSS at start and end. Results: bench/results/soak-<time>.json and .png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: no named exports under ESM
import { MongoClient } from 'mongodb';
import { createCanvas } from '@napi-rs/canvas';
import { freePort, projectRoot, stopAll, throwawayServers, type ServerProcess } from '../bin/stack';
import { createStore, type Store } from '../store';
import { validatePattern } from '../patterns';
import { percentiles, round } from './stats';

export interface SoakOptions {
  /** Length of each of the two phases (70 % and 150 % of saturation). */
  phaseMs: number;
  threds: number;
  /** Applied events/s taken as saturation instead of measuring it (the closed loop's figure is a lower bound). */
  saturation?: number;
}

const COUNTER = {
  id: 'soak_counter',
  name: 'Soak Counter',
  reactions: [
    {
      name: 'count',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'soak.count'",
        onTrue: { xpr: "$setLocal('n', ($local('n') ? $local('n') : 0) + 1)" },
        transition: { name: '$noTransition' },
      },
    },
  ],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Requests the soak client holds open at once (each is a socket). */
const MAX_IN_FLIGHT = 2000;

function rssMB(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

interface Sample {
  t: number;
  phase: string;
  appliedPerSec: number;
  backlogSum: number;
  backlogMax: number;
  acceptedPerSec: number;
  refusedPerSec: number;
  p50: number;
  p99: number;
}

export async function runSoak(opts: SoakOptions): Promise<string> {
  const tmp = mkdtempSync(join(tmpdir(), 'threds-soak-'));
  const servers: ServerProcess[] = [];
  const children: ChildProcess[] = [];
  const closers: (() => Promise<unknown> | void)[] = [];
  let ok = false;
  try {
    const { address, mongoUrl, servers: started } = await throwawayServers(tmp);
    servers.push(...started);
    const connection = await Connection.connect({ address });
    closers.push(() => connection.close());
    const client = new Client({ connection });
    const mongoDb = `soak_${randomBytes(3).toString('hex')}`;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      MONGO_URL: mongoUrl,
      MONGO_DB: mongoDb,
      THREDS_PORT: String(port),
      THREDS_JWT_SECRET: randomBytes(24).toString('base64url'),
      THREDS_TASK_QUEUE: `soak-threds-${randomBytes(3).toString('hex')}`,
      THREDS_RATE_LIMIT: '100000000', // one principal: the backpressure bounds are what is measured
      THREDS_CONFIG_DIR: join(projectRoot, 'test', 'fixtures', 'config-empty'),
      LOG_LEVEL: 'warn',
    };
    const mongo = await MongoClient.connect(mongoUrl);
    closers.push(() => mongo.close());
    const store = createStore(mongo.db(mongoDb));
    const report = validatePattern(COUNTER);
    if (!report.pattern) throw new Error(JSON.stringify(report.errors));
    await store.patterns.put(report.pattern, Date.now());
    const service = (name: string) => {
      const fd = openSync(join(tmp, `${name}.log`), 'a');
      const child = spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), name], {
        env,
        stdio: ['ignore', fd, fd],
      });
      children.push(child);
      return child;
    };
    const worker = service('worker');
    const gateway = service('gateway');
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/health`).catch(() => undefined))?.ok) break;
      if (i > 300) throw new Error('gateway not up');
      await sleep(200);
    }
    const token = await cliToken(env);
    const rss = { start: { worker: rssMB(worker.pid), gateway: rssMB(gateway.pid) } };

    // Per thred: events acknowledged (202). Applied = the thred's counter in the read model.
    const acked = new Map<string, number>();
    let accepted = 0;
    let refused = 0;
    const refusedBy: Record<string, number> = {};
    let latencies: number[] = [];
    // The client holds at most MAX_IN_FLIGHT requests open (one socket each): beyond that a send waits for a slot,
    // and the schedule's lag is reported instead of the client running out of file descriptors.
    let inFlight = 0;
    const slotFreed: (() => void)[] = [];
    let connectionErrors = 0;
    const post = async (event: Record<string, unknown>): Promise<void> => {
      for (;;) {
        while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => slotFreed.push(r));
        inFlight++;
        const t0 = Date.now();
        let res: Response | undefined;
        try {
          res = await fetch(`${base}/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(event),
          });
          await res.arrayBuffer();
        } catch {
          res = undefined;
        } finally {
          inFlight--;
          slotFreed.shift()?.();
        }
        if (!res) {
          // No answer: the event may or may not be stored; the same id again is safe (the gateway dedupes).
          connectionErrors++;
          await sleep(1000);
          continue;
        }
        latencies.push(Date.now() - t0);
        if (res.status === 202) {
          accepted++;
          if (typeof event.thredId === 'string') acked.set(event.thredId, (acked.get(event.thredId) ?? 0) + 1);
          return;
        }
        if (res.status !== 429 && res.status !== 503) throw new Error(`POST /events → ${res.status}`);
        refused++;
        refusedBy[res.status] = (refusedBy[res.status] ?? 0) + 1;
        await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000); // then the same id again
      }
    };
    const thredIds: string[] = [];
    for (let i = 0; i < opts.threds; i++) {
      const res = await fetch(`${base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ id: `s-${randomUUID()}`, type: 'soak.count', source: { id: 'soak' } }),
      });
      const body = (await res.json()) as { results: { thredIds: string[] }[] };
      thredIds.push(body.results[0]!.thredIds[0]!);
      acked.set(thredIds[i]!, 1);
    }
    const applied = async () => appliedPer(store, thredIds);
    const one = (i: number) =>
      post({ id: `c-${randomUUID()}`, type: 'soak.count', source: { id: 'soak' }, thredId: thredIds[i % opts.threds] });

    // --- saturation: closed loop, applied events/s ----------------------------------------------------------------
    const calMs = Math.min(20_000, Math.max(5_000, opts.phaseMs / 4));
    const before = sum(await applied());
    const calStart = Date.now();
    let k = 0;
    await Promise.all(
      // Enough senders to saturate the worker (the door's backpressure keeps the backlog bounded meanwhile).
      Array.from({ length: 256 }, async () => {
        while (Date.now() - calStart < calMs) await one(k++);
      }),
    );
    const { recoveryMs: calDrain } = await drain(applied, acked, thredIds);
    const measured = round(((sum(await applied()) - before) * 1000) / (Date.now() - calStart));
    const saturation = opts.saturation ?? measured;
    console.log(`[soak] saturation ≈ ${saturation} applied events/s (drained ${calDrain} ms after the loop)`);

    // --- the two phases ---------------------------------------------------------------------------------------
    const samples: Sample[] = [];
    const phases: Record<string, unknown>[] = [];
    for (const [name, factor] of [
      ['70%', 0.7],
      ['150%', 1.5],
    ] as const) {
      const rate = Math.max(1, saturation * factor);
      latencies = [];
      const acceptedAt = accepted;
      const refusedAt = refused;
      const start = Date.now();
      const appliedAtStart = sum(await applied());
      let last = { t: start, applied: appliedAtStart, accepted, refused };
      const sampler = setInterval(() => {
        void (async () => {
          const per = await applied();
          const now = Date.now();
          // An event may be applied before its sender has read the 202: never below 0.
          const backlogs = thredIds.map((id, i) => Math.max(0, (acked.get(id) ?? 0) - (per[i] ?? 0)));
          const p = percentiles(latencies);
          latencies = [];
          const dt = (now - last.t) / 1000;
          samples.push({
            t: round((now - start) / 1000),
            phase: name,
            appliedPerSec: round((sum(per) - last.applied) / dt),
            backlogSum: sum(backlogs),
            backlogMax: Math.max(...backlogs),
            acceptedPerSec: round((accepted - last.accepted) / dt),
            refusedPerSec: round((refused - last.refused) / dt),
            p50: p.p50,
            p99: p.p99,
          });
          last = { t: now, applied: sum(per), accepted, refused };
        })();
      }, 1000);
      const pending: Promise<void>[] = [];
      const total = Math.round((opts.phaseMs / 1000) * rate);
      const errorsAt = connectionErrors;
      let failure: unknown;
      for (let i = 0; i < total; i++) {
        const wait = start + (i * 1000) / rate - Date.now();
        if (wait > 0) await sleep(wait);
        // Caught here: a rejection left unhandled while the schedule runs would end the process and leave the
        // servers it started behind.
        pending.push(
          one(i).catch((err: unknown) => {
            failure ??= err;
          }),
        );
      }
      await Promise.all(pending);
      if (failure) throw failure;
      const loadEnd = Date.now();
      const { recoveryMs } = await drain(applied, acked, thredIds);
      clearInterval(sampler);
      const mine = samples.filter((s) => s.phase === name);
      phases.push({
        name,
        offeredPerSec: round(rate),
        appliedPerSec: round(((sum(await applied()) - appliedAtStart) * 1000) / (Date.now() - start)),
        accepted: accepted - acceptedAt,
        refused: refused - refusedAt,
        maxBacklog: Math.max(0, ...mine.map((s) => s.backlogSum)),
        maxBacklogPerThred: Math.max(0, ...mine.map((s) => s.backlogMax)),
        recoveryMs,
        loadMs: loadEnd - start,
        connectionErrors: connectionErrors - errorsAt,
        rss: { worker: rssMB(worker.pid), gateway: rssMB(gateway.pid) },
      });
      console.log(`[soak] ${name}: ${JSON.stringify(phases.at(-1))}`);
    }

    // --- exactly once, histories -------------------------------------------------------------------------------
    const per = await applied();
    const lost = thredIds.reduce((a, id, i) => a + Math.max(0, (acked.get(id) ?? 0) - (per[i] ?? 0)), 0);
    const doubled = thredIds.reduce((a, id, i) => a + Math.max(0, (per[i] ?? 0) - (acked.get(id) ?? 0)), 0);
    const runs: { thredId: string; historyLength: number; continuedAsNew: boolean }[] = [];
    let taskTimeouts = 0;
    const E = proto.temporal.api.enums.v1.EventType;
    for (const id of thredIds) {
      const latest = await client.workflow.getHandle(id).fetchHistory();
      let runId: string | undefined =
        latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ?? undefined;
      while (runId) {
        const h = await client.workflow.getHandle(id, runId).fetchHistory();
        const events = h.events ?? [];
        taskTimeouts += events.filter((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length;
        const next = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
        runs.push({ thredId: id, historyLength: events.length, continuedAsNew: !!next });
        runId = next ?? undefined;
      }
    }
    const result = {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, memGB: round(totalmem() / 2 ** 30), node: process.version },
      options: opts,
      saturationAppliedPerSec: saturation,
      closedLoopAppliedPerSec: measured,
      phases,
      exactlyOnce: { accepted: accepted + opts.threds, lost, doubled },
      refusals: refusedBy,
      workflowTaskTimeouts: taskTimeouts,
      historyLength: { ...percentiles(runs.map((r) => r.historyLength)), runs: runs.length },
      rss: { ...rss, end: { worker: rssMB(worker.pid), gateway: rssMB(gateway.pid) } },
      samples,
    };
    const stamp = result.when.replace(/[:.]/g, '-');
    const file = join(projectRoot, 'bench', 'results', `soak-${stamp}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    chart(file.replace(/\.json$/, '.png'), `Threds soak — ${result.when}`, samples);
    const { samples: _s, ...summary } = result;
    console.log(JSON.stringify(summary, null, 2));
    ok = true;
    return file;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await stopAll(servers);
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    if (ok) rmSync(tmp, { recursive: true, force: true });
    else console.error(`[soak] failed; logs kept in ${tmp}`);
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function appliedPer(store: Store, ids: string[]): Promise<number[]> {
  return Promise.all(ids.map(async (id) => ((await store.threds.get(id))?.locals.n as number | undefined) ?? 0));
}

/** Waits until every thred applied what was acknowledged for it (at most 5 minutes): the recovery time. */
async function drain(
  applied: () => Promise<number[]>,
  acked: Map<string, number>,
  ids: string[],
): Promise<{ recoveryMs: number }> {
  const t0 = Date.now();
  while (Date.now() - t0 < 300_000) {
    const per = await applied();
    if (ids.every((id, i) => (per[i] ?? 0) >= (acked.get(id) ?? 0))) break;
    await sleep(200);
  }
  return { recoveryMs: Date.now() - t0 };
}

async function cliToken(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), 'token', 'soak', '--ttl', '24h'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error('threds token failed');
  return out.trim();
}

/** Applied/s and backlog over time (left axis), POST p99 (right axis, ms); a line per series, phases shaded. */
function chart(file: string, title: string, samples: Sample[]): void {
  const W = 1100;
  const H = 480;
  const c = createCanvas(W, H);
  const g = c.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  g.fillStyle = '#111';
  g.font = 'bold 16px sans-serif';
  g.fillText(title, 20, 28);
  const x0 = 70;
  const x1 = W - 70;
  const y0 = H - 50;
  const y1 = 60;
  const n = Math.max(1, samples.length - 1);
  const x = (i: number) => x0 + ((x1 - x0) * i) / n;
  const maxL = Math.max(1, ...samples.flatMap((s) => [s.appliedPerSec, s.backlogSum, s.acceptedPerSec]));
  const maxR = Math.max(1, ...samples.map((s) => s.p99).filter(Number.isFinite));
  samples.forEach((s, i) => {
    if (s.phase === '150%') {
      g.fillStyle = '#f6eee0';
      g.fillRect(x(i) - (x1 - x0) / n / 2, y1, (x1 - x0) / n, y0 - y1);
    }
  });
  const line = (values: number[], max: number, color: string) => {
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    values.forEach((v, i) => {
      const y = y0 - ((y0 - y1) * (Number.isFinite(v) ? v : 0)) / max;
      if (i === 0) g.moveTo(x(i), y);
      else g.lineTo(x(i), y);
    });
    g.stroke();
  };
  g.strokeStyle = '#999';
  g.strokeRect(x0, y1, x1 - x0, y0 - y1);
  line(
    samples.map((s) => s.appliedPerSec),
    maxL,
    '#1f77b4',
  );
  line(
    samples.map((s) => s.acceptedPerSec),
    maxL,
    '#2ca02c',
  );
  line(
    samples.map((s) => s.backlogSum),
    maxL,
    '#d62728',
  );
  line(
    samples.map((s) => s.p99),
    maxR,
    '#9467bd',
  );
  g.font = '12px sans-serif';
  const legend: [string, string][] = [
    ['applied/s', '#1f77b4'],
    ['accepted/s', '#2ca02c'],
    ['backlog (events)', '#d62728'],
    [`POST p99 ms (top = ${round(maxR)})`, '#9467bd'],
    ['150 % phase (shaded)', '#c8a060'],
  ];
  legend.forEach(([label, color], i) => {
    g.fillStyle = color;
    g.fillRect(x0 + i * 190, H - 30, 12, 12);
    g.fillStyle = '#111';
    g.fillText(label, x0 + i * 190 + 18, H - 20);
  });
  g.fillText(String(round(maxL)), 10, y1 + 10);
  g.fillText('0', 50, y0);
  writeFileSync(file, c.toBuffer('image/png'));
}
