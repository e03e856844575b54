/**
 * watchThreds pushes (SPEC §14). Subscriptions live in the store (store/watches.ts), so a watch started or renewed
 * through any gateway holds on every gateway. Each gateway serves the watchers whose sessions it holds: while it has
 * one, it polls the read model every `pollMs` for threds whose snapshot changed, and pushes each changed thred once
 * per poll (coalesced per thred: a burst on one thred is one push of its latest state, and bursts on several threds
 * are one push each — not one debounce for all). Only changes from the subscription's start on are pushed.
 *
 * Pushes are live only (not kept in the outbox): a watcher that reconnects asks getThreds for the current state.
 * The read model's `updateTime` is the workflow's clock at the step; the poll looks back `overlapMs` so a snapshot
 * written a little after its step is still seen, and versions already pushed are remembered so none goes twice.
 */
import type { Message } from '../../patterns';
import type { Store, ThredRecord, WatchRecord } from '../../store';
import type { SessionHub } from '../session-hub';

export interface WatchOptions {
  store: Store;
  hub: SessionHub;
  now: () => number;
  pollMs: number;
  /** How far each poll looks back beyond the previous one. */
  overlapMs?: number;
  /** Builds the push to `watch.participantId` for one changed thred. */
  push(watch: WatchRecord, record: ThredRecord): Message;
  log: { warn(fields: Record<string, unknown>, msg: string): void };
}

const SWEEP_MS = 60_000;

export function createWatcher(opts: WatchOptions) {
  const { store, hub, now } = opts;
  const overlapMs = opts.overlapMs ?? 5_000;
  /** Thred id → the snapshot identity last pushed (or seen) while this gateway had watchers. */
  const seen = new Map<string, { key: string; updateTime: number }>();
  let lastPoll: number | undefined;
  /** Watches (participant and start) this gateway has polled for: only a new one widens the window to its start. */
  let served = new Set<string>();
  let lastSweep = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const identity = (r: ThredRecord) => `${r.version}:${r.updateTime}:${r.status}:${r.reaction ?? ''}`;

  async function tick(): Promise<void> {
    const t = now();
    if (t - lastSweep >= SWEEP_MS) {
      lastSweep = t;
      await store.watches.sweep(t);
    }
    // No session here, no watcher here: skip the store round trip.
    const watches =
      hub.all().length === 0
        ? []
        : (await store.watches.live(t)).filter((w) => hub.sessionsOf(w.participantId).length > 0);
    if (watches.length === 0) {
      seen.clear();
      served.clear();
      lastPoll = undefined;
      return;
    }
    const watchKey = (w: WatchRecord) => `${w.participantId}@${w.startedAt}`;
    const fresh = watches.filter((w) => !served.has(watchKey(w)));
    const since = Math.min(lastPoll ?? t, ...fresh.map((w) => w.startedAt)) - overlapMs;
    lastPoll = t;
    served = new Set(watches.map(watchKey));
    const changed = await store.threds.changedSince(since);
    for (const record of changed.sort((a, b) => a.updateTime - b.updateTime)) {
      const key = identity(record);
      if (seen.get(record._id)?.key === key) continue;
      seen.set(record._id, { key, updateTime: record.updateTime });
      for (const w of watches) {
        if (record.updateTime < w.startedAt) continue; // changed before this watch began
        const message = opts.push(w, record);
        for (const s of hub.sessionsOf(w.participantId)) hub.deliver(s, message);
      }
    }
    // Out of the look-back window: a later change brings the thred back with a newer identity anyway.
    for (const [id, s] of seen) if (s.updateTime < since) seen.delete(id);
  }

  function schedule(): void {
    timer = setTimeout(() => {
      running = tick()
        .catch((err: unknown) => opts.log.warn({ err: String(err) }, 'watchThreds poll failed'))
        .finally(() => {
          running = undefined;
          if (timer) schedule();
        });
    }, opts.pollMs);
    timer.unref();
  }

  return {
    start(): void {
      if (!timer) schedule();
    },
    async close(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
    /** One poll now (tests). */
    tick,
  };
}
