/**
 * What a case counts, read from MongoDB directly (the event store and the thred log, store/events.ts and
 * store/thred-log.ts) and cross-checked through GET /threds/:id/log: every acknowledged event stored and applied
 * exactly once, and every thred at the reaction (and count) it must reach.
 */
import type { Db } from 'mongodb';
import { createStore, type Store, type ThredLogRecord } from '../../store';
import type { OutboundEvent, Tally } from './client';

/** The events a case sent, and where each must end up. */
export class Ledger {
  /** counter thredId → ids of the ticks sent to it. */
  readonly ticks = new Map<string, Set<string>>();
  /** open/ask event id → the thred it starts (`<patternId>_<eventId>`). */
  readonly starts = new Map<string, string>();
  private n = 0;

  constructor(
    readonly patternId: string,
    readonly prefix: string,
  ) {}

  /** An unbound event of type `<patternId>.<kind>` that starts a thred. */
  open(kind = 'open', data?: Record<string, unknown>): OutboundEvent {
    const id = `${this.prefix}-${kind}-${++this.n}`;
    this.starts.set(id, `${this.patternId}_${id}`);
    return { id, type: `${this.patternId}.${kind}`, ...(data && { data }) };
  }

  tick(thredId: string): OutboundEvent {
    const id = `${this.prefix}-tick-${++this.n}`;
    let set = this.ticks.get(thredId);
    if (!set) this.ticks.set(thredId, (set = new Set()));
    set.add(id);
    return { id, type: `${this.patternId}.tick`, thredId };
  }

  thredOf(openId: string): string {
    return this.starts.get(openId)!;
  }

  /** Every event id this ledger made, with the thred it must be applied in. */
  expected(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [id, thred] of this.starts) m.set(id, thred);
    for (const [thred, ids] of this.ticks) for (const id of ids) m.set(id, thred);
    return m;
  }
}

export interface Outcome {
  acked: number;
  /** Acknowledged (202) but missing from the event store or never applied. */
  lost: string[];
  /** Applied more than once (two `matched` log records, or a count above what was sent). */
  dup: string[];
  /** Threds that did not reach their expected state within the wait. */
  stuck: string[];
  /** Sent but never acknowledged (the client gave up, or got a status other than 202/503). */
  unacked: string[];
}

export function mergeOutcomes(...all: Outcome[]): Outcome {
  return {
    acked: all.reduce((s, o) => s + o.acked, 0),
    lost: all.flatMap((o) => o.lost),
    dup: all.flatMap((o) => o.dup),
    stuck: all.flatMap((o) => o.stuck),
    unacked: all.flatMap((o) => o.unacked),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it held. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}

export class Checker {
  readonly store: Store;

  constructor(
    readonly db: Db,
    private readonly api: { url: () => string; adminToken: string },
  ) {
    this.store = createStore(db);
  }

  async matchedLog(thredIds: string[]): Promise<ThredLogRecord[]> {
    if (thredIds.length === 0) return [];
    return this.db
      .collection<ThredLogRecord>('thred_log')
      .find({ thredId: { $in: thredIds }, kind: 'matched' })
      .toArray();
  }

  async apiLog(thredId: string): Promise<ThredLogRecord[]> {
    const res = await fetch(`${this.api.url()}/threds/${encodeURIComponent(thredId)}/log`, {
      headers: { authorization: `Bearer ${this.api.adminToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) throw new Error(`GET /threds/${thredId}/log answered ${res.status}`);
    return ((await res.json()) as { log: ThredLogRecord[] }).log;
  }

  /** The thred's reaction and locals.n (counter threds), from the read model. */
  async thred(
    id: string,
  ): Promise<{ reaction: string | null; status: string; locals: Record<string, unknown> } | null> {
    return this.store.threds.get(id);
  }

  /**
   * Waits (up to `waitMs`) for every counter thred to have counted exactly its ticks and every started thred to sit in
   * `startReaction`, then counts lost, duplicated and stuck from the stores.
   */
  async verify(ledger: Ledger, tally: Tally, { startReaction = 'count', waitMs = 60_000 } = {}): Promise<Outcome> {
    const expected = ledger.expected();
    const done = async (thredId: string): Promise<boolean> => {
      const t = await this.thred(thredId);
      if (!t) return false;
      const ticks = ledger.ticks.get(thredId);
      if (ticks) return t.reaction === 'count' && Number(t.locals.n ?? 0) === ticks.size;
      return t.reaction === startReaction;
    };
    const threds = [...new Set(expected.values())];
    // A thred with an unacknowledged event (reported in `unacked`) has no one expected state to wait for.
    const pending = new Set(
      threds.filter((t) => [...expected].every(([id, th]) => th !== t || tally.accepted.has(id))),
    );
    await until(async () => {
      for (const id of [...pending]) if (await done(id)) pending.delete(id);
      return pending.size === 0;
    }, waitMs);

    const acked = [...expected.keys()].filter((id) => tally.accepted.has(id));
    const unacked = [...expected.keys()].filter((id) => !tally.accepted.has(id));
    const stored = new Set(
      (
        await this.db
          .collection<{ _id: string }>('events')
          .find({ _id: { $in: acked }, direction: 'in' }, { projection: { _id: 1 } })
          .toArray()
      ).map((d) => d._id),
    );
    const applied = new Map<string, number>();
    for (const r of await this.matchedLog(threds)) {
      // A record names the event it applied; only events applied in the thred they were sent to count.
      if (r.eventId && expected.get(r.eventId) === r.thredId) applied.set(r.eventId, (applied.get(r.eventId) ?? 0) + 1);
    }
    const lost = acked.filter((id) => !stored.has(id) || !applied.has(id));
    const dup = [...applied].filter(([, n]) => n > 1).map(([id]) => id);
    for (const [thredId, ids] of ledger.ticks) {
      const n = Number((await this.thred(thredId))?.locals.n ?? 0);
      if (n > ids.size) dup.push(`${thredId}: counted ${n} of ${ids.size} ticks`);
      // The API serves the same log: it must agree with the store.
      const viaApi = (await this.apiLog(thredId)).filter(
        (r) => r.kind === 'matched' && ids.has(r.eventId ?? ''),
      ).length;
      const inStore = [...ids].reduce((s, id) => s + (applied.get(id) ?? 0), 0);
      if (viaApi !== inStore) lost.push(`${thredId}: GET /log shows ${viaApi} applied ticks, the store ${inStore}`);
    }
    return { acked: acked.length, lost, dup, stuck: [...pending], unacked };
  }
}
