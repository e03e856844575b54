// Agents end to end on the real Temporal dev server and FerretDB: patterns run by the real engine call agents served
// by the agent runtime (bin/agents.ts) — the persistence agent, a custom module agent, the webhook agent — and an agent
// written in Go running as its own process. Replies, retries, permanent errors and exhausted retries are read from
// what participants receive (store.outbox), the thred log and the dead letters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Message } from '../../patterns';
import type { AgentConfig } from '../../store/directory';
import { projectRoot } from '../../bin/stack';
import { agentType, evt, waitFor } from '../helpers/engine';
import { uniqueName } from '../helpers/servers';
import { startAgentEngine, type AgentEngine } from '../helpers/agents';

const PERSISTENCE = 'org.wt.persistence';
const CUSTOM = agentType('custom');
const WEBHOOK = agentType('webhook');
const UNCONFIGURED = agentType('webhook-off');
const GO = agentType('go');
const CLI = agentType('cli');
const dataDb = uniqueName('t_agentdata');
const fast = { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 3 };

/** Asks `agent` with the event's content, then tells the asker the reply's values. */
function askPattern(id: string, agent: string) {
  return {
    id,
    name: id,
    reactions: [
      {
        name: 'ask',
        condition: {
          type: 'filter',
          xpr: `$event.type = 'test.${id}'`,
          onTrue: { xpr: "$setLocal('asker', $event.source.id)" },
          transform: { eventDataTemplate: { title: `ask ${id}`, content: '$xpr($content)' } },
          publish: { to: agent, name: 'ask' },
        },
      },
      {
        name: 'answer',
        condition: {
          type: 'filter',
          xpr: "$isResponseFor('ask')",
          transform: {
            eventDataTemplate: {
              title: `answer ${id}`,
              content: {
                values: { reply: '$xpr($values)', from: '$xpr($event.source.id)', type: '$xpr($event.type)' },
              },
            },
          },
          publish: { to: "$xpr($local('asker'))" },
        },
      },
    ],
  };
}

// --- a local webhook receiver ---------------------------------------------------------------------------------
const hookSecret = 'test-secret-0123456789';
const hookCalls: { signatureOk: boolean; messageId: string; mode: string }[] = [];
const hookSeen = new Map<string, number>();
const hook: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const expected = `sha256=${createHmac('sha256', hookSecret).update(body).digest('hex')}`;
    const message = JSON.parse(body) as Message;
    const mode = String((message.event.data?.content?.values as { mode?: string } | undefined)?.mode ?? 'ok');
    const n = (hookSeen.get(message.id) ?? 0) + 1;
    hookSeen.set(message.id, n);
    hookCalls.push({ signatureOk: req.headers['x-threds-signature'] === expected, messageId: message.id, mode });
    if (mode === 'reject') return void res.writeHead(422).end('no such thing');
    if (mode === 'flaky' && n === 1) return void res.writeHead(503).end();
    if (mode === 'slow' && n === 1) return void setTimeout(() => res.writeHead(200).end(), 3000);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ data: { content: { values: { received: message.event.id, calls: n } } } }));
  });
});

let goAgent: ChildProcess | undefined;
let goDir: string | undefined;
const hasGo = spawnSync('go', ['version']).status === 0;

let e: AgentEngine;
beforeAll(async () => {
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const port = (hook.address() as { port: number }).port;
  const agents: AgentConfig[] = [
    {
      nodeType: PERSISTENCE,
      nodeIds: ['org.wt.persistence.1'],
      taskQueue: agentType('persistence'), // this file's own queue; the address stays org.wt.persistence
      implementation: 'builtin:persistence',
      options: { dbname: dataDb },
      retry: fast,
    },
    { nodeType: CUSTOM, nodeIds: ['custom-1'], implementation: './custom-agent.mjs', retry: fast, concurrency: 4 },
    {
      nodeType: WEBHOOK,
      implementation: 'builtin:webhook',
      options: { url: `http://127.0.0.1:${port}/hook`, secret: hookSecret, timeoutMs: 500 },
      retry: fast,
    },
    { nodeType: UNCONFIGURED, implementation: 'builtin:webhook', options: {} },
    // No implementation: served by the Go process and by the `threds agent` process below.
    { nodeType: GO, nodeIds: ['go-1'], retry: fast },
    { nodeType: CLI, retry: fast },
  ];
  const uav = JSON.parse(readFileSync(join(projectRoot, 'patterns/library/uav_detect.json'), 'utf8')) as object;
  e = await startAgentEngine('agents', {
    patterns: [
      uav,
      askPattern('persist', PERSISTENCE),
      askPattern('custom', CUSTOM),
      askPattern('hook', WEBHOOK),
      askPattern('go', GO),
      askPattern('cli', CLI),
    ],
    agents,
    configDir: resolve(projectRoot, 'examples'),
  });
  if (hasGo) {
    goDir = mkdtempSync(join(tmpdir(), 'threds-go-agent-'));
    const bin = join(goDir, 'go-agent');
    // Go's build cache makes this a link step after the first build.
    const build = spawnSync('go', ['build', '-o', bin, '.'], {
      cwd: join(projectRoot, 'examples/go-agent'),
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`go build failed: ${build.stderr}`);
    goAgent = spawn(bin, ['-address', e.s.address, '-namespace', e.s.namespace, '-node-type', GO, '-node-id', 'go-1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((ready, fail) => {
      goAgent!.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && ready());
      goAgent!.on('exit', (code) => fail(new Error(`go agent exited with ${code}`)));
    });
  }
}, 300_000);
afterAll(async () => {
  goAgent?.kill('SIGTERM');
  if (goDir) rmSync(goDir, { recursive: true, force: true });
  await e?.s.mongo
    .db(dataDb)
    .dropDatabase()
    .catch(() => undefined);
  await e?.close();
  hook.close();
});

async function ask(id: string, sender: string, content: object) {
  const ev = evt(`test.${id}`, sender, { data: { content } });
  const { started } = await e.router.route(ev);
  expect(started).toHaveLength(1);
  return { thredId: started[0]!, eventId: ev.id };
}

async function answerTo(participant: string, thredId: string) {
  const entry = await waitFor(
    async () => (await e.store.outbox.since(participant, 0)).find((m) => m.message.event.thredId === thredId),
    `a message to ${participant}`,
  );
  return entry.message.event;
}

describe('agent runtime', () => {
  it('starts the configured agents and skips those without options or implementation', () => {
    expect(e.agents.started.sort()).toEqual([PERSISTENCE, CUSTOM, WEBHOOK].sort());
  });
});

describe('persistence agent through a thred', () => {
  // One entry per task; this request avoids array results, because an event holding nested arrays (a `get` result
  // forwarded as is) cannot be stored by FerretDB yet (store/events.ts) — the uav_detect test covers `get`.
  it('runs the tasks and feeds the result back into the thred', async () => {
    const { thredId } = await ask('persist', 'sensor-p', {
      tasks: [
        { op: 'put', params: { type: 'Reading', values: { id: 'r1', v: 1 } } },
        { op: 'put', params: { type: 'Reading', values: { id: 'r2', v: 2 } } },
        { op: 'count', params: { type: 'Reading', matcher: { v: 2 } } },
        { op: 'getOne', name: 'big', params: { type: 'Reading', matcher: { v: 2 }, selector: { include: ['v'] } } },
      ],
    });
    const answer = await answerTo('sensor-p', thredId);
    expect(answer.data?.content?.values).toMatchObject({
      type: PERSISTENCE,
      from: 'org.wt.persistence.1',
      reply: { result: ['r1', 'r2', 1, { id: 'r2', v: 2 }] },
    });
    expect(await e.s.mongo.db(dataDb).collection('Reading').countDocuments()).toBe(2);
  });

  // Events with `$` keys (matcher operators) cannot be stored by FerretDB yet (store/events.ts), so this refusal uses
  // a database outside the allowlist; persistence.test.ts covers operator refusals directly.
  it('a refused task reaches the thred participants as an error event, without retries or dead letter', async () => {
    const { thredId } = await ask('persist', 'sensor-q', {
      tasks: [{ op: 'get', params: { type: 'participants' }, options: { dbname: e.s.dbName } }],
    });
    const notice = await answerTo('sensor-q', thredId);
    expect(notice).toMatchObject({
      type: 'org.wt.tell',
      source: { id: 'SYSTEM' },
      data: { content: { error: { code: 4101 } } },
    });
    expect(String(notice.data?.content?.error?.message)).toContain('/0/options/dbname');
    expect(await e.store.deadLetters.forThred(thredId)).toEqual([]);
  });

  it('uav_detect: the sensor event looks up the contact and the contact gets the advice', async () => {
    await e.s.mongo
      .db(dataDb)
      .collection<{ _id: string; sensorId: string; contactId: string }>('ContactInfo')
      .insertMany([
        { _id: 'c0', sensorId: 'sensor0', contactId: 'participant0' },
        { _id: 'c1', sensorId: 'sensor1', contactId: 'participant1' },
      ]);
    const ev = evt('org.wt.sensor.detectionEvent', 'sensor_agent0', {
      data: { content: { values: { sensorId: 'sensor0', latitude: 59.9, longitude: 10.7, confidence: 0.9 } } },
    });
    const { started } = await e.router.route(ev);
    expect(started).toEqual([`uav_detect_${ev.id}`]);
    const advice = await answerTo('participant0', started[0]!);
    expect(advice.data).toMatchObject({
      title: 'Possible UAV Detected',
      description: 'Sensor sensor0 has detected a possible UAV',
      advice: { title: 'UAV Notification', eventType: 'org.wt.client.tell', template: { name: 'uav_notification' } },
    });
    const log = await e.store.thredLog.forThred(started[0]!);
    expect(log.filter((l) => l.kind === 'matched').map((l) => [l.from, l.to])).toEqual([
      ['lookup_contact', 'notify_contact'],
      ['notify_contact', 'send_video'],
    ]);
    expect(await e.store.outbox.since('participant1', 0)).toEqual([]);
  });
});

describe('custom agent module', () => {
  it('transient failures are retried until the agent answers', async () => {
    const { thredId } = await ask('custom', 'sensor-c', { values: { failAttempts: 2, q: 'x' } });
    const answer = await answerTo('sensor-c', thredId);
    expect(answer.data?.content?.values).toMatchObject({
      type: CUSTOM,
      from: 'custom-1',
      reply: { q: 'x', answeredOnAttempt: 3 },
    });
  });

  it('a permanent failure (ctx.fail) is an immediate error event to the thred', async () => {
    const { thredId } = await ask('custom', 'sensor-d', { values: { invalid: true } });
    const notice = await answerTo('sensor-d', thredId);
    expect(notice.data?.content?.error).toEqual({ code: 4200, message: 'this request can never succeed' });
    expect(await e.store.deadLetters.forThred(thredId)).toEqual([]);
  });

  it('when retries run out the thred participants get error 5200 and a dead letter is stored', async () => {
    const { thredId } = await ask('custom', 'sensor-e', { values: { down: true } });
    const letter = await waitFor(async () => (await e.store.deadLetters.forThred(thredId))[0], 'a dead letter');
    expect(letter).toMatchObject({ nodeType: CUSTOM, thredId });
    expect(letter.error).toContain('backend down');
    const notice = await answerTo('sensor-e', thredId);
    expect(notice).toMatchObject({
      type: 'org.wt.tell',
      thredId,
      source: { id: 'SYSTEM' },
      data: { content: { error: { code: 5200 } } },
    });
  });

  it('a long task heartbeats and still answers', async () => {
    const { thredId } = await ask('custom', 'sensor-f', { values: { workMs: 600 } });
    const answer = await answerTo('sensor-f', thredId);
    expect(answer.data?.content?.values).toMatchObject({ reply: { workMs: 600, answeredOnAttempt: 1 } });
  });
});

describe('webhook agent', () => {
  it('POSTs the signed message and feeds a JSON answer back to the thred', async () => {
    const { thredId, eventId } = await ask('hook', 'sensor-h', { values: { mode: 'ok' } });
    const answer = await answerTo('sensor-h', thredId);
    expect(answer.data?.content?.values).toMatchObject({ type: WEBHOOK, reply: { calls: 1 } });
    const call = hookCalls.find((c) => c.mode === 'ok');
    expect(call?.signatureOk).toBe(true);
    expect(answer.data?.content?.values).not.toMatchObject({ reply: { received: eventId } }); // the agent's request, not the sensor's event
  });

  it('retries a 5xx and a timeout', async () => {
    for (const [mode, sender] of [
      ['flaky', 'sensor-i'],
      ['slow', 'sensor-j'],
    ] as const) {
      const { thredId } = await ask('hook', sender, { values: { mode } });
      const answer = await answerTo(sender, thredId);
      expect(answer.data?.content?.values).toMatchObject({ reply: { calls: 2 } });
    }
  });

  it('a 4xx is a permanent error event to the thred', async () => {
    const { thredId } = await ask('hook', 'sensor-k', { values: { mode: 'reject' } });
    const notice = await answerTo('sensor-k', thredId);
    expect(notice.data?.content?.error).toMatchObject({ code: 5200, message: expect.stringContaining('422') });
    expect(hookCalls.filter((c) => c.mode === 'reject')).toHaveLength(1);
  });
});

describe('agent in another language', () => {
  it.skipIf(!hasGo)('a Go worker on its own task queue answers the thred', async () => {
    const { thredId } = await ask('go', 'sensor-g', { values: { q: 42 } });
    const answer = await answerTo('sensor-g', thredId);
    expect(answer.data?.content?.values).toMatchObject({ type: GO, from: 'go-1', reply: { agent: 'go', q: 42 } });
    const { thredId: failing } = await ask('go', 'sensor-g2', { values: { fail: 'bad input' } });
    const notice = await answerTo('sensor-g2', failing);
    expect(notice.data?.content?.error).toMatchObject({ code: 5200, message: 'asked to fail: bad input' });
  });
});

describe('threds agent command', () => {
  it('runs the configured agent in its own process and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'threds-agent-cmd-'));
    const agents = [
      { nodeType: CLI, nodeIds: ['cli-1'], implementation: join(projectRoot, 'examples/custom-agent.mjs') },
    ];
    writeFileSync(join(dir, 'agents.json'), JSON.stringify(agents));
    const env = {
      ...process.env,
      THREDS_CONFIG_DIR: dir,
      MONGO_DB: e.s.dbName,
      THREDS_JWT_SECRET: 'x'.repeat(32),
      LOG_LEVEL: 'warn',
    };
    try {
      const unknown = spawnSync(process.execPath, ['bin/threds.mjs', 'agent', 'no.such.agent'], {
        cwd: projectRoot,
        env,
        encoding: 'utf8',
      });
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain('no agent configured with nodeType no.such.agent');

      const child = spawn(process.execPath, ['bin/threds.mjs', 'agent', CLI], {
        cwd: projectRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await new Promise<void>((ready) =>
        child.stdout.on('data', (d: Buffer) => d.toString().includes('polling') && ready()),
      );
      const { thredId } = await ask('cli', 'sensor-cli', { values: { q: 'cli' } });
      const answer = await answerTo('sensor-cli', thredId);
      expect(answer.data?.content?.values).toMatchObject({ type: CLI, from: 'cli-1', reply: { q: 'cli' } });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
