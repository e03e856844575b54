/**
 * Retention (THREDS_RETENTION): an ended thred's read-model record, its events, transition log, outbox entries and
 * delivery records are removed once the retention has passed since it ended; dead letters stay until an admin retries
 * or deletes them; running threds are never touched. Events and outbox entries that belong to no thred (unbound events
 * nothing took, events to unknown threds, control events and their replies) go the retention after they were stored.
 *
 * One periodic sweep on every server rather than TTL indexes: a TTL index expires a document by a date stored in it,
 * but an event or log record is written while its thred runs, before anyone knows when the thred will end — TTL would
 * need every record of a thred rewritten when it ends (a write per record on the hot path), could not keep an unbound
 * event that another, still running thred also took, and would delete the records of a thred revived by a reset. The
 * sweep decides per batch of threds (`planSweep`, pure) and deletes by indexed fields, so on MongoDB it costs index
 * lookups; FerretDB (no TTL indexes either) scans, which a sweep every THREDS_RETENTION_SWEEP_INTERVAL can afford.
 *
 * Safe when several workers sweep: every step is an idempotent delete or `$set`, and the record goes last, so a sweep
 * cut short leaves the thred listed for the next one. Workers take turns by inserting a key per interval slot
 * (`retention_sweeps`): an insert against a unique key is atomic on every MongoDB-wire server, so one sweep per slot
 * runs and the others skip it.
 */
import type { Store } from './index';
import { insertOnce } from './errors';

/** The threds that go in one round of a sweep. */
const DEFAULT_BATCH = 100;
/** Rounds of one sweep at most: a huge backlog is worked off over several intervals instead of one endless sweep. */
const MAX_ROUNDS = 200;

/** An unbound event routed to at least one of the threds being removed, with every thred it went to. */
export interface RoutedEvent {
  id: string;
  thredIds: string[];
}

export interface SweepPlan {
  /** Threds whose records go in this round. */
  threds: string[];
  /** Unbound events none of whose threds remains: deleted. */
  deleteEvents: string[];
  /** Unbound events another recorded thred also took: they stay, naming only the threds that remain. */
  relink: RoutedEvent[];
}

export interface SweepReport {
  threds: number;
  events: number;
  log: number;
  outbox: number;
  deliveries: number;
}

/** Records older than this go; null keeps everything (`THREDS_RETENTION=0`). */
export function retentionCutoff(now: number, retentionMs: number): number | null {
  return retentionMs > 0 ? now - retentionMs : null;
}

/**
 * One round: the threds `expired` go with everything bound to them; an unbound event routed to several threds goes
 * only when none of them remains (`recorded`: the other threds it names that still have a read-model record).
 */
export function planSweep(expired: string[], routed: RoutedEvent[], recorded: ReadonlySet<string>): SweepPlan {
  const going = new Set(expired);
  const deleteEvents: string[] = [];
  const relink: RoutedEvent[] = [];
  for (const e of routed) {
    const keep = e.thredIds.filter((id) => !going.has(id) && recorded.has(id));
    if (keep.length === 0) deleteEvents.push(e.id);
    else if (keep.length < e.thredIds.length) relink.push({ id: e.id, thredIds: keep });
  }
  return { threds: [...going], deleteEvents, relink };
}

/** One sweep now: every ended thred past the retention, then the thredless records. Idempotent. */
export async function sweepRetention(
  store: Store,
  opts: { now: number; retentionMs: number; batch?: number },
): Promise<SweepReport> {
  const report: SweepReport = { threds: 0, events: 0, log: 0, outbox: 0, deliveries: 0 };
  const cutoff = retentionCutoff(opts.now, opts.retentionMs);
  if (cutoff === null) return report;
  const batch = opts.batch ?? DEFAULT_BATCH;
  const deliveries = store.db.collection<{ thredId: string }>('deliveries');
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const expired = (await store.threds.endedBefore(cutoff, batch)).map((t) => t.id);
    if (expired.length === 0) break;
    const routed = await store.events.routedTo(expired);
    const going = new Set(expired);
    const others = [...new Set(routed.flatMap((e) => e.thredIds))].filter((id) => !going.has(id));
    const plan = planSweep(expired, routed, new Set(await store.threds.existing(others)));
    // Everything that hangs off the threds first, their records last (see the module comment).
    const [events, deleted, log, outbox, delivered] = await Promise.all([
      store.events.deleteBoundTo(plan.threds),
      store.events.deleteIds(plan.deleteEvents),
      store.thredLog.deleteOfThreds(plan.threds),
      store.outbox.deleteOfThreds(plan.threds),
      deliveries.deleteMany({ thredId: { $in: plan.threds } }).then((r) => r.deletedCount),
      Promise.all(plan.relink.map((e) => store.events.keepRoutedTo(e.id, e.thredIds))),
    ]);
    const removed = await store.threds.deleteEndedBefore(plan.threds, cutoff);
    report.threds += removed;
    report.events += events + deleted;
    report.log += log;
    report.outbox += outbox;
    report.deliveries += delivered;
    // Nothing removed: another worker took this round's threds; the next interval goes on.
    if (removed === 0) break;
  }
  report.events += await store.events.deleteThredlessBefore(cutoff);
  report.outbox += await store.outbox.deleteUntracedBefore(cutoff);
  return report;
}

export interface RetentionSweeper {
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

export interface SweeperOptions {
  retentionMs: number;
  intervalMs: number;
  /** Who sweeps, in the slot record (for an operator reading `retention_sweeps`). */
  by: string;
  /** The process's logger (pino-shaped); none in processes that keep quiet (tests hosting workers). */
  log?: { info(fields: object, msg: string): void; warn(fields: object, msg: string): void };
  now?: () => number;
}

/**
 * Sweeps at once and then every `intervalMs`, taking turns with other workers (one sweep per interval slot). A failed
 * sweep (store unreachable) is logged and retried at the next slot. The timer does not keep the process alive.
 */
export function startRetentionSweeper(store: Store, opts: SweeperOptions): RetentionSweeper {
  const { log } = opts;
  const now = opts.now ?? Date.now;
  if (opts.retentionMs === 0) {
    log?.info({ retentionMs: 0 }, 'retention: THREDS_RETENTION=0, ended threds are kept forever');
    return { stop: async () => undefined };
  }
  const slots = store.db.collection<{ _id: string; by: string; at: number }>('retention_sweeps');
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function tick(): Promise<void> {
    const at = now();
    const slot = Math.floor(at / opts.intervalMs);
    if (!(await insertOnce(slots, [{ _id: `${opts.intervalMs}:${slot}`, by: opts.by, at }]))) return;
    const r = await sweepRetention(store, { now: at, retentionMs: opts.retentionMs });
    await slots.deleteMany({ at: { $lt: at - 10 * opts.intervalMs } });
    if (r.threds + r.events + r.log + r.outbox + r.deliveries > 0) {
      const before = new Date(at - opts.retentionMs).toISOString();
      log?.info(
        { retention: r, before },
        `retention: removed ${r.threds} ended threds, ${r.events} events, ${r.log} log records, ` +
          `${r.outbox} outbox entries, ${r.deliveries} delivery records (ended or stored before ${before})`,
      );
    }
  }
  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((err: unknown) => log?.warn({ err: String(err) }, 'retention: sweep failed; the next interval retries'))
        .finally(() => schedule(opts.intervalMs - (now() % opts.intervalMs)));
    }, delayMs);
    timer.unref();
  }
  schedule(0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
