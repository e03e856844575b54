/**
 * The thred read model on the real MongoDB wire server, in both layouts (store/threds): listed in one id order with a
 * cursor, versioned so a late retry never overwrites a newer snapshot, the unbound takers found, retention's reads.
 * The dev server (FerretDB on SQLite) is detected as needing the partitioned layout; each layout adopts the records
 * the other left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from 'mongodb';
import { createStore, type Store, type ThredLayout } from '../../store';
import { THRED_PARTITIONS, thredPartition } from '../../store/threds';
import { connectTestServers, type TestServers } from '../helpers/servers';
import { readModelChecks, readModelStore, thredRecord } from '../helpers/read-model-checks';

let s: TestServers;

beforeAll(async () => {
  s = await connectTestServers('read_model');
});
afterAll(async () => s?.close());

describe.each<ThredLayout>(['partitioned', 'one-collection'])('thred read model, %s', (layout) => {
  let store: Store;
  let db: Db;
  beforeAll(async () => {
    ({ store, db } = await readModelStore(s.mongo, `${s.dbName}_${layout === 'partitioned' ? 'p' : 'c'}`, layout));
  });
  afterAll(async () => db?.dropDatabase());
  for (const [name, check] of Object.entries(readModelChecks)) it(name, () => check(store));
});

describe('thred read model layouts', () => {
  it('FerretDB on SQLite decodes every document for a filter: the store picks the partitioned layout', async () => {
    expect(await createStore(s.db).threds.layout()).toBe('partitioned');
  });

  it('spreads threds over its partitions', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `thred_${i}`);
    expect(new Set(ids.map(thredPartition)).size).toBeGreaterThan(THRED_PARTITIONS / 2);
    expect(thredPartition(ids[0]!)).toBe(thredPartition(ids[0]!));
  });

  it('the partitioned layout adopts a read model kept in one collection, keeping newer records', async () => {
    const db = s.mongo.db(`${s.dbName}_to_p`);
    const { locals: _l, ...plain } = thredRecord('legacy_kept');
    await db.collection('threds').insertMany([
      { ...plain, _id: 'legacy_kept', locals: JSON.stringify({ n: 7 }) },
      { ...plain, _id: 'legacy_open', acceptsUnbound: true, locals: { n: 8 } }, // older records: locals as an object
      { ...plain, _id: 'legacy_newer', version: 2, locals: '{}' },
    ] as never[]);
    const store = createStore(db, { thredLayout: 'partitioned' });
    await store.threds.save(thredRecord('legacy_newer', { version: 5, reaction: 'r5' }));

    await store.ensureIndexes();
    expect((await store.threds.get('legacy_kept'))?.locals).toEqual({ n: 7 });
    expect((await store.threds.get('legacy_open'))?.locals).toEqual({ n: 8 });
    expect(await store.threds.acceptingUnbound()).toEqual(['legacy_open']);
    expect((await store.threds.get('legacy_newer'))?.reaction).toBe('r5');
    expect(await db.listCollections({ name: 'threds' }).toArray()).toHaveLength(0);
    expect(await store.threds.adopt()).toBe(0); // once only
    await db.dropDatabase();
  });

  it('the one-collection layout adopts a partitioned read model and its unbound takers, keeping newer records', async () => {
    const db = s.mongo.db(`${s.dbName}_to_c`);
    const before = createStore(db, { thredLayout: 'partitioned' });
    await before.threds.save(thredRecord('p_kept', { locals: { n: 1 } }));
    await before.threds.save(thredRecord('p_open', { acceptsUnbound: true }));
    await before.threds.save(thredRecord('p_newer', { version: 2 }));
    const store = createStore(db, { thredLayout: 'one-collection' });
    await store.threds.save(thredRecord('p_newer', { version: 5, reaction: 'r5' }));

    await store.ensureIndexes();
    expect((await store.threds.get('p_kept'))?.locals).toEqual({ n: 1 });
    expect(await store.threds.acceptingUnbound()).toEqual(['p_open']);
    expect((await store.threds.get('p_newer'))?.reaction).toBe('r5');
    const left = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(left.filter((n) => n.startsWith('threds_'))).toEqual([]);
    expect(await store.threds.count()).toBe(3);
    await db.dropDatabase();
  });

  it('append-only writes are idempotent: a retried batch adds nothing and fails nothing', async () => {
    const store = createStore(s.db);
    const log = [0, 1].map((i) => ({
      _id: `t_log:1:${i}`,
      thredId: 't_log',
      seq: 1,
      kind: 'matched',
      from: 'a',
      to: null,
      time: 5,
    }));
    await store.thredLog.append(log);
    await store.thredLog.append([...log, { ...log[0]!, _id: 't_log:2:0', seq: 2 }]); // retry plus one new record
    expect((await store.thredLog.forThred('t_log')).map((r) => r._id)).toEqual(['t_log:1:0', 't_log:1:1', 't_log:2:0']);
    const message = { id: 'm1', to: ['p1', 'p2'], event: { id: 'm1', type: 't', source: { id: 'SYSTEM' } } };
    await store.outbox.add(message, ['p1', 'p2'], 7);
    await store.outbox.add(message, ['p1', 'p2'], 8);
    expect((await store.outbox.since('p1', 0)).map((m) => [m._id, m.createdAt])).toEqual([['m1:p1', 7]]);
  });
});
