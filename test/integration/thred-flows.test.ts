// Thred flows that need more than one event or process: forward/local input chains, running threds taking unbound
// events, children ending with their parent, and a worker process killed mid-thred.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../patterns';
import { projectRoot } from '../../bin/stack';
import { agentType, evt, startEngine, waitFor, type TestEngine } from '../helpers/engine';

const SLOW = agentType('slow');
let slowCalls = 0;

const chain = {
  name: 'Chain',
  reactions: [
    {
      name: 'a',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.chain'",
        onTrue: { xpr: "$setLocal('first', $event)" },
        transition: { name: 'b', input: 'forward' },
      },
    },
    {
      name: 'b',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.chain'",
        onTrue: { xpr: "$setLocal('b_saw', $event.id)" },
        transition: { name: 'c' },
      },
    },
    {
      name: 'c',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.replay'",
        transition: { name: 'd', input: 'local', localName: 'first' },
      },
    },
    {
      name: 'd',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.chain'",
        onTrue: { xpr: "$setLocal('d_saw', $event.id)" },
        transform: { eventDataTemplate: { title: 'chain done' } },
        publish: { to: '$thred' },
      },
    },
  ],
};

const collector = {
  name: 'Collector',
  reactions: [
    { name: 'open', condition: { type: 'filter', xpr: "$event.type = 'test.collect.open'" } },
    {
      name: 'collect',
      allowUnboundEvents: true,
      condition: {
        type: 'or',
        operands: [
          {
            type: 'filter',
            xpr: "$event.type = 'test.reading'",
            onTrue: { xpr: "$setLocal('readings', ($local('readings') ? $local('readings') : 0) + 1)" },
            transition: { name: '$noTransition' },
          },
          { type: 'filter', xpr: "$event.type = 'test.collect.close'", transition: { name: 'closed' } },
        ],
      },
    },
    { name: 'closed', condition: { type: 'filter', xpr: "$event.type = 'test.never'" } },
  ],
};

const parent = {
  name: 'Parent',
  reactions: [
    {
      name: 'p1',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.parent'",
        spawn: { names: ['kid'], type: 'child' },
        transition: { name: 'p2' },
      },
    },
    {
      name: 'p2',
      condition: { type: 'filter', xpr: "$event.type = 'test.parent.end'", transition: { name: '$terminate' } },
    },
  ],
};
/** Each spawner thred spawns one `only_kid` child, of a pattern that allows one active thred at a time. */
const spawner = {
  id: 'spawner',
  name: 'Spawner',
  reactions: [
    {
      name: 'sp1',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.spawner'",
        spawn: { names: ['only_kid'], type: 'child' },
        transition: { name: 'sp2' },
      },
    },
    {
      name: 'sp2',
      condition: { type: 'filter', xpr: "$event.type = 'test.spawner.end'", transition: { name: '$terminate' } },
    },
  ],
};
const onlyKid = {
  id: 'only_kid',
  name: 'Only Kid',
  maxInstances: 1,
  reactions: [{ name: 'ok1', condition: { type: 'filter', xpr: "$event.type = 'test.kid.never'" } }],
};
const kid = {
  name: 'Kid',
  reactions: [{ name: 'k1', condition: { type: 'filter', xpr: "$event.type = 'test.kid.never'" } }],
};

const slow = {
  name: 'Slow',
  reactions: [
    {
      name: 's1',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'test.slow'",
        transform: { eventDataTemplate: { title: 'work' } },
        publish: { to: SLOW, name: 'work' },
      },
    },
    {
      name: 's2',
      condition: {
        type: 'filter',
        xpr: "$isResponseFor('work')",
        transform: { eventDataTemplate: { title: 'slow done' } },
        publish: { to: '$thred' },
      },
    },
  ],
};

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine('flows', {
    patterns: [chain, collector, parent, kid, slow, spawner, onlyKid],
    agents: [
      {
        nodeType: SLOW,
        handler: async (message: Message) => {
          slowCalls++;
          await new Promise((r) => setTimeout(r, 2500));
          return { id: `slow-reply-${message.id}`, type: SLOW, source: { id: SLOW }, data: { title: 'ok' } };
        },
      },
    ],
  });
});
afterAll(async () => e?.close());

describe('thred flows', () => {
  it('forward re-applies the event to the next reaction at once; local replays a stored event', async () => {
    const first = evt('test.chain', 'person1');
    const { started } = await e.router.route(first);
    const thredId = started[0]!;
    const afterFirst = await waitFor(async () => {
      const s = await e.snapshot(thredId);
      return s.state.reaction === 'c' ? s : undefined;
    }, 'chain to reach c');
    expect(afterFirst.state.locals.b_saw).toBe(first.id); // b saw the forwarded event

    await e.router.route(evt('test.replay', 'person1', { thredId }));
    const done = await e.s.client.workflow.getHandle(thredId).result();
    expect(done.status).toBe('terminated');
    expect(done.locals.d_saw).toBe(first.id); // d saw the stored first event
    const log = await e.store.thredLog.forThred(thredId);
    expect(log.filter((l) => l.kind === 'matched').map((l) => `${l.from}->${l.to}`)).toEqual([
      'a->b',
      'b->c',
      'c->d',
      'd->null',
    ]);
    const msg = await waitFor(
      async () => (await e.store.outbox.since('person1', 0)).find((m) => m.message.event.thredId === thredId),
      'chain done message',
    );
    expect(msg.message.event.data?.title).toBe('chain done');
  });

  it('offers unbound events to running threds whose reaction allows them, and stops once it leaves', async () => {
    const open = evt('test.collect.open', 'person2');
    const thredId = (await e.router.route(open)).started[0]!;
    await waitFor(async () => (await e.store.threds.acceptingUnbound()).includes(thredId), 'index to list the thred');
    expect((await e.store.threds.get(thredId))?.acceptsUnbound).toBe(true);

    const reading = evt('test.reading', 'sensorX');
    const r1 = await e.router.route(reading);
    expect(r1).toMatchObject({ thredIds: [thredId], started: [] });
    expect((await e.store.events.get(reading.id))?.thredIds).toEqual([thredId]);
    await e.router.route(evt('test.reading', 'sensorY'));
    expect((await e.snapshot(thredId)).state.locals.readings).toBe(2);

    await e.router.route(evt('test.collect.close', 'person2', { thredId }));
    await waitFor(async () => !(await e.store.threds.acceptingUnbound()).includes(thredId), 'index to drop the thred');
    expect((await e.store.threds.get(thredId))?.acceptsUnbound).toBe(false);
    const late = evt('test.reading', 'sensorZ');
    const r3 = await e.router.route(late);
    expect(r3.thredIds).toEqual([]);
    expect((await e.store.events.get(late.id))?.outcome).toBe('no_pattern'); // offered, taken by nobody
    expect((await e.snapshot(thredId)).state.locals.readings).toBe(2);
  });

  it('ends a child thred when its parent ends', async () => {
    const thredId = (await e.router.route(evt('test.parent', 'person3'))).started[0]!;
    const withChild = await waitFor(async () => {
      const s = await e.snapshot(thredId);
      return s.state.childThredIds.length === 1 ? s : undefined;
    }, 'the child to be spawned');
    const childId = withChild.state.childThredIds[0]!;
    // The parent's state names the child in the step that spawns it; the child workflow starts after that step.
    const child0 = await waitFor(() => e.snapshot(childId).catch(() => undefined), 'the child workflow to start');
    expect(child0.state).toMatchObject({ status: 'active', parentThredId: thredId, spawnType: 'child' });

    await e.router.route(evt('test.parent.end', 'person3', { thredId }));
    const child = await e.s.client.workflow.getHandle(childId).result();
    expect(child.status).toBe('terminated');
    expect((await e.store.threds.get(childId))?.status).toBe('terminated');
  });

  it("counts spawned threds against their pattern's maxInstances, and records a refused spawn", async () => {
    const spawnerThred = async (who: string) => {
      const id = (await e.router.route(evt('test.spawner', who))).started[0]!;
      return waitFor(async () => {
        const s = await e.snapshot(id);
        return s.state.reaction === 'sp2' && s.queued === 0 ? { id, s } : undefined;
      }, 'the spawner to spawn');
    };
    const first = await spawnerThred('person5');
    const [childId] = first.s.state.childThredIds;
    expect(childId).toBeDefined();
    await waitFor(async () => (await e.store.threds.get(childId!))?.status === 'active', 'the first child');
    expect(await e.store.instances.active('only_kid')).toBe(1);

    // A second spawn while the only slot is held is refused: no child, and the parent's log says why.
    const second = await spawnerThred('person6');
    await waitFor(
      async () => (await e.snapshot(second.id)).state.childThredIds.length === 0,
      'the refused child dropped',
    );
    const log = await e.store.thredLog.forThred(second.id);
    expect(log.find((r) => r.kind === 'refused')?.detail).toMatch(
      /only_kid already has 1 active threds \(maxInstances 1\)/,
    );
    expect(await e.store.instances.active('only_kid')).toBe(1);

    // The slot comes back when the first child ends with its parent; the next spawn is admitted.
    await e.router.route(evt('test.spawner.end', 'person5', { thredId: first.id }));
    await e.s.client.workflow.getHandle(childId!).result();
    await waitFor(async () => (await e.store.instances.active('only_kid')) === 0, 'the slot released');
    const third = await spawnerThred('person7');
    expect(third.s.state.childThredIds).toHaveLength(1);
    await waitFor(async () => (await e.store.instances.active('only_kid')) === 1, 'the third child admitted');
  });

  it('completes a thred exactly once when its worker process is killed mid-thred and restarted', async () => {
    await e.stopThredWorker(); // from here on, threds run only in the child process
    const startWorker = (): ChildProcess =>
      spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), 'worker'], {
        env: {
          ...process.env,
          MONGO_DB: e.s.dbName,
          THREDS_TASK_QUEUE: e.s.taskQueue,
          THREDS_CONFIG_DIR: join(projectRoot, 'test', 'fixtures', 'config-empty'),
          THREDS_JWT_SECRET: 'test-secret-test-secret-test-secret',
        },
        stdio: 'ignore',
      });
    let worker = startWorker();
    try {
      const ev = evt('test.slow', 'person4');
      const thredId = (await e.router.route(ev)).started[0]!;
      await waitFor(async () => slowCalls > 0, 'the agent call to start', 30_000);
      worker.kill('SIGKILL'); // mid-thred: the agent is working, the thred waits for its reply
      await new Promise((r) => worker.once('exit', r));
      worker = startWorker();
      const done = await e.s.client.workflow.getHandle(thredId).result();
      expect(done.status).toBe('terminated');
      const msgs = (await e.store.outbox.since('person4', 0)).filter((m) => m.message.event.thredId === thredId);
      expect(msgs.map((m) => m.message.event.data?.title)).toEqual(['slow done']);
      const matched = (await e.store.thredLog.forThred(thredId)).filter((l) => l.kind === 'matched');
      expect(matched.map((l) => l.from)).toEqual(['s1', 's2']);
      expect(slowCalls).toBe(1);
    } finally {
      worker.kill('SIGKILL');
      await e.startThredWorker();
    }
  }, 90_000);
});
