// The persistence task language → MongoDB translation (activities/persistence-query.ts): what each construct becomes,
// and that every `$` key outside the documented set is refused with its path (no query injection from event data).
import { describe, expect, it } from 'vitest';
import {
  compileTask,
  compileTasks,
  fromDocument,
  translateCollector,
  translateMatcher,
  translateSelector,
  translateUpdate,
} from '../../activities/persistence-query';
import { TaskError } from '../../activities/agents/errors';
import { resolveDb, persistenceOptions } from '../../activities/persistence';

function refusal(fn: () => unknown): TaskError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TaskError) return err;
    throw err;
  }
  throw new Error('expected a TaskError');
}

describe('matcher', () => {
  it('maps id to _id and keeps literals as equality', () => {
    expect(translateMatcher({ id: 'a1', sensorId: 'sensor0', tags: ['x'], 'addr.city': 'Oslo' }, '/m')).toEqual({
      _id: 'a1',
      sensorId: 'sensor0',
      tags: ['x'],
      'addr.city': 'Oslo',
    });
  });

  it('translates every allowed operator', () => {
    expect(
      translateMatcher(
        {
          n: { $gt: 1, $lte: 9 },
          m: { $gte: 2, $lt: 3, $ne: 2.5 },
          s: { $in: ['a', 'b'] },
          t: { $nin: [1] },
          name: { $re: '^jo' },
          k: { $not: { $gt: 5 } },
          r: { $not: { $re: 'x' } },
          $or: [{ a: 1 }, { b: { $gt: 2 } }],
        },
        '/m',
      ),
    ).toEqual({
      n: { $gt: 1, $lte: 9 },
      m: { $gte: 2, $lt: 3, $ne: 2.5 },
      s: { $in: ['a', 'b'] },
      t: { $nin: [1] },
      name: { $regex: '^jo', $options: 'i' },
      k: { $not: { $gt: 5 } },
      r: { $not: { $regex: 'x', $options: 'i' } },
      $or: [{ a: 1 }, { b: { $gt: 2 } }],
    });
  });

  it.each([
    [{ $where: 'sleep(1000)' }, '/m/$where'],
    [{ a: { $expr: 1 } }, '/m/a/$expr'],
    [{ a: { $regex: '.*' } }, '/m/a/$regex'],
    [{ a: { $elemMatch: { b: 1 } } }, '/m/a/$elemMatch'],
    [{ $and: [{ a: 1 }] }, '/m/$and'],
    [{ $or: [{ a: { $function: {} } }] }, '/m/$or/0/a/$function'],
    [{ a: { $in: [{ $gt: 1 }] } }, '/m/a/$in/0/$gt'],
    [{ a: { b: { $where: 'x' } } }, '/m/a/b/$where'],
    [{ 'a.$where': 1 }, '/m/a.$where'],
    [{ a: { $not: { $where: 'x' } } }, '/m/a/$not/$where'],
  ])('refuses %j naming %s', (m, path) => {
    const err = refusal(() => translateMatcher(m, '/m'));
    expect(err.code).toBe(5200);
    expect(err.message).toContain(path);
  });

  it('refuses malformed operator arguments', () => {
    expect(refusal(() => translateMatcher({ a: { $in: 'x' } }, '')).message).toMatch(/\$in takes an array/);
    expect(refusal(() => translateMatcher({ a: { $re: '(' } }, '')).message).toMatch(/invalid regular expression/);
    expect(refusal(() => translateMatcher({ a: { $not: 3 } }, '')).message).toMatch(/\$not takes/);
    expect(refusal(() => translateMatcher({ a: { $gt: 1, b: 2 } }, '')).message).toMatch(/mixed with operators/);
    expect(refusal(() => translateMatcher({ $or: [] }, '')).message).toMatch(/non-empty array/);
    expect(refusal(() => translateMatcher([1], '')).message).toMatch(/must be an object/);
  });
});

describe('update values', () => {
  it('sets plain fields and maps the operators', () => {
    expect(
      translateUpdate(
        {
          name: 'x',
          nested: { a: 1 },
          id: 'ignored',
          created: 1,
          $inc: { n: 1 },
          $push: { log: 'e' },
          $add: { tags: 't' },
          $remove: { tags: 'old', scores: { $lt: 3 } },
          $min: { lo: 1 },
          $max: { hi: 9 },
          $mul: { price: 1.1 },
          $now: ['seenAt'],
        },
        '/v',
      ),
    ).toEqual({
      update: {
        $set: { name: 'x', nested: { a: 1 } },
        $inc: { n: 1 },
        $push: { log: 'e' },
        $addToSet: { tags: 't' },
        $pull: { tags: 'old', scores: { $lt: 3 } },
        $min: { lo: 1 },
        $max: { hi: 9 },
        $mul: { price: 1.1 },
      },
      nowFields: ['seenAt'],
    });
    expect(translateUpdate({ $now: 'at' }, '').nowFields).toEqual(['at']);
    expect(translateUpdate({ $now: { at: true, by: true } }, '').nowFields).toEqual(['at', 'by']);
  });

  it.each([
    [{ $set: { a: 1 } }, '/v/$set'],
    [{ $rename: { a: 'b' } }, '/v/$rename'],
    [{ $addToSet: { a: 1 } }, '/v/$addToSet'],
    [{ $push: { a: { $each: [1, 2] } } }, '/v/$push/a/$each'],
    [{ a: { $where: 'x' } }, '/v/a/$where'],
    [{ $inc: { 'a.$[]': 1 } }, '/v/$inc/a.$[]'],
    [{ $remove: { a: { $where: 'x' } } }, '/v/$remove/a/$where'],
  ])('refuses %j naming %s', (v, path) => {
    const err = refusal(() => translateUpdate(v, '/v'));
    expect(err.code).toBe(5200);
    expect(err.message).toContain(path);
  });

  it('refuses non-numeric $inc and stamps as targets', () => {
    expect(refusal(() => translateUpdate({ $inc: { n: '1' } }, '')).message).toMatch(/takes numbers/);
    expect(refusal(() => translateUpdate({ $inc: { modified: 1 } }, '')).message).toMatch(/managed by/);
    expect(refusal(() => translateUpdate({}, '')).message).toMatch(/non-empty/);
  });
});

describe('selector and collector', () => {
  it('builds projections', () => {
    expect(translateSelector({ include: ['name', 'id'] }, '')).toEqual({ name: 1, _id: 1 });
    expect(translateSelector({ exclude: ['secret'] }, '')).toEqual({ secret: 0 });
    expect(translateSelector({ include: ['name'], exclude: ['id'] }, '')).toEqual({ name: 1, _id: 0 });
    expect(translateSelector(undefined, '')).toBeUndefined();
    expect(refusal(() => translateSelector({ include: ['a'], exclude: ['b'] }, '')).message).toMatch(/not both/);
    expect(refusal(() => translateSelector({ include: ['$where'] }, '')).message).toMatch(/not allowed/);
  });

  it('builds sort/skip/limit, capped by maxResults', () => {
    expect(
      translateCollector({ sort: [{ field: 'n', desc: true }, { field: 'id' }], skip: 2, limit: 5 }, '', 100),
    ).toEqual({
      sort: [
        ['n', -1],
        ['_id', 1],
      ],
      skip: 2,
      limit: 5,
    });
    expect(translateCollector({ limit: 5000 }, '', 100).limit).toBe(100);
    expect(translateCollector(undefined, '', 100)).toEqual({ limit: 100 });
    expect(refusal(() => translateCollector({ skip: -1 }, '/c', 100)).message).toContain('/c/skip');
    expect(refusal(() => translateCollector({ sort: [{ field: '$natural' }] }, '', 100)).message).toMatch(
      /not allowed/,
    );
  });
});

describe('tasks', () => {
  it('compiles each op with its required params', () => {
    expect(
      compileTask({ op: 'put', params: { type: 'C', values: { id: 'c1', a: 1, _id: 'x', modified: 3 } } }, '/0'),
    ).toMatchObject({
      op: 'put',
      collection: 'C',
      many: false,
      docs: [{ _id: 'c1', a: 1 }],
    });
    expect(compileTask({ op: 'put', params: { type: 'C', values: [{ a: 1 }, { a: 2 }] } }, '/0')).toMatchObject({
      many: true,
      docs: [{ a: 1 }, { a: 2 }],
    });
    expect(
      compileTask({ op: 'get', name: 'g', params: { type: 'C' }, options: { dbname: 'demo' } }, '/1'),
    ).toMatchObject({ filter: {}, name: 'g', dbname: 'demo', limit: 1000 });
    expect(
      compileTask({ op: 'replace', params: { type: 'C', matcher: { id: 'c1' }, values: { id: 'c1', b: 2 } } }, '/2')
        .docs,
    ).toEqual([{ b: 2 }]);
    for (const [op, missing] of [
      ['put', 'values'],
      ['update', 'matcher'],
      ['upsert', 'values'],
      ['delete', 'matcher'],
    ] as const) {
      const params = { type: 'C', ...(missing === 'values' ? { matcher: {} } : { values: { a: 1 } }) };
      const err = refusal(() => compileTask({ op, params }, '/0'));
      expect(err.code).toBe(4202);
      expect(err.message).toContain(`/0/params/${missing}`);
    }
  });

  it('refuses unknown ops, bad collections and database names', () => {
    expect(refusal(() => compileTask({ op: 'drop', params: { type: 'C' } }, '/0')).message).toContain('/0/op');
    expect(refusal(() => compileTask({ op: 'get', params: { type: 'system.users' } }, '/0')).message).toContain(
      '/0/params/type',
    );
    expect(refusal(() => compileTask({ op: 'get', params: { type: '$cmd' } }, '/0')).message).toContain(
      '/0/params/type',
    );
    expect(
      refusal(() => compileTask({ op: 'get', params: { type: 'C' }, options: { dbname: 'a.b' } }, '/0')).message,
    ).toContain('dbname');
  });

  it('groups nested arrays, one database per group', () => {
    const items = compileTasks([
      { op: 'count', params: { type: 'C' } },
      [
        { op: 'count', params: { type: 'C' } },
        { op: 'count', params: { type: 'D' } },
      ],
    ]);
    expect(Array.isArray(items[1])).toBe(true);
    expect((items[1] as { path: string }[]).map((t) => t.path)).toEqual(['/1/0', '/1/1']);
    expect(
      refusal(() =>
        compileTasks([
          [
            { op: 'count', params: { type: 'C' }, options: { dbname: 'x' } },
            { op: 'count', params: { type: 'C' } },
          ],
        ]),
      ).code,
    ).toBe(4200);
    expect(refusal(() => compileTasks([[[{ op: 'count', params: { type: 'C' } }]]])).message).toMatch(/do not nest/);
    expect(refusal(() => compileTasks(undefined)).code).toBe(4202);
    expect(refusal(() => compileTasks([])).code).toBe(5200);
  });
});

describe('databases', () => {
  const opts = persistenceOptions({ options: { dbname: 'data', dbAllowlist: ['demo', 'threds'] }, thredsDb: 'threds' });
  it('allows the default and allowlisted databases, never Threds own', () => {
    expect(resolveDb(undefined, opts, 'threds', '/0')).toBe('data');
    expect(resolveDb('demo', opts, 'threds', '/0')).toBe('demo');
    expect(refusal(() => resolveDb('threds', opts, 'threds', '/0')).code).toBe(4101);
    expect(refusal(() => resolveDb('other', opts, 'threds', '/0')).message).toContain('/0/options/dbname');
  });
  it('refuses to start with Threds own database as the default', () => {
    expect(() => persistenceOptions({ options: { dbname: 'threds' }, thredsDb: 'threds' })).toThrow(/never reach/);
    expect(persistenceOptions({ options: {}, thredsDb: 'threds' }).dbname).toBe('threds_data');
  });
});

it('turns stored documents into plain JSON', () => {
  const d = new Date(1764300000000);
  expect(fromDocument({ _id: 'a', at: d, nested: { _id: 'keep' }, list: [d] })).toEqual({
    id: 'a',
    at: 1764300000000,
    nested: { _id: 'keep' },
    list: [1764300000000],
  });
});
