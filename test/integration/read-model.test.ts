/**
 * The thred read model on the real MongoDB wire server: partitioned by thred id, listed in one id order with a
 * cursor, versioned so a late retry never overwrites a newer snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store, type ThredRecord } from '../../store';
import { THRED_PARTITIONS, thredPartition } from '../../store/threds';
import { connectTestServers, type TestServers } from '../helpers/servers';

let s: TestServers;
let store: Store;

beforeAll(async () => {
  s = await connectTestServers('read_model');
  store = createStore(s.db);
  await store.ensureIndexes();
});
afterAll(async () => s?.close());

function record(id: string, patch: Partial<ThredRecord> = {}): ThredRecord {
  return {
    _id: id,
    patternId: id.startsWith('a') ? 'alpha' : 'beta',
    status: 'active',
    reaction: 'r1',
    acceptsUnbound: false,
    participants: ['p1'],
    locals: { n: 1, nested: [[1, 2]] },
    childThredIds: [],
    meta: {},
    startTime: 1,
    updateTime: 1,
    version: 1,
    ...patch,
  } as ThredRecord;
}

describe('thred read model', () => {
  const ids = Array.from({ length: 40 }, (_, i) => `${i % 2 ? 'a' : 'b'}_thred_${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    await Promise.all(ids.map((id) => store.threds.save(record(id))));
  });

  it('spreads threds over its partitions', () => {
    const used = new Set(ids.map(thredPartition));
    expect(used.size).toBeGreaterThan(THRED_PARTITIONS / 2);
    expect(thredPartition(ids[0]!)).toBe(thredPartition(ids[0]!));
  });

  it('lists every thred once, in id order, page by page, with filters', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await store.threds.list({ limit: 7, ...(cursor && { cursor }) });
      seen.push(...res.threds.map((t) => t._id));
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
    expect(seen).toEqual([...ids].sort());
    const alphas = await store.threds.list({ pattern: 'alpha', limit: 500 });
    expect(alphas.threds.map((t) => t._id)).toEqual(ids.filter((id) => id.startsWith('a')).sort());
    expect(alphas.nextCursor).toBeUndefined();
    expect(await store.threds.count({ pattern: 'beta' })).toBe(20);
    expect((await store.threds.get(ids[3]!))?.locals).toEqual({ n: 1, nested: [[1, 2]] });
  });

  it('keeps the newer snapshot when an older one arrives late', async () => {
    const id = ids[5]!;
    await store.threds.save(record(id, { version: 3, reaction: 'r3' }));
    await store.threds.save(record(id, { version: 2, reaction: 'r2' }));
    expect(await store.threds.get(id)).toMatchObject({ version: 3, reaction: 'r3' });
    await store.threds.save(record(id, { version: 4, reaction: 'r4', status: 'finished' }));
    expect(await store.threds.get(id)).toMatchObject({ version: 4, reaction: 'r4', status: 'finished' });
  });

  it('keeps the index of threds accepting unbound events, and rewinds a reset thred', async () => {
    const id = ids[7]!;
    await store.threds.setAcceptsUnbound(id, true);
    await store.threds.setAcceptsUnbound(id, true); // idempotent
    expect(await store.threds.acceptingUnbound()).toEqual([id]);
    await store.threds.rewind(id, { status: 'active', reaction: 'r0', acceptsUnbound: false });
    expect(await store.threds.acceptingUnbound()).toEqual([]);
    expect(await store.threds.get(id)).toMatchObject({ version: -1, reaction: 'r0', acceptsUnbound: false });
    await store.threds.save(record(id, { version: 1, reaction: 'r1' })); // the reset run's first snapshot wins
    expect(await store.threds.get(id)).toMatchObject({ version: 1, reaction: 'r1' });
  });

  it('append-only writes are idempotent: a retried batch adds nothing and fails nothing', async () => {
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

  it('moves a read model from before partitioning into the partitions, keeping newer records', async () => {
    const db = s.mongo.db(`${s.db.databaseName}_legacy`);
    const legacyStore = createStore(db);
    const { locals: _l, ...plain } = record('legacy_kept');
    await db.collection('threds').insertMany([
      { ...plain, _id: 'legacy_kept', locals: JSON.stringify({ n: 7 }) },
      { ...plain, _id: 'legacy_open', acceptsUnbound: true, locals: { n: 8 } }, // older records: locals as an object
      { ...plain, _id: 'legacy_newer', version: 2, locals: '{}' },
    ] as never[]);
    await legacyStore.threds.save(record('legacy_newer', { version: 5, reaction: 'r5' }), { isNew: true });

    await legacyStore.ensureIndexes();
    expect((await legacyStore.threds.get('legacy_kept'))?.locals).toEqual({ n: 7 });
    expect((await legacyStore.threds.get('legacy_open'))?.locals).toEqual({ n: 8 });
    expect(await legacyStore.threds.acceptingUnbound()).toEqual(['legacy_open']);
    expect((await legacyStore.threds.get('legacy_newer'))?.reaction).toBe('r5');
    expect(await db.listCollections({ name: 'threds' }).toArray()).toHaveLength(0);
    expect(await legacyStore.threds.migrateLegacy()).toBe(0); // once only
    await db.dropDatabase();
  });
});
