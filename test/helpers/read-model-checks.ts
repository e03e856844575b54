/**
 * The thred read model's contract, as checks any layout must pass (store/threds): run on FerretDB on SQLite with
 * both layouts (test/integration/read-model.test.ts) and on FerretDB on PostgreSQL with the layout it detects
 * (test/cluster/cluster.test.ts).
 */
import { expect } from 'vitest';
import type { MongoClient } from 'mongodb';
import { createStore, type Store, type ThredLayout, type ThredRecord } from '../../store';

export function thredRecord(id: string, patch: Partial<ThredRecord> = {}): ThredRecord {
  return {
    _id: id,
    patternId: id.startsWith('a') ? 'alpha' : 'beta',
    status: 'active',
    reaction: 'r1',
    acceptsUnbound: false,
    participants: ['p1'],
    locals: { n: 1, nested: [[1, 2]], $gt: 5 },
    childThredIds: [],
    meta: {},
    startTime: 1,
    updateTime: 1,
    version: 1,
    ...patch,
  } as ThredRecord;
}

const ids = Array.from({ length: 40 }, (_, i) => `${i % 2 ? 'a' : 'b'}_thred_${String(i).padStart(3, '0')}`);

/** A fresh store on its own database: `mongo` and a database name prefix, the layout forced or detected. */
export async function readModelStore(mongo: MongoClient, dbName: string, layout?: ThredLayout) {
  const db = mongo.db(dbName);
  const store = createStore(db, layout ? { thredLayout: layout } : {});
  await store.ensureIndexes();
  await Promise.all(ids.map((id) => store.threds.save(thredRecord(id))));
  return { db, store };
}

export const readModelChecks: Record<string, (store: Store) => Promise<void>> = {
  'lists every thred once, in id order, page by page, with filters': async (store) => {
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
    expect((await store.threds.list({ participant: 'p1', limit: 3 })).threds).toHaveLength(3);
    expect((await store.threds.get(ids[3]!))?.locals).toEqual({ n: 1, nested: [[1, 2]], $gt: 5 });
  },

  'keeps the newer snapshot when an older one arrives late, and rewrites the same one': async (store) => {
    const id = ids[5]!;
    await store.threds.save(thredRecord(id, { version: 3, reaction: 'r3' }));
    await store.threds.save(thredRecord(id, { version: 2, reaction: 'r2' }));
    expect(await store.threds.get(id)).toMatchObject({ version: 3, reaction: 'r3' });
    await store.threds.save(thredRecord(id, { version: 3, reaction: 'r3', participants: ['p1', 'p9'] })); // a retry
    expect(await store.threds.get(id)).toMatchObject({ version: 3, participants: ['p1', 'p9'] });
    await store.threds.save(thredRecord(id, { version: 4, reaction: 'r4', status: 'finished', endTime: 9 }));
    expect(await store.threds.get(id)).toMatchObject({ version: 4, reaction: 'r4', status: 'finished' });
    // A late first snapshot of a thred that is already further along adds nothing.
    const late = 'b_late_first';
    await store.threds.save(thredRecord(late, { version: 6, reaction: 'r6' }));
    await store.threds.save(thredRecord(late, { version: 1, reaction: 'r1' }));
    expect(await store.threds.get(late)).toMatchObject({ version: 6, reaction: 'r6' });
  },

  'offers unbound events to exactly the active threds whose reaction takes them, and rewinds a reset thred': async (
    store,
  ) => {
    const [open, other] = [ids[7]!, ids[9]!];
    await store.threds.save(thredRecord(open, { version: 2, acceptsUnbound: true }));
    await store.threds.save(thredRecord(open, { version: 2, acceptsUnbound: true })); // a retry
    await store.threds.save(thredRecord(other, { version: 2, acceptsUnbound: true }));
    expect((await store.threds.acceptingUnbound()).sort()).toEqual([open, other].sort());
    await store.threds.save(thredRecord(other, { version: 3, status: 'finished', endTime: 5 }));
    expect(await store.threds.acceptingUnbound()).toEqual([open]);
    await store.threds.rewind(open, { status: 'active', reaction: 'r0', acceptsUnbound: false });
    expect(await store.threds.acceptingUnbound()).toEqual([]);
    expect(await store.threds.get(open)).toMatchObject({ version: -1, reaction: 'r0', acceptsUnbound: false });
    await store.threds.save(thredRecord(open, { version: 1, reaction: 'r1', acceptsUnbound: true })); // the reset run's
    expect(await store.threds.get(open)).toMatchObject({ version: 1, reaction: 'r1' });
    expect(await store.threds.acceptingUnbound()).toEqual([open]);
    const started = 'a_first_takes_unbound';
    await store.threds.save(thredRecord(started, { version: 1, acceptsUnbound: true }));
    expect((await store.threds.acceptingUnbound()).sort()).toEqual([started, open].sort());
  },

  'finds and removes ended threds for retention, keeping one revived meanwhile': async (store) => {
    const [gone, revived] = ['b_ended_gone', 'b_ended_revived'];
    await store.threds.save(thredRecord(gone, { status: 'finished', endTime: 10 }));
    await store.threds.save(thredRecord(revived, { status: 'finished', endTime: 10 }));
    const ended = (await store.threds.endedBefore(100, 50)).map((t) => t.id);
    expect(ended).toEqual(expect.arrayContaining([gone, revived]));
    await store.threds.rewind(revived, { status: 'active', reaction: 'r1', acceptsUnbound: false });
    expect(await store.threds.deleteEndedBefore([gone, revived], 100)).toBe(1);
    expect(await store.threds.existing([gone, revived, ids[0]!])).toEqual(expect.arrayContaining([revived, ids[0]!]));
    expect(await store.threds.get(gone)).toBeNull();
    // A thred removed by retention and written again (its id reused) is stored afresh.
    await store.threds.save(thredRecord(gone, { version: 1, reaction: 'again' }));
    expect(await store.threds.get(gone)).toMatchObject({ reaction: 'again' });
  },

  'changes since a time': async (store) => {
    await store.threds.save(thredRecord(ids[11]!, { version: 5, updateTime: 500 }));
    expect((await store.threds.changedSince(500)).map((t) => t._id)).toEqual([ids[11]!]);
  },
};
