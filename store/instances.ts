import type { Db } from 'mongodb';
import { isDuplicateKey } from './errors';

/**
 * maxInstances / instanceInterval bookkeeping (SPEC §4), correct under concurrent starts from any number of
 * processes (gateways start threds, workers spawn them).
 *
 * FerretDB (our MongoDB-compatible server) applies a conditional update as read-then-write, so a counter guarded by
 * `{ active: { $lt: max } }` lets concurrent starts through. What is atomic on every MongoDB-wire server is an insert
 * against a unique key:
 * - each active thred holds one of `max` numbered slots (`<patternId>#<k>`), and a unique index on `thredId` makes
 *   admission idempotent per thred;
 * - the starts of a pattern with an instanceInterval form a numbered chain (`<patternId>#<n>` in pattern_starts):
 *   a start reads the newest link, checks the interval against its time and inserts the next number — two
 *   concurrent starts cannot both insert it. A per-pattern hint of the newest number saves walking the chain.
 * Calls are also serialized per pattern within a process, which only saves losing races.
 */
interface Slot {
  _id: string; // `${patternId}#${k}` when limited, `${patternId}@${thredId}` otherwise
  patternId: string;
  thredId: string;
  admittedAt: number;
}
/** The hint: the newest start this process knew of. May lag (or be older than a link another process wrote). */
interface LastStart {
  _id: string; // patternId
  lastStartAt: number;
  /** Chain number of that start; absent in hints written before the chain existed. */
  n?: number;
}
interface StartLink {
  _id: string; // `${patternId}#${n}`
  patternId: string;
  n: number;
  at: number;
  thredId: string;
}

/** Links older than this many starts are pruned now and then; no reader lags that far behind. */
const KEEP_LINKS = 1000;

export type Admission = { ok: true; already: boolean } | { ok: false; reason: string };

export function createInstanceCounter(db: Db) {
  const slots = db.collection<Slot>('instance_slots');
  const lastStarts = db.collection<LastStart>('pattern_last_start');
  const starts = db.collection<StartLink>('pattern_starts');
  const locks = new Map<string, Promise<unknown>>();
  let indexed: Promise<unknown> | undefined;

  /** Runs `fn` after every earlier call for the same pattern in this process. */
  function serialized<T>(patternId: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(patternId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    locks.set(
      patternId,
      next.catch(() => undefined),
    );
    return next;
  }

  async function claim(patternId: string, thredId: string, max: number, now: number): Promise<boolean> {
    const ids = max > 0 ? Array.from({ length: max }, (_, k) => `${patternId}#${k}`) : [`${patternId}@${thredId}`];
    for (const _id of ids) {
      try {
        await slots.insertOne({ _id, patternId, thredId, admittedAt: now });
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        if (await slots.findOne({ thredId })) throw new AlreadyAdmitted();
      }
    }
    return false;
  }

  /** The newest start of the pattern: from the hint, then along the chain past whatever the hint missed. */
  async function newestStart(patternId: string): Promise<{ n: number; at: number }> {
    const hint = await lastStarts.findOne({ _id: patternId });
    let newest = { n: hint?.n ?? 0, at: hint?.lastStartAt ?? 0 };
    for (;;) {
      const next = await starts.findOne({ _id: `${patternId}#${newest.n + 1}` });
      if (!next) return newest;
      newest = { n: next.n, at: next.at };
    }
  }

  /** Records a start after `after`; false when another process recorded one there first. */
  async function recordStart(patternId: string, thredId: string, after: number, now: number): Promise<boolean> {
    const n = after + 1;
    try {
      await starts.insertOne({ _id: `${patternId}#${n}`, patternId, n, at: now, thredId });
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
    await lastStarts.replaceOne({ _id: patternId }, { lastStartAt: now, n }, { upsert: true });
    if (n % KEEP_LINKS === 0) await starts.deleteMany({ patternId, n: { $lte: n - KEEP_LINKS } });
    return true;
  }

  const tooSoon = (patternId: string, since: number, interval: number) =>
    `pattern ${patternId} started a thred ${since} ms ago (instanceInterval ${interval} ms)`;

  return {
    async admit(
      patternId: string,
      thredId: string,
      limits: { maxInstances?: number; instanceInterval?: number },
      now: number,
    ): Promise<Admission> {
      indexed ??= slots.createIndex({ thredId: 1 }, { unique: true });
      await indexed;
      return serialized(patternId, async () => {
        if (await slots.findOne({ thredId })) return { ok: true, already: true };
        const max = limits.maxInstances ?? 0;
        const interval = limits.instanceInterval ?? 0;
        const newest = interval > 0 ? await newestStart(patternId) : undefined;
        if (newest && now - newest.at < interval)
          return { ok: false, reason: tooSoon(patternId, now - newest.at, interval) };
        try {
          if (!(await claim(patternId, thredId, max, now))) {
            return { ok: false, reason: `pattern ${patternId} already has ${max} active threds (maxInstances ${max})` };
          }
        } catch (err) {
          if (err instanceof AlreadyAdmitted) return { ok: true, already: true };
          throw err;
        }
        // The slot is held; the start counts once it is the next link of the chain. A lost race means another
        // process just started one: refused unless that start is (by its clock) an interval ago already.
        for (let after = newest; after && !(await recordStart(patternId, thredId, after.n, now));) {
          after = await newestStart(patternId);
          if (now - after.at < interval) {
            await slots.deleteMany({ thredId });
            return { ok: false, reason: tooSoon(patternId, Math.max(0, now - after.at), interval) };
          }
        }
        return { ok: true, already: false };
      });
    },
    /** Called when a thred ends (any way); idempotent. */
    async release(thredId: string): Promise<void> {
      await slots.deleteMany({ thredId });
    },
    async active(patternId: string): Promise<number> {
      return slots.countDocuments({ patternId });
    },
  };
}

class AlreadyAdmitted extends Error {}
