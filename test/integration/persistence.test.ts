// The persistence agent's task language against the real MongoDB-compatible server (FerretDB in `npm test`): every
// op and every operator, database allowlisting, refusals before any write, and groups (sequential on FerretDB, which
// has no transactions). Calls the implementation directly; agents.test.ts drives it through threds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import type { Message } from '../../patterns';
import { createPersistenceAgent } from '../../activities/persistence';
import { TaskError } from '../../activities/agents/errors';
import type { AgentContext, AgentImplementation } from '../../activities/agents/types';
import { uniqueName } from '../helpers/servers';

const mongoUrl = process.env.MONGO_URL!;
const dataDb = uniqueName('t_pdata');
const otherDb = uniqueName('t_pother');
const thredsDb = uniqueName('t_pthreds');
let mongo: MongoClient;
let agent: AgentImplementation;
let n = 0;

const ctx = (attempt = 1): AgentContext => ({
  nodeType: 'org.wt.persistence',
  nodeId: 'org.wt.persistence.1',
  attempt,
  heartbeat: () => undefined,
  signal: new AbortController().signal,
  logger: pino({ level: 'silent' }),
  fail(message, code) {
    throw new TaskError(message, code);
  },
});

function message(tasks: unknown, id = `m${++n}`): Message {
  return {
    id,
    to: ['org.wt.persistence'],
    event: {
      id: `e${n}`,
      type: 'org.wt.tell',
      source: { id: 'SYSTEM' },
      thredId: 't1',
      data: { content: { tasks: tasks as unknown[] } },
    },
  };
}

async function run(tasks: unknown, attempt = 1, id?: string): Promise<unknown[]> {
  const reply = await agent.handleMessage(message(tasks, id), ctx(attempt));
  return (reply!.data!.content!.values as { result: unknown[] }).result;
}

async function refused(tasks: unknown): Promise<TaskError> {
  try {
    await agent.handleMessage(message(tasks), ctx());
  } catch (err) {
    if (err instanceof TaskError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const put = (type: string, values: unknown) => ({ op: 'put', params: { type, values } });
const get = (type: string, matcher?: unknown, extra: object = {}) => ({
  op: 'get',
  params: { type, ...(matcher !== undefined && { matcher }), ...extra },
});

beforeAll(async () => {
  mongo = await MongoClient.connect(mongoUrl);
  agent = createPersistenceAgent({
    config: { nodeType: 'org.wt.persistence' },
    nodeType: 'org.wt.persistence',
    nodeId: 'org.wt.persistence.1',
    options: { dbname: dataDb, dbAllowlist: [otherDb, thredsDb], maxResults: 50 },
    logger: pino({ level: 'silent' }),
    mongoUrl,
    thredsDb,
    configDir: '',
  });
});
afterAll(async () => {
  await agent?.close?.();
  for (const db of [dataDb, otherDb])
    await mongo
      ?.db(db)
      .dropDatabase()
      .catch(() => undefined);
  await mongo?.close();
});

describe('ops', () => {
  it('put one and many (given and generated ids, stamps), getOne, get, count', async () => {
    const before = Date.now();
    const [one, many] = await run([
      put('Item', { id: 'i1', name: 'one', n: 1, created: 0, _id: 'ignored' }),
      put('Item', [
        { name: 'two', n: 2 },
        { id: 'i3', name: 'three', n: 3 },
      ]),
    ]);
    expect(one).toBe('i1');
    expect(many).toEqual([expect.stringMatching(/^[0-9a-f]{24}$/), 'i3']);
    const [doc, all, count, none] = await run([
      { op: 'getOne', params: { type: 'Item', matcher: { id: 'i1' } } },
      get('Item', undefined, { collector: { sort: [{ field: 'n' }] } }),
      { op: 'count', params: { type: 'Item', matcher: {} } },
      { op: 'getOne', params: { type: 'Item', matcher: { id: 'nope' } } },
    ]);
    expect(doc).toMatchObject({ id: 'i1', name: 'one', n: 1 });
    expect((doc as { created: number }).created).toBeGreaterThanOrEqual(before);
    expect((doc as { modified: number }).modified).toBe((doc as { created: number }).created);
    expect((all as { id: string }[]).map((d) => d.id)).toEqual(['i1', (many as string[])[0], 'i3']);
    expect(count).toBe(3);
    expect(none).toBeNull();
    // _id is never exposed; documents come back with id.
    expect(doc).not.toHaveProperty('_id');
  });

  it('a retried put (same message) does not insert twice; a put of an existing id is OBJECT_ALREADY_EXISTS', async () => {
    const tasks = [put('Retry', [{ a: 1 }, { a: 2 }])];
    const [ids1] = await run(tasks, 1, 'retried-message');
    const [ids2] = await run(tasks, 2, 'retried-message');
    expect(ids2).toEqual(ids1);
    expect(await run([{ op: 'count', params: { type: 'Retry', matcher: {} } }])).toEqual([2]);
    const err = await refused([put('Retry', { id: (ids1 as string[])[0], a: 3 })]);
    expect(err.code).toBe(5202);
    expect(err.message).toContain('task /0 (put Retry)');
  });

  it('update (all matches) with every values operator, $now stamps', async () => {
    await run([
      put('U', [
        { id: 'u1', k: 'x', n: 1, p: 2, lo: 5, hi: 5, tags: ['a'], log: [] },
        { id: 'u2', k: 'x', n: 10, p: 1, lo: 5, hi: 5, tags: [], log: [] },
      ]),
    ]);
    const t0 = Date.now();
    const [res] = await run([
      {
        op: 'update',
        params: {
          type: 'U',
          matcher: { k: 'x' },
          values: {
            label: 'L',
            $inc: { n: 2 },
            $mul: { p: 3 },
            $min: { lo: 1 },
            $max: { hi: 9 },
            $push: { log: 'e1' },
            $add: { tags: 'a' },
            $now: ['seenAt'],
          },
        },
      },
    ]);
    expect(res).toEqual({ matchedCount: 2, modifiedCount: 2 });
    const [[u1, u2]] = (await run([get('U', undefined, { collector: { sort: [{ field: 'id' }] } })])) as [
      Record<string, unknown>[],
    ];
    expect(u1).toMatchObject({ label: 'L', n: 3, p: 6, lo: 1, hi: 9, log: ['e1'], tags: ['a'] });
    expect(u2).toMatchObject({ label: 'L', n: 12, p: 3, tags: ['a'] });
    expect(u1!.seenAt).toBeGreaterThanOrEqual(t0);
    expect(u1!.modified).toBeGreaterThanOrEqual(t0);
    expect(u1!.created).toBeLessThan((u1!.modified as number) + 1);
    await run([{ op: 'update', params: { type: 'U', matcher: { id: 'u1' }, values: { $remove: { tags: 'a' } } } }]);
    const [after] = await run([{ op: 'getOne', params: { type: 'U', matcher: { id: 'u1' } } }]);
    expect(after).toMatchObject({ tags: [] });
    // update never inserts
    expect(await run([{ op: 'update', params: { type: 'U', matcher: { id: 'zz' }, values: { a: 1 } } }])).toEqual([
      { matchedCount: 0, modifiedCount: 0 },
    ]);
    expect(await run([{ op: 'count', params: { type: 'U', matcher: {} } }])).toEqual([2]);
  });

  it('upsert inserts then updates one; replace replaces one (keeping created) or inserts', async () => {
    const [ins] = await run([{ op: 'upsert', params: { type: 'Up', matcher: { key: 'k1' }, values: { v: 1 } } }]);
    expect(ins).toMatchObject({ matchedCount: 0, upsertedId: expect.any(String) });
    const [upd] = await run([
      { op: 'upsert', params: { type: 'Up', matcher: { key: 'k1' }, values: { $inc: { v: 1 } } } },
    ]);
    expect(upd).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedId: null });
    const [byId] = await run([{ op: 'upsert', params: { type: 'Up', matcher: { id: 'fixed' }, values: { v: 7 } } }]);
    expect(byId).toMatchObject({ upsertedId: 'fixed' });
    const [docs] = (await run([get('Up', undefined, { collector: { sort: [{ field: 'v' }] } })])) as [
      Record<string, unknown>[],
    ];
    expect(docs.map((d) => [d.key, d.v])).toEqual([
      ['k1', 2],
      [undefined, 7],
    ]);
    expect(docs[0]!.created).toEqual(expect.any(Number));

    const created = docs[0]!.created;
    const [rep] = await run([
      { op: 'replace', params: { type: 'Up', matcher: { key: 'k1' }, values: { key: 'k1', w: 'new' } } },
    ]);
    expect(rep).toMatchObject({ matchedCount: 1 });
    const [replaced] = await run([{ op: 'getOne', params: { type: 'Up', matcher: { key: 'k1' } } }]);
    expect(replaced).toMatchObject({ id: docs[0]!.id, key: 'k1', w: 'new', created });
    expect(replaced).not.toHaveProperty('v');
    const [repIns] = await run([
      { op: 'replace', params: { type: 'Up', matcher: { key: 'k2' }, values: { key: 'k2' } } },
    ]);
    expect(repIns).toMatchObject({ matchedCount: 0, upsertedId: expect.any(String) });
  });

  it('delete removes all matches and needs a matcher', async () => {
    await run([put('D', [{ g: 1 }, { g: 1 }, { g: 2 }])]);
    expect(await run([{ op: 'delete', params: { type: 'D', matcher: { g: 1 } } }])).toEqual([{ deletedCount: 2 }]);
    expect((await refused([{ op: 'delete', params: { type: 'D' } }])).code).toBe(4202);
    expect(await run([{ op: 'count', params: { type: 'D', matcher: {} } }])).toEqual([1]);
  });
});

describe('matchers, selector, collector', () => {
  beforeAll(async () => {
    await run([
      put('M', [
        { id: 'a', name: 'Alice', age: 30, city: 'Oslo', tags: ['x'] },
        { id: 'b', name: 'bob', age: 40, city: 'Bergen', tags: ['y'] },
        { id: 'c', name: 'Carol', age: 50, city: 'Oslo', tags: ['x', 'y'] },
        { id: 'd', name: 'Dave', age: 60, city: 'Tromsø', tags: [] },
      ]),
    ]);
  });
  const ids = async (matcher: unknown) =>
    ((await run([get('M', matcher, { collector: { sort: [{ field: 'id' }] } })]))[0] as { id: string }[]).map(
      (d) => d.id,
    );

  it.each([
    [{ age: { $gt: 40 } }, ['c', 'd']],
    [{ age: { $gte: 40 } }, ['b', 'c', 'd']],
    [{ age: { $lt: 40 } }, ['a']],
    [{ age: { $lte: 40 } }, ['a', 'b']],
    [{ age: { $gt: 30, $lt: 60 } }, ['b', 'c']],
    [{ city: { $ne: 'Oslo' } }, ['b', 'd']],
    [{ city: { $in: ['Bergen', 'Tromsø'] } }, ['b', 'd']],
    [{ city: { $nin: ['Oslo'] } }, ['b', 'd']],
    [{ age: { $not: { $gt: 40 } } }, ['a', 'b']],
    [{ $or: [{ city: 'Bergen' }, { age: { $gte: 60 } }] }, ['b', 'd']],
    [{ name: { $re: '^b' } }, ['b']],
    [{ name: { $re: 'A' } }, ['a', 'c', 'd']],
    [{ tags: 'y' }, ['b', 'c']],
    [{ id: 'c' }, ['c']],
    [{ id: { $in: ['a', 'd'] } }, ['a', 'd']],
  ])('%j', async (matcher, expected) => {
    expect(await ids(matcher)).toEqual(expected);
  });

  it('$not with $re', async () => {
    expect(await ids({ name: { $not: { $re: '^[ab]' } } })).toEqual(['c', 'd']);
  });

  it('selector include/exclude, sort desc, skip, limit, maxResults cap', async () => {
    const [inc, exc, page, capped] = await run([
      get('M', { id: 'a' }, { selector: { include: ['name'] } }),
      get('M', { id: 'a' }, { selector: { exclude: ['tags', 'created', 'modified'] } }),
      get('M', {}, { collector: { sort: [{ field: 'age', desc: true }], skip: 1, limit: 2 } }),
      get('M', {}, { collector: { limit: 0 } }),
    ]);
    expect(inc).toEqual([{ id: 'a', name: 'Alice' }]);
    expect(exc).toEqual([{ id: 'a', name: 'Alice', age: 30, city: 'Oslo' }]);
    expect((page as { id: string }[]).map((d) => d.id)).toEqual(['c', 'b']);
    expect((capped as unknown[]).length).toBe(4);
  });

  it('refuses operators outside the language before running any task', async () => {
    for (const [tasks, path] of [
      [[get('M', { $where: 'true' })], '/0/params/matcher/$where'],
      [[get('M', { name: { $regex: '.*' } })], '/0/params/matcher/name/$regex'],
      [[get('M', { $expr: { $eq: [1, 1] } })], '/0/params/matcher/$expr'],
      [[{ op: 'update', params: { type: 'M', matcher: {}, values: { $set: { age: 0 } } } }], '/0/params/values/$set'],
      [
        [{ op: 'update', params: { type: 'M', matcher: {}, values: { $unset: { age: 1 } } } }],
        '/0/params/values/$unset',
      ],
      [[put('M', { id: 'z', evil: { $where: 'x' } })], '/0/params/values/evil/$where'],
    ] as const) {
      const err = await refused([put('M', { id: 'never' }), ...tasks]);
      expect(err.code).toBe(5200);
      expect(err.message).toContain(path.replace('/0/', '/1/'));
    }
    expect(await ids({ id: 'never' })).toEqual([]);
    expect(await ids({ age: 0 })).toEqual([]);
  });
});

describe('databases and groups', () => {
  it('uses the default database, an allowlisted one on request, and never Threds own or others', async () => {
    const [id] = await run([{ ...put('X', { id: 'x1' }), options: { dbname: otherDb } }]);
    expect(id).toBe('x1');
    expect(await mongo.db(otherDb).collection('X').countDocuments()).toBe(1);
    expect(await mongo.db(dataDb).collection('X').countDocuments()).toBe(0);
    for (const dbname of [thredsDb, 'admin', 'somewhere_else']) {
      const err = await refused([put('X', { id: 'x2' }), { ...get('X'), options: { dbname } }]);
      expect(err.code).toBe(4101);
      expect(err.message).toContain('/1/options/dbname');
    }
    expect(await mongo.db(dataDb).collection('X').countDocuments()).toBe(0);
    expect(await mongo.db(thredsDb).collection('X').countDocuments()).toBe(0);
  });

  it('a nested array is one group with its own result array (sequential on a server without transactions)', async () => {
    const [single, group] = await run([
      { op: 'count', params: { type: 'G', matcher: {} } },
      [
        put('G', { id: 'g1', n: 1 }),
        { op: 'update', params: { type: 'G', matcher: { id: 'g1' }, values: { $inc: { n: 1 } } } },
        { op: 'getOne', params: { type: 'G', matcher: { id: 'g1' } } },
      ],
    ]);
    expect(single).toBe(0);
    expect(group).toEqual(['g1', { matchedCount: 1, modifiedCount: 1 }, expect.objectContaining({ id: 'g1', n: 2 })]);
  });

  it('a failing task reports where a sequential run stopped', async () => {
    const err = await refused([put('F', { id: 'f1' }), put('F', { id: 'f1' })]);
    expect(err.code).toBe(5202);
    expect(err.details).toMatchObject({ path: '/1', completed: 1, result: ['f1'] });
  });

  it('missing tasks is MISSING_ARGUMENT', async () => {
    expect((await refused(undefined)).code).toBe(4202);
  });
});
