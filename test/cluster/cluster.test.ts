// The cluster suite (`npm run test:cluster`, SPEC §13): the production topology of `npm run cluster` on free ports —
// PostgreSQL, the real Temporal server on it, FerretDB on PostgreSQL, two workers, the agents and two gateways, each
// its own process. In order: a worker against a namespace that `threds setup` has not prepared refuses to start and
// names the command; `threds setup` (run twice: idempotent) prepares it and the cluster starts; the UAV flow with the
// sensor on gateway 1 and the participant's WebSocket on gateway 2; a burst of bound events over both gateways and
// 50 threds while a worker and a gateway are SIGKILLed (and restarted by the supervisor), counted from the thred
// logs; the threds found by search attribute through the server's SQL visibility.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import {
  freeClusterPorts,
  startCluster,
  startClusterServers,
  type Cluster,
  type ClusterPorts,
  type ClusterServers,
} from '../../bin/cluster-stack';
import { loadConfig, type Config } from '../../bin/config';
import { projectRoot } from '../../bin/stack';
import { connectTemporal } from '../../gateway/temporal-connection';
import { signAccessToken } from '../../gateway/tokens';
import { titled, WsClient } from '../helpers/gateway';
import { burst, EventsClient, newTally, type OutboundEvent, type Tally } from '../faults/client';
import { Checker, Ledger, until } from '../faults/checks';
import { counterPattern } from '../faults/patterns';
import { readModelChecks, readModelStore } from '../helpers/read-model-checks';
import type { Store } from '../../store';

const THREDS = 50;
const TICKS = 2_000;
const COUNTER = 'cluster_count';

const secret = `cluster-${randomBytes(16).toString('hex')}`;
const token = (participantId: string, roles: string[] = []) =>
  signAccessToken(secret, { participantId, roles, ttlMs: 3_600_000 }).token;
const adminToken = token('cluster-admin', ['admin']);

let dir: string;
let ports: ClusterPorts;
let config: Config;
let env: NodeJS.ProcessEnv;
let servers: ClusterServers | undefined;
let cluster: Cluster | undefined;
let logFile: WriteStream;
let failed = false;

/** `threds <args>` as a child process with the cluster's environment; resolves with its exit code and output. */
function threds(args: string[], timeoutMs = 90_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), ...args], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const take = (b: Buffer) => {
      output += b.toString();
      logFile.write(`[${args[0]}] ${b.toString()}`);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const url = (i: number) => `http://127.0.0.1:${ports.gateways[i]}`;

async function api(
  method: string,
  path: string,
  body?: unknown,
  bearer = adminToken,
  gateway = 0,
): Promise<{ status: number; json: any }> {
  const res = await fetch(url(gateway) + path, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'threds-cluster-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root, and must reach its folder
  logFile = createWriteStream(join(dir, 'processes.log'));
  ports = await freeClusterPorts(2);
  env = {
    ...process.env,
    THREDS_DATA_DIR: join(dir, 'data'),
    TEMPORAL_NAMESPACE: 'threds-cluster',
    THREDS_JWT_SECRET: secret,
    MONGO_DB: 'threds_cluster',
    LOG_LEVEL: 'warn',
  };
  config = loadConfig(env);
  servers = await startClusterServers({
    dir,
    ports,
    namespace: config.temporalNamespace,
    ui: false,
    log: (l) => logFile.write(`[cluster] ${l}\n`),
  });
  env.TEMPORAL_ADDRESS = servers.temporalAddress;
  env.MONGO_URL = servers.mongoUrl;
  config = loadConfig(env);
}, 300_000);

afterAll(async () => {
  if (cluster) await cluster.stop();
  else await servers?.stop();
  logFile?.end();
  if (failed) console.log(`[cluster suite] logs kept in ${dir} (processes.log, logs/)`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('the local cluster', () => {
  it('a worker on an unprepared namespace refuses to start, naming `threds setup`; setup (twice) prepares it; the cluster starts', async () => {
    try {
      const refused = await threds(['worker']);
      expect(refused.code, refused.output).toBe(1);
      expect(refused.output).toMatch(
        /worker not started: namespace "threds-cluster" does not exist: run `npx threds setup`/,
      );

      const setup = await threds(['setup']);
      expect(setup.code, setup.output).toBe(0);
      expect(setup.output).toMatch(/namespace threds-cluster created/);
      expect(setup.output).toMatch(/search attributes registered: ThredPattern, ThredReaction, ThredStatus/);
      const again = await threds(['setup']);
      expect(again.code, again.output).toBe(0);
      expect(again.output).toMatch(/namespace threds-cluster exists/);
      expect(again.output).toMatch(/search attributes present/);

      cluster = await startCluster({
        dir,
        ports,
        config,
        servers: servers!,
        agents: ['org.wt.persistence'],
        ui: false,
        demo: true,
        env: { LOG_LEVEL: 'warn' },
        log: (name, line) => logFile.write(`[${name}] ${line}\n`),
      });
      for (const name of ['worker-1', 'worker-2', 'agent-org.wt.persistence', 'gateway-1', 'gateway-2']) {
        expect(cluster.processes.get(name)?.child.exitCode, name).toBeNull();
      }
      for (const i of [0, 1]) expect((await fetch(`${url(i)}/ready`)).status).toBe(200);
    } catch (err) {
      failed = true;
      throw err;
    }
  });

  it('UAV flow: the sensor posts to gateway 1, the participant answers over a WebSocket on gateway 2', async () => {
    try {
      expect(cluster, 'the cluster started').toBeDefined();
      const { ws } = await WsClient.connect(url(1), token('participant0', ['responder']));
      const res = await api(
        'POST',
        '/events',
        {
          type: 'org.wt.sensor.detectionEvent',
          source: { id: 'sensor_agent0' },
          data: { content: { values: { sensorId: 'sensor0', latitude: 59.9, longitude: 10.7, confidence: 0.9 } } },
        },
        token('sensor_agent0'),
        0,
      );
      expect(res.status, JSON.stringify(res.json)).toBe(202);
      const thredId = res.json.results[0].started[0] as string;
      expect(thredId).toMatch(/^uav_detect_/);
      const prompt = await ws.next(titled('Possible UAV Detected'), 'the UAV notification on gateway 2', 60_000);
      const promptEvent = (prompt.message as { event: { id: string; thredId: string } }).event;
      expect(promptEvent.thredId).toBe(thredId);
      ws.send({
        type: 'event',
        event: {
          type: 'org.wt.client.tell',
          thredId,
          re: promptEvent.id,
          source: { id: 'participant0' },
          data: { content: { values: { video_stream_request: true } } },
        },
      });
      expect(await ws.next((f) => f.type === 'ack' || f.type === 'error', 'the ack', 30_000)).toMatchObject({
        type: 'ack',
        thredIds: [thredId],
      });
      await ws.next(titled('UAV Video'), 'the video', 60_000);
      ws.close();
      const ended = await until(
        async () => (await api('GET', `/threds/${thredId}`, undefined, adminToken, 0)).json?.status === 'terminated',
        30_000,
      );
      expect(ended, 'the thred ended (read on gateway 1)').toBe(true);
    } catch (err) {
      failed = true;
      throw err;
    }
  });

  it(`${TICKS} bound events over both gateways and ${THREDS} threds, a worker and a gateway SIGKILLed mid-burst: each applied exactly once`, async () => {
    try {
      expect(cluster, 'the cluster started').toBeDefined();
      const c = cluster!;
      expect((await api('PUT', `/patterns/${COUNTER}`, counterPattern(COUNTER))).status).toBe(200);
      const ledger = new Ledger(COUNTER, `cl${randomBytes(3).toString('hex')}`);
      const tally: Tally = newTally();
      const clients = [new EventsClient(() => url(0), adminToken), new EventsClient(() => url(1), adminToken)];
      const opens = Array.from({ length: THREDS }, () => ledger.open());
      await Promise.all(opens.map((ev, i) => clients[i % 2]!.deliver(ev, tally, 60_000)));
      expect(tally.failed.size, 'every open acknowledged').toBe(0);
      const threds = opens.map((ev) => ledger.thredOf(ev.id));
      const started = await until(
        async () =>
          (await Promise.all(threds.map((t) => api('GET', `/threds/${t}`)))).every((r) => r.json?.reaction === 'count'),
        60_000,
        500,
      );
      expect(started, 'all threds running').toBe(true);

      const ticks: OutboundEvent[] = Array.from({ length: TICKS }, (_, i) => ledger.tick(threds[i % THREDS]!));
      const byGateway = [ticks.filter((_, i) => i % 2 === 0), ticks.filter((_, i) => i % 2 === 1)];
      let killedWorker = false;
      let killedGateway = false;
      const restarts: Promise<unknown>[] = [];
      const onAccepted = (n: number) => {
        if (!killedWorker && n >= THREDS + TICKS / 4) {
          killedWorker = true;
          restarts.push(c.nextIncarnation('worker-1').then((p) => p.ready));
          c.kill('worker-1', 'SIGKILL');
        }
        if (!killedGateway && n >= THREDS + TICKS / 2) {
          killedGateway = true;
          restarts.push(c.nextIncarnation('gateway-1').then((p) => p.ready));
          c.kill('gateway-1', 'SIGKILL');
        }
      };
      const t0 = Date.now();
      await Promise.all(byGateway.map((evs, i) => burst(clients[i]!, evs, tally, 8, onAccepted)));
      const burstMs = Date.now() - t0;
      expect(killedWorker && killedGateway, 'both faults happened mid-burst').toBe(true);
      await Promise.all(restarts);

      const checker = new Checker((await mongo()).db(config.mongoDb), { url: () => url(1), adminToken });
      const outcome = await checker.verify(ledger, tally, { waitMs: 120_000 });
      const conn = tally.attempts.filter((a) => a.status === 0).length;
      const s503 = tally.attempts.filter((a) => a.status === 503).length;
      console.log(
        `[cluster suite] burst: ${outcome.acked} acked in ${burstMs} ms; ${conn} connection errors, ${s503} 503s retried by id`,
      );
      expect.soft(outcome.lost, 'acknowledged events lost').toEqual([]);
      expect.soft(outcome.dup, 'events applied twice').toEqual([]);
      expect.soft(outcome.stuck, 'threds stuck').toEqual([]);
      expect.soft(outcome.unacked, 'events never acknowledged').toEqual([]);
      expect(outcome.acked).toBe(THREDS + TICKS);

      // The real server's SQL visibility: the threds by the search attributes they keep current.
      const connection = await connectTemporal(config.temporalAddress, config);
      try {
        const query = `WorkflowType = 'thred' AND ThredPattern = '${COUNTER}' AND ThredReaction = 'count' AND ThredStatus = 'active'`;
        const found = await until(
          async () =>
            Number(
              (await connection.workflowService.countWorkflowExecutions({ namespace: config.temporalNamespace, query }))
                .count,
            ) === THREDS,
          30_000,
          500,
        );
        expect(found, `${THREDS} threds found by "${query}"`).toBe(true);
      } finally {
        await connection.close();
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});

// The store's read-model contract on FerretDB on PostgreSQL, which serves filters from PostgreSQL: the layout the
// store detects there is the one written for MongoDB (the same checks run on SQLite in test/integration/read-model).
describe('the read model on FerretDB on PostgreSQL', () => {
  let store: Store;
  beforeAll(async () => {
    ({ store } = await readModelStore(await mongo(), 'threds_cluster_read_model'));
  });
  afterAll(async () => (await mongo()).db('threds_cluster_read_model').dropDatabase());

  it('the store detects that the server pushes filters down, and keeps one threds collection', async () => {
    expect(await store.threds.layout()).toBe('one-collection');
  });
  for (const [name, check] of Object.entries(readModelChecks)) it(name, () => check(store));
});

let mongoClient: MongoClient | undefined;
async function mongo(): Promise<MongoClient> {
  mongoClient ??= await MongoClient.connect(config.mongoUrl);
  return mongoClient;
}
afterAll(async () => {
  await mongoClient?.close();
});
