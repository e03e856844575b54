// A store crash under concurrent writes, at the store layer (store/*.ts) against a real FerretDB process: a write the
// crash cut off must fail (so the gateway answers 503 and the activity retries), never be reported as done. Case e2 of
// faults.test.ts sees the consequence end to end only when the kill happens to land mid-insert; here many inserts are
// in flight at the kill, every time.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createStore } from '../../store';
import { FaultStack } from './processes';
import { sleep } from './checks';

let stack: FaultStack;
let mongo: MongoClient;

beforeAll(async () => {
  stack = new FaultStack({ agents: [], jwtSecret: 'store-crash-secret-0123456789' });
  await stack.allocatePorts();
  await stack.start('store');
  // As openStore connects (store/index.ts).
  mongo = await MongoClient.connect(stack.mongoUrl, { serverSelectionTimeoutMS: 5000 });
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await stack?.stop();
}, 60_000);

it('an event insert cut off by a store SIGKILL is never reported as stored when it is not', async () => {
  const store = createStore(mongo.db('store_crash'));
  /** id → what saveInbound answered: true (stored now), false ("already stored"), or the error it threw. */
  const answers = new Map<string, boolean | Error>();
  let stop = false;
  const writers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      const id = `w${w}-${i}`;
      answers.set(
        id,
        await store.events
          .saveInbound({ id, type: 'crash.test', source: { id: 's' } }, Date.now())
          .catch((e: Error) => e),
      );
    }
  });
  await sleep(1_000);
  await stack.signal('store', 'SIGKILL');
  await sleep(1_000);
  await stack.start('store');
  await sleep(1_000);
  stop = true;
  await Promise.all(writers);

  const stored = new Set(
    (
      await mongo
        .db('store_crash')
        .collection<{ _id: string }>('events')
        .find({}, { projection: { _id: 1 } })
        .toArray()
    ).map((d) => d._id),
  );
  const failed = [...answers.values()].filter((a) => a instanceof Error).length;
  // Every id is new: "already stored" is never a true answer here.
  const saidAlreadyStored = [...answers].filter(([, a]) => a === false).map(([id]) => id);
  const claimedButMissing = [...answers]
    .filter(([id, a]) => !(a instanceof Error) && !stored.has(id))
    .map(([id]) => id);
  console.log(
    `store crash: ${answers.size} inserts, ${failed} failed, ${saidAlreadyStored.length} answered "already stored", ` +
      `${claimedButMissing.length} answered stored/already stored but missing`,
  );
  expect(answers.size, 'writes ran before and after the crash').toBeGreaterThan(100);
  expect
    .soft(saidAlreadyStored, 'inserts of new ids answered "already stored" (a cut-off write taken for a duplicate)')
    .toEqual([]);
  expect.soft(claimedButMissing, 'inserts answered as done that the store does not hold').toEqual([]);
});
