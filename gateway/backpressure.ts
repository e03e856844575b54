/**
 * Backpressure at the door (README "Overload and backpressure"): before an event is stored or routed, the gateway
 * refuses it when its thred already has too much waiting — 503 THREDS_ERR_UNAVAILABLE — or when its principal has too
 * many events being routed here at once — 429 THREDS_ERR_RATE_LIMITED —, both with a Retry-After. A refused event was
 * never stored nor acknowledged, so nothing acknowledged is dropped: the client re-sends it (same id) later.
 *
 * A thred's backlog, as this gateway sees it: events being routed to it here (waiting for their signal in the signal
 * batcher included) + the thred's own report of its queue (written with its step records into the read model, with
 * the workflow time of that step) + the events this gateway had signalled to it since that report. The last term is
 * what catches a thred that stopped reporting (its workflow tasks time out): Temporal keeps accepting its signals.
 *
 * Reads stay cheap: only a busy thred (several events in flight here, a high recent rate, or a queue at its last
 * report) is looked up, by _id with a projection, and the answer is reused for `backlogCacheMs`. A quiet thred costs
 * no read at all.
 */
import { fail } from './errors';
import { within } from './within';
import type { GatewayMetrics } from './metrics';

export interface BackpressureLimits {
  /** Events a thred may have waiting before its new events are refused with 503. */
  thredBacklog: number;
  /**
   * Seconds of work a thred may have waiting, at the rate it last applied items: the bound that follows the machine
   * (20 busy threds on 2 cores each drain far slower than one alone). Applies from MIN_TIMED_BACKLOG events on.
   */
  thredBacklogSeconds: number;
  /** Events one principal may have being routed at once on this gateway before 429. */
  principalInFlight: number;
  /** How long a busy thred's backlog report is reused. */
  backlogCacheMs: number;
}

/** The bounds from the environment (README "Configuration"); GatewayLimits.backpressure overrides them. */
export function backpressureLimits(env: NodeJS.ProcessEnv = process.env): BackpressureLimits {
  return {
    thredBacklog: Number(env.THREDS_THRED_BACKLOG ?? 1000),
    thredBacklogSeconds: Number(env.THREDS_THRED_BACKLOG_SECONDS ?? 10),
    principalInFlight: Number(env.THREDS_PRINCIPAL_IN_FLIGHT ?? 500),
    backlogCacheMs: Number(env.THREDS_BACKLOG_CACHE_MS ?? 500),
  };
}

/** What the read model says about a thred's queue (store.threds.backlog). */
export type BacklogReader = (
  thredId: string,
) => Promise<{ patternId: string; version: number; backlog?: { queued: number; at: number } } | null>;

/** A refusal: the error shape's code and status, plus the seconds to put in Retry-After. */
export type Refusal = Error & { retryAfterSeconds: number };

export function retryAfterOf(err: unknown): number | undefined {
  const s = (err as Partial<Refusal> | null)?.retryAfterSeconds;
  return typeof s === 'number' ? s : undefined;
}

/** Signals are counted in 100 ms buckets for this long (a report older than that counts all of them). */
const BUCKET_MS = 100;
const HORIZON_MS = 60_000;
/** A thred counts as busy from this many events in flight here, or this many signalled over the last 2 s. */
const BUSY_IN_FLIGHT = 4;
const BUSY_RECENT = 20;
const SWEEP_MS = 10_000;
const MAX_RETRY_AFTER_S = 30;
/** Below this many waiting events a thred is never refused for its drain time (rates of small bursts are noise). */
const MIN_TIMED_BACKLOG = 50;

interface ThredTrack {
  inFlight: number;
  /** bucket start (ms) → events whose signal Temporal accepted in it. */
  signalled: Map<number, number>;
  report?: { queued: number; at: number; version: number; patternId: string; fetchedAt: number };
  /** Items per second the thred applied between its last two reports (its drain rate), when known. */
  rate?: number;
  reading?: Promise<void>;
}

export interface Ticket {
  /** The event's routing ended; `signalled`: its thred was signalled (so it is now in the thred's queue). */
  done(signalled: boolean): void;
}

/**
 * Longest an admission waits for a busy thred's report. The wait counts against the event's routing deadline, and a
 * store that does not answer (paused, failing over) must not spend it: past this the estimate goes on without the new
 * report, which keeps coming in the background.
 */
const REPORT_WAIT_MS = 1000;

export function createBackpressure(opts: {
  limits: BackpressureLimits;
  read: BacklogReader;
  metrics: GatewayMetrics;
  now?: () => number;
  /** Overrides REPORT_WAIT_MS (tests). */
  reportWaitMs?: number;
}) {
  const { limits, read, metrics } = opts;
  const reportWaitMs = opts.reportWaitMs ?? REPORT_WAIT_MS;
  const now = opts.now ?? Date.now;
  const threds = new Map<string, ThredTrack>();
  const principals = new Map<string, number>();
  let sweptAt = now();

  function signalledSince(t: ThredTrack, since: number): number {
    let n = 0;
    for (const [start, count] of t.signalled) if (start + BUCKET_MS > since) n += count;
    return n;
  }

  function busy(t: ThredTrack): boolean {
    return (
      t.inFlight >= BUSY_IN_FLIGHT || (t.report?.queued ?? 0) > 0 || signalledSince(t, now() - 2000) >= BUSY_RECENT
    );
  }

  function estimate(t: ThredTrack): number {
    const since = t.report ? t.report.at : -Infinity;
    return t.inFlight + (t.report?.queued ?? 0) + signalledSince(t, since);
  }

  async function refresh(thredId: string, t: ThredTrack): Promise<void> {
    if (t.report && now() - t.report.fetchedAt < limits.backlogCacheMs) return;
    t.reading ??= read(thredId)
      .then((r) => {
        const fetchedAt = now();
        if (!r) {
          t.report = { queued: 0, at: -Infinity, version: 0, patternId: 'unknown', fetchedAt };
          return;
        }
        const prev = t.report;
        const at = r.backlog?.at ?? -Infinity;
        // Only while work was waiting is the rate the thred's capacity (else it is just the arrival rate).
        if (prev && prev.queued > 0 && r.version > prev.version && at > prev.at) {
          t.rate = ((r.version - prev.version) * 1000) / (at - prev.at);
        }
        t.report = { queued: r.backlog?.queued ?? 0, at, version: r.version, patternId: r.patternId, fetchedAt };
        for (const start of t.signalled.keys()) if (start + BUCKET_MS <= at) t.signalled.delete(start);
      })
      // A store that does not answer fails the routing anyway (503); the estimate then goes without the report.
      .catch(() => undefined)
      .finally(() => {
        t.reading = undefined;
      });
    await t.reading;
  }

  function sweep(): void {
    const t0 = now();
    if (t0 - sweptAt < SWEEP_MS) return;
    sweptAt = t0;
    for (const [id, t] of threds) {
      for (const start of t.signalled.keys()) if (start < t0 - HORIZON_MS) t.signalled.delete(start);
      const reportLive = t.report && t.report.queued > 0 && t0 - t.report.fetchedAt < HORIZON_MS;
      if (t.inFlight === 0 && t.signalled.size === 0 && !reportLive && !t.reading) threds.delete(id);
    }
  }

  function refusal(key: 'UNAVAILABLE' | 'RATE_LIMITED', message: string, seconds: number): Refusal {
    return Object.assign(fail(key, message), { retryAfterSeconds: seconds });
  }

  /** The backlog a thred may have now: the count bound, or less when its drain rate says that takes too long. */
  function bound(t: ThredTrack): number {
    if (!t.rate || t.rate <= 0) return limits.thredBacklog;
    return Math.min(limits.thredBacklog, Math.max(MIN_TIMED_BACKLOG, t.rate * limits.thredBacklogSeconds));
  }

  function retryAfter(t: ThredTrack, backlog: number): number {
    // Long enough for the thred to work off what is above half its bound, at the rate it last showed.
    const excess = backlog - bound(t) / 2;
    const s = t.rate && t.rate > 0 ? Math.ceil(excess / t.rate) : 2;
    return Math.min(MAX_RETRY_AFTER_S, Math.max(1, s));
  }

  // Summarised per pattern at scrape time (bounded labels: pattern ids; stat sum|max).
  (metrics.thredBacklog as unknown as { collect?: () => void }).collect = () => {
    const sums = new Map<string, { sum: number; max: number }>();
    let busyCount = 0;
    for (const t of threds.values()) {
      if (!busy(t)) continue;
      busyCount++;
      const pattern = t.report?.patternId ?? 'unknown';
      const s = sums.get(pattern) ?? { sum: 0, max: 0 };
      const b = estimate(t);
      s.sum += b;
      s.max = Math.max(s.max, b);
      sums.set(pattern, s);
    }
    metrics.thredBacklog.reset();
    for (const [pattern, s] of sums) {
      metrics.thredBacklog.set({ pattern, stat: 'sum' }, s.sum);
      metrics.thredBacklog.set({ pattern, stat: 'max' }, s.max);
    }
    metrics.busyThreds.set(busyCount);
  };

  return {
    /**
     * Admits one event (before it is stored) or throws a Refusal. The ticket must be ended when its routing ends.
     * `thredId`: the bound thred (unbound events are bounded per principal only).
     */
    async admit(thredId: string | undefined, principalId: string): Promise<Ticket> {
      sweep();
      const mine = principals.get(principalId) ?? 0;
      if (mine >= limits.principalInFlight) {
        metrics.backpressureRefusals.inc({ reason: 'principal_in_flight' });
        throw refusal(
          'RATE_LIMITED',
          `${mine} events of ${principalId} are being routed; at most ${limits.principalInFlight} at once`,
          1,
        );
      }
      principals.set(principalId, mine + 1);
      const releasePrincipal = () => {
        const n = (principals.get(principalId) ?? 1) - 1;
        if (n <= 0) principals.delete(principalId);
        else principals.set(principalId, n);
      };
      if (thredId === undefined) return { done: releasePrincipal };
      let t = threds.get(thredId);
      if (!t) threds.set(thredId, (t = { inFlight: 0, signalled: new Map() }));
      const track = t;
      if (busy(track)) {
        await within(refresh(thredId, track), reportWaitMs, () => undefined);
        const backlog = estimate(track);
        const limit = bound(track);
        if (backlog >= limit) {
          releasePrincipal();
          metrics.backpressureRefusals.inc({ reason: 'thred_backlog' });
          throw refusal(
            'UNAVAILABLE',
            `thred ${thredId} has ${backlog} events waiting (limit ${Math.round(limit)}); retry with the same event id`,
            retryAfter(track, backlog),
          );
        }
      }
      track.inFlight++;
      return {
        done(signalled) {
          releasePrincipal();
          track.inFlight--;
          if (!signalled) return;
          const start = Math.floor(now() / BUCKET_MS) * BUCKET_MS;
          track.signalled.set(start, (track.signalled.get(start) ?? 0) + 1);
        },
      };
    },
    /** This gateway's current estimate of a thred's backlog (tests, diagnostics). */
    backlog(thredId: string): number {
      const t = threds.get(thredId);
      return t ? estimate(t) : 0;
    },
  };
}

export type Backpressure = ReturnType<typeof createBackpressure>;
