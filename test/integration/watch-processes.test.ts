// watchThreds (SPEC §14) across two `threds gateway` OS processes and a `threds worker` process on one store and
// Temporal namespace: an admin watching over a WebSocket on gateway 1 gets a push for each state of a thred that
// events posted to gateway 2 move; a watch requested over POST /events on gateway 2 is answered on the watcher's socket
// on gateway 1 (the reply crosses processes through /internal/deliver) and served there. The clients behave like
// original clients: hello, then event frames.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../store';
import { validatePattern, type Message } from '../../patterns';
import { signAccessToken } from '../../gateway/tokens';
import { connectTestServers, type TestServers } from '../helpers/servers';
import { eventId } from '../helpers/engine';
import { WsClient, type Frame } from '../helpers/gateway';
import { freePort, startThreds, type ThredsProcess } from '../helpers/threds-process';

const JWT_SECRET = 'watchproc-' + randomBytes(12).toString('hex');
const PATTERN = `watch_proc_${randomBytes(3).toString('hex')}`;
const SENSOR = 'wp-sensor';

let s: TestServers;
const procs: ThredsProcess[] = [];
let g1: string;
let g2: string;

const token = (participantId: string, roles: string[] = []) =>
  signAccessToken(JWT_SECRET, { participantId, roles, ttlMs: 3_600_000, now: Date.now() }).token;

const watchRequest = (directive = 'start') => ({
  id: eventId('wp-watch'),
  type: 'org.wt.control.sysControl',
  thredId: 'SYSTEM',
  source: { id: 'ignored' },
  data: { title: 'Watch Threds', content: { values: { op: 'watchThreds', directive } } },
});

type Pushed = { id: string; status: string; currentReaction: { reactionName?: string } };

const pushOf = (re: string, thredId: string, reaction: string) => (f: Frame) => {
  if (f.type !== 'message') return false;
  const e = (f.message as Message).event;
  const threds = (e.data?.content?.values as { threds?: Pushed[] } | undefined)?.threds;
  return (
    e.re === re &&
    e.thredId === 'SYSTEM' &&
    (threds?.some((t) => t.id === thredId && t.currentReaction.reactionName === reaction) ?? false)
  );
};
const answerTo = (id: string) => (f: Frame) =>
  f.type === 'message' &&
  (f.message as Message).event.re === id &&
  (f.message as Message).event.data?.content?.values !== undefined &&
  !('threds' in ((f.message as Message).event.data!.content!.values as object));

async function post(base: string, event: object, bearer = token(SENSOR)): Promise<string[]> {
  const res = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  const text = await res.text();
  expect(res.status, text).toBe(202);
  return (JSON.parse(text) as { results: { thredIds: string[] }[] }).results[0]!.thredIds;
}
const sensorEvent = (type: string, thredId?: string) => ({
  id: eventId('wp'),
  type,
  ...(thredId && { thredId }),
  source: { id: SENSOR },
});

beforeAll(async () => {
  s = await connectTestServers('watchproc');
  const store = createStore(s.db);
  await store.ensureIndexes();
  const report = validatePattern({
    id: PATTERN,
    name: PATTERN,
    reactions: [
      { name: 's1', condition: { type: 'filter', xpr: "$event.type = 'wp.start'" } },
      { name: 's2', condition: { type: 'filter', xpr: "$event.type = 'wp.next'" } },
      { name: 's3', condition: { type: 'filter', xpr: "$event.type = 'wp.next'" } },
      { name: 's4', condition: { type: 'filter', xpr: "$event.type = 'wp.never'" } },
    ],
  });
  if (!report.valid || !report.pattern) throw new Error(JSON.stringify(report.errors));
  await store.patterns.put(report.pattern, Date.now());

  const env = {
    MONGO_DB: s.dbName,
    THREDS_JWT_SECRET: JWT_SECRET,
    THREDS_TASK_QUEUE: s.taskQueue,
    LOG_LEVEL: 'warn',
    OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
  };
  const [p1, p2] = [await freePort(), await freePort()];
  g1 = `http://127.0.0.1:${p1}`;
  g2 = `http://127.0.0.1:${p2}`;
  procs.push(
    startThreds('gateway-1', ['gateway'], { ...env, THREDS_PORT: String(p1), THREDS_PUBLIC_URL: g1 }),
    startThreds('gateway-2', ['gateway'], { ...env, THREDS_PORT: String(p2), THREDS_PUBLIC_URL: g2 }),
    startThreds('worker', ['worker'], { ...env, THREDS_METRICS_PORT: 'off' }),
  );
  await Promise.all([
    procs[0]!.waitForLine((t) => t.includes('gateway listening on'), 'gateway 1', 90_000),
    procs[1]!.waitForLine((t) => t.includes('gateway listening on'), 'gateway 2', 90_000),
    procs[2]!.waitForLine((t) => t.includes('worker polling'), 'the worker', 90_000),
  ]);
}, 150_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await s?.close();
}, 60_000);

const logs = () => procs.map((p) => p.tail(20)).join('\n');

describe('watchThreds across gateway processes', () => {
  it('pushes to a watcher on gateway 1 the changes of a thred moved by events posted to gateway 2', async () => {
    const admin = (await WsClient.connect(g1, token('wp-admin', ['admin']))).ws;
    const req = watchRequest();
    admin.send({ type: 'event', event: req });
    await admin.next(answerTo(req.id), 'the watch answer');

    const [thredId] = await post(g2, sensorEvent('wp.start'));
    try {
      const first = await admin.next(pushOf(req.id, thredId!, 's2'), 'the push of the started thred', 30_000);
      expect(first.message).toMatchObject({
        to: ['wp-admin'],
        event: { type: 'org.wt.tell', thredId: 'SYSTEM', source: { id: 'SYSTEM' }, re: req.id },
      });
      await post(g2, sensorEvent('wp.next', thredId));
      await admin.next(pushOf(req.id, thredId!, 's3'), 'the push of the next state', 30_000);
    } catch (err) {
      throw new Error(`${String(err)}\n${logs()}`);
    }
    admin.close();
  }, 90_000);

  it('a watch requested over POST /events on gateway 2 is answered and served on the socket on gateway 1', async () => {
    const admin = (await WsClient.connect(g1, token('wp-admin2', ['admin']))).ws;
    const req = watchRequest();
    await post(g2, req, token('wp-admin2', ['admin']));
    try {
      const answer = await admin.next(answerTo(req.id), 'the watch answer, pushed from gateway 2', 30_000);
      expect((answer.message as Message).event.data?.content?.values).toEqual({
        status: 'OK',
        op: 'watchThreds',
        directive: 'start',
      });
      const [thredId] = await post(g2, sensorEvent('wp.start'));
      await admin.next(pushOf(req.id, thredId!, 's2'), 'the push on gateway 1', 30_000);
    } catch (err) {
      throw new Error(`${String(err)}\n${logs()}`);
    }
    admin.close();
  }, 90_000);
});
