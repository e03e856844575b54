import type { Db } from 'mongodb';
import { isDuplicateKey } from './errors';

/**
 * maxInstances / instanceInterval bookkeeping (SPEC §4), correct under concurrent starts.
 *
 * FerretDB (our MongoDB-compatible server) applies a conditional update as read-then-write, so a counter guarded by
 * `{ active: { $lt: max } }` lets concurrent starts through. What is atomic on every MongoDB-wire server is an insert
 * against a unique key — so each active thred holds one of `max` numbered slots (`<patternId>#<k>`), and a unique
 * index on `thredId` makes admission idempotent per thred. instanceInterval is checked and stamped under a
 * per-pattern lock in this process (several gateway instances may each admit one start inside the same interval:
 * documented in the README).
 */
interface Slot {
  _id: string; // `${patternId}#${k}` when limited, `${patternId}@${thredId}` otherwise
  patternId: string;
  thredId: string;
  admittedAt: number;
}
interface LastStart {
  _id: string; // patternId
  lastStartAt: number;
}

export type Admission = { ok: true; already: boolean } | { ok: false; reason: string };

export function createInstanceCounter(db: Db) {
  const slots = db.collection<Slot>('instance_slots');
  const lastStarts = db.collection<LastStart>('pattern_last_start');
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
        if (interval > 0) {
          const last = (await lastStarts.findOne({ _id: patternId }))?.lastStartAt ?? 0;
          if (now - last < interval) {
            return { ok: false, reason: `pattern ${patternId} started a thred ${now - last} ms ago (instanceInterval ${interval} ms)` };
          }
        }
        try {
          if (!(await claim(patternId, thredId, max, now))) {
            return { ok: false, reason: `pattern ${patternId} already has ${max} active threds (maxInstances ${max})` };
          }
        } catch (err) {
          if (err instanceof AlreadyAdmitted) return { ok: true, already: true };
          throw err;
        }
        if (interval > 0) await lastStarts.replaceOne({ _id: patternId }, { lastStartAt: now }, { upsert: true });
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
