/**
 * The thred read model. Which layout runs is decided by what the server does with a filter, asked once per process:
 * MongoDB, and FerretDB on PostgreSQL, serve it from an index (one collection, store/threds/one-collection.ts);
 * FerretDB on SQLite decodes every document (partitions and a mirror of the unbound takers, ./partitioned.ts).
 * Nothing outside store/ knows which one runs.
 */
import type { Db } from 'mongodb';
import { insertOnce } from '../errors';
import { oneCollectionThreds } from './one-collection';
import { partitionedThreds } from './partitioned';
import type { ThredStore } from './record';

export type { ThredRecord, ThredBacklog, ThredListQuery, RewindTo, BacklogRead } from './record';
export { thredRecordOf } from './record';
export { THRED_PARTITIONS, thredPartition } from './partitioned';

export type ThredLayout = 'one-collection' | 'partitioned';

const PROBE = 'store_probe';

/**
 * MongoDB reports no `ferretdbVersion`. FerretDB's explain says whether it pushed a filter down to its backend;
 * only a collection that exists gets a plan, so the probe writes one small document first.
 */
export async function detectThredLayout(db: Db): Promise<ThredLayout> {
  const info = await db.command({ buildInfo: 1 });
  if (typeof info.ferretdbVersion !== 'string') return 'one-collection';
  await insertOnce(db.collection<{ _id: string; field: string }>(PROBE), [{ _id: 'probe', field: 'x' }]);
  const plan = await db.command({ explain: { find: PROBE, filter: { field: 'x' } } });
  return plan.filterPushdown === true ? 'one-collection' : 'partitioned';
}

/** `layout`: forced (tests); otherwise detected on first use, and asked again after a failed detection. */
export function createThredStore(db: Db, layout?: ThredLayout): ThredStore & { layout(): Promise<ThredLayout> } {
  let chosen: Promise<{ layout: ThredLayout; store: ThredStore }> | undefined;
  const make = (l: ThredLayout) => ({
    layout: l,
    store: l === 'partitioned' ? partitionedThreds(db) : oneCollectionThreds(db),
  });
  const current = () =>
    (chosen ??= (layout ? Promise.resolve(layout) : detectThredLayout(db)).then(make).catch((err: unknown) => {
      chosen = undefined;
      throw err;
    }));
  const via =
    <K extends keyof ThredStore>(k: K) =>
    async (...args: Parameters<ThredStore[K]>): Promise<Awaited<ReturnType<ThredStore[K]>>> =>
      (await current()).store[k](...(args as [never, never])) as Awaited<ReturnType<ThredStore[K]>>;
  return {
    layout: async () => (await current()).layout,
    save: via('save'),
    rewind: via('rewind'),
    get: via('get'),
    backlog: via('backlog'),
    markClosing: via('markClosing'),
    acceptingUnbound: via('acceptingUnbound'),
    list: via('list'),
    changedSince: via('changedSince'),
    endedBefore: via('endedBefore'),
    deleteEndedBefore: via('deleteEndedBefore'),
    existing: via('existing'),
    count: via('count'),
    adopt: via('adopt'),
    ensureIndexes: via('ensureIndexes'),
  };
}
