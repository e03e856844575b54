/**
 * `npm run bench` — Threds against bare Temporal, measured in one run on the same servers (issue 8).
 *
 *   baseline   signal-with-start of a minimal workflow running one activity: workflows/s, signal→activity latency
 *   floor      signal-with-start of a workflow that completes in its first task: workflows/s, start→completion latency
 *   threds     POST /events accepted/s; POST → WebSocket message latency at a fixed offered rate and at saturation
 *   long       events/s through one thred across continue-as-new boundaries
 *   scale      N idle threds: worker and gateway RSS, latency of an event to one of them, history events per event
 *
 * One module per phase under bench/phases/; the report (results JSON, chart, tables, targets) under bench/report/.
 * The gateway and the thred worker run as separate processes (`threds gateway`, `threds worker`), as in production,
 * so their memory is measured alone; the CPU of every process, sampled from /proc per phase, gives CPU per 1,000
 * end-to-end events for each (bench/report/figures.ts). Results: bench/results/<timestamp>.json and .png, and a table on stdout.
 */
import { createResources } from './harness/resources';
import { startServers, startThreds, type Threds } from './harness/threds';
import { wsClient } from './harness/ws-client';
import { runBaseline } from './phases/baseline';
import type { BenchOptions, ThredsContext } from './phases/context';
import { END_TO_END, runEndToEnd } from './phases/end-to-end';
import { runFloor } from './phases/floor';
import { measureHistory } from './phases/history';
import { runIdle } from './phases/idle';
import { runIngest } from './phases/ingest';
import { runOneThred } from './phases/one-thred';
import { BENCH_PATTERNS } from './patterns';
import { createProfiler } from './profile';
import { perCore } from './report/figures';
import { benchResult, writeResults } from './report/report';
import { printTables } from './report/tables';

export type { BenchOptions } from './phases/context';

export async function runBench(opts: BenchOptions): Promise<string> {
  const res = createResources('bench');
  let threds: Threds | undefined;
  const profiler = createProfiler(() => ({
    temporal: res.servers.find((s) => s.name === 'temporal')?.child.pid,
    ferretdb: res.servers.find((s) => s.name !== 'temporal')?.child.pid,
    worker: threds?.worker.pid,
    gateway: threds?.gateway.pid,
    bench: process.pid,
  }));
  const bench = { opts, phase: profiler.phase };
  let ok = false;
  try {
    const servers = await startServers(res);
    console.log(`[bench] Temporal ${servers.address}, MongoDB ${servers.mongoUrl}`);
    const baseline = await runBaseline(bench, servers);
    const floor = await runFloor(bench, servers, baseline.fixedRate.rate);

    threds = await startThreds(res, servers, {
      prefix: 'bench',
      patterns: BENCH_PATTERNS,
      env: { THREDS_EVENT_BUDGET: '500' },
      profileDir: opts.profileDir,
    });
    const post = threds.poster(await threds.token('bench_sensor', '2h'));
    const ws = await wsClient(threds.baseUrl, await threds.token('bench_client', '2h'));
    res.onClose(() => ws.close());
    const ctx: ThredsContext = { ...bench, client: servers.client, threds, post, ws };
    const endToEnd = await runEndToEnd(ctx, baseline.fixedRate.rate);
    const ingest = await runIngest(ctx);
    const { result: oneThred, counter } = await runOneThred(ctx);
    const idle = await runIdle(ctx);
    const history = await measureHistory(ctx, counter);

    const cpu = perCore(END_TO_END, endToEnd, profiler.phases);
    const measures = { baseline, floor, endToEnd, ingest, oneThred, idle, history, perCore: cpu };
    const result = benchResult(opts, measures, profiler.phases);
    const file = writeResults(result);
    printTables(result);
    ok = true;
    return file;
  } finally {
    await res.release(ok);
  }
}
