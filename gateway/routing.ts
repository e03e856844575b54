/**
 * Routing of one event to threds (SPEC §2, §4, §8 ingest, §10): store it first (idempotent by id; one insert that
 * already names the threds it starts, see routeUnbound), then
 *  - bound: signal the thred (404 THRED_DOES_NOT_EXIST when there is none, 409 when it has ended);
 *  - unbound: test every active pattern's initial reaction (pure), admit under maxInstances/instanceInterval, and
 *    signal-with-start workflow `<patternId>_<eventId>` carrying the pattern snapshot — so a duplicate event cannot
 *    start a second thred; then offer the event to running threds whose current reaction allows unbound events.
 * Every thred that was handed the event is recorded (store.deliveries) once Temporal accepted it, and a re-send skips
 * those threds: duplicate suppression is exact for the life of a thred, not bounded by its recent-ids window.
 * With a deadline, every Temporal and store call of the event is bounded by it: past it the caller gets 503
 * (UNAVAILABLE) and may retry with the same id.
 */
import { randomUUID } from 'node:crypto';
import {
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import pino from 'pino';
import { hasInstanceLimits, instanceLimits, matchStart, type Ctx, type Pattern, type ThredsEvent } from '../patterns';
import { agentFor } from '../patterns/machine';
import { EventTypes, ErrorCodes, systemEvent } from '../patterns/effects';
import type { Delivery, Store } from '../store';
import {
  THREDS_TASK_QUEUE,
  THRED_WORKFLOW_TYPE,
  eventSignal,
  eventsSignal,
  offerUpdate,
  type EngineSettings,
  type ThredInput,
} from '../workflows/messages';
import { ThredPattern, ThredReaction, ThredStatus } from '../workflows/search-attributes';
import { createSignalBatcher } from './signal-batcher';
import { within } from './within';
import { createRouterMetrics } from './metrics';
import { isWorkflowClosing } from './temporal-connection';
import { RouteError, UNAVAILABLE_MESSAGE } from './errors';

export interface RouteResult {
  eventId: string;
  thredIds: string[];
  started: string[];
  refused: { patternId: string; code: number; reason: string }[];
}

export { RouteError };

/** 503: a server did not answer (in time); nothing the client did wrong, and a retry with the same id is safe. */
export function unavailable(): RouteError {
  return new RouteError('UNAVAILABLE', UNAVAILABLE_MESSAGE, ErrorCodes.SERVER_ERROR);
}

export interface RouteOptions {
  /** ms since epoch by which the event must be routed (every Temporal and store call), else 503. */
  deadline?: number;
}

/** What the router logs (pino's signature; the gateway's logger or a default one). */
export interface RouterLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
}

/** A thred closing for continue-as-new refuses an offer for tens of milliseconds; then its next run takes it. */
const CLOSING_RETRY_MS = 50;

export interface RouterDeps {
  client: Client;
  store: Store;
  settings: EngineSettings;
  taskQueue?: string;
  /** How long the active-pattern list may be cached (ms); admin writes invalidate it at once on this instance. */
  patternCacheMs?: number;
  now?: () => number;
  logger?: RouterLogger;
}

export function createRouter(deps: RouterDeps) {
  const { client, store, settings } = deps;
  const taskQueue = deps.taskQueue ?? THREDS_TASK_QUEUE;
  const now = deps.now ?? Date.now;
  const log: RouterLogger = deps.logger ?? pino({ name: 'router', level: process.env.LOG_LEVEL ?? 'info' });
  const metrics = createRouterMetrics();
  type StoredPattern = Pattern & { id: string };
  let cache: { at: number; patterns: StoredPattern[] } | undefined;

  async function activePatterns(): Promise<StoredPattern[]> {
    if (!cache || now() - cache.at > (deps.patternCacheMs ?? 1000)) {
      const patterns = (await store.patterns.list()).filter(
        (p): p is StoredPattern => p.meta?.active !== false && typeof p.id === 'string',
      );
      cache = { at: now(), patterns };
    }
    return cache.patterns;
  }

  const ctx = (): Ctx => ({ now: now(), newId: randomUUID, groups: settings.groups, agents: settings.agents });
  /** A lost record costs only exactness beyond the thred's recent-ids window: logged and counted, not failed. */
  async function recordDeliveries(deliveries: Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    try {
      await store.deliveries.record(deliveries, now());
    } catch (err) {
      metrics.deliveryRecordFailures.inc();
      log.warn({ err: String(err), eventIds: [...new Set(deliveries.map((d) => d.eventId))] }, 'delivery not recorded');
    }
  }

  // A lone event goes as the `event` signal of SPEC §10; only a group uses `events`. Each batch under its own
  // deadline (signal-batcher.ts); its deliveries are recorded beside the next batch's signal.
  const signals = createSignalBatcher(
    (thredId, events, deadline) =>
      client.withDeadline(deadline ?? Infinity, () =>
        events.length === 1
          ? client.workflow.getHandle(thredId).signal(eventSignal, events[0]!)
          : client.workflow.getHandle(thredId).signal(eventsSignal, events),
      ),
    (thredId, events) =>
      recordDeliveries([...new Set(events.map((e) => e.id))].map((eventId) => ({ eventId, thredId, took: true }))),
  );

  async function routeBound(
    event: ThredsEvent & { thredId: string },
    deadline: number | undefined,
  ): Promise<RouteResult> {
    const thredId = event.thredId;
    const result: RouteResult = { eventId: event.id, thredIds: [thredId], started: [], refused: [] };
    // The event is stored whatever the thred's state (an audit of what arrived); the two round trips overlap.
    const [record, fresh] = await Promise.all([store.threds.get(thredId), store.events.saveInbound(event, now())]);
    // A re-send of an event the thred took gets the first answer, whatever the thred did since.
    if (!fresh && (await store.deliveries.find(event.id, thredId))) return result;
    const ended = () => new RouteError('THRED_ENDED', `thred ${thredId} has ended`, ErrorCodes.THRED_DOES_NOT_EXIST);
    if (record?.status === 'terminated') throw ended();
    if (record?.status === 'finished' && event.type !== EventTypes.clientBroadcast) throw ended();
    try {
      await signals.signal(thredId, event, deadline);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const again = record ?? (await store.threds.get(thredId));
      if (again) throw ended();
      await store.events.markOutcome(event.id, 'no_thred');
      throw new RouteError('THRED_NOT_FOUND', `thred ${thredId} does not exist`, ErrorCodes.THRED_DOES_NOT_EXIST);
    }
    return result; // stored with its thredId
  }

  /**
   * `firstDelivery`: the event store had not seen this id. Signal-with-start cannot say whether it created the
   * workflow (Temporal refuses conflict policy FAIL for it), so a re-sent event is reported in `thredIds`, not `started`.
   * The stored event already names the thred of an unlimited pattern (written ahead, undone if the start fails).
   * Resolves true when the thred has the event (started with it, or signalled, or it ended after taking it).
   */
  async function startThred(
    pattern: Pattern & { id: string },
    event: ThredsEvent,
    result: RouteResult,
    firstDelivery: boolean,
  ): Promise<boolean> {
    const thredId = `${pattern.id}_${event.id}`;
    const limits = instanceLimits(pattern);
    // Unlimited patterns (the common case) skip the slot bookkeeping: two round trips less per start.
    const limited = hasInstanceLimits(pattern);
    const admission = limited
      ? await store.instances.admit(pattern.id, thredId, limits, now())
      : ({ ok: true, already: false } as const);
    if (!admission.ok) {
      result.refused.push({ patternId: pattern.id, code: ErrorCodes.PATTERN_LIMIT, reason: admission.reason });
      await store.thredLog.append([
        {
          _id: `${thredId}:refused`,
          thredId,
          seq: 0,
          kind: 'refused',
          from: null,
          to: null,
          eventId: event.id,
          detail: admission.reason,
          time: now(),
        },
      ]);
      return false;
    }
    const input: ThredInput = { thredId, pattern, settings };
    try {
      await client.workflow.signalWithStart(THRED_WORKFLOW_TYPE, {
        workflowId: thredId,
        taskQueue,
        args: [input],
        signal: eventSignal,
        signalArgs: [{ ...event, thredId }],
        // An event re-sent after its thred ended must not start it again (while it runs, signal-with-start only
        // signals it, and the thred drops the duplicate id).
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: ThredPattern, value: pattern.id },
          { key: ThredReaction, value: pattern.reactions[0]?.name ?? '' },
          { key: ThredStatus, value: 'active' },
        ],
        memo: { pattern: pattern.name ?? pattern.id, startedBy: event.id, source: event.source.id },
        staticSummary: `Thred of pattern ${pattern.name ?? pattern.id}, started by ${event.type} from ${event.source.id}`,
      });
    } catch (err) {
      if (limited && !admission.already) await store.instances.release(thredId);
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        result.thredIds.push(thredId); // the duplicate of an event its thred already handled
        if (limited) await store.events.linkToThred(event.id, thredId);
        return true;
      }
      if (!limited && firstDelivery) await store.events.unlinkFromThred(event.id, thredId);
      throw err;
    }
    if (limited) await store.events.linkToThred(event.id, thredId);
    result.thredIds.push(thredId);
    if (!admission.already && firstDelivery) result.started.push(thredId);
    return true;
  }

  /**
   * A start test that failed on an expression (SPEC §4 Expressions): the pattern starts nothing, and the sender hears
   * why — in the 202 result (`refused`, code 5000), and as a SPEC §9 error event. An unbound event has no thred, so the
   * error event carries no `thredId`; it is stored like every message (outbound event and outbox, ids derived from
   * the event's, so a re-send adds nothing) and reaches the sender on its next hello. Never sent to agents or SYSTEM.
   */
  async function reportMatchError(
    pattern: StoredPattern,
    event: ThredsEvent,
    error: { code: number; message: string },
    result: RouteResult,
    c: Ctx,
  ): Promise<void> {
    const reason = `pattern ${pattern.id}: ${error.message}`;
    result.refused.push({ patternId: pattern.id, code: error.code, reason });
    metrics.patternMatchErrors.inc({ pattern: pattern.id });
    log.warn({ patternId: pattern.id, eventId: event.id, code: error.code, reason }, 'pattern start test failed');
    const sender = event.source.id;
    if (sender === 'SYSTEM' || agentFor(sender, settings.agents) !== undefined) return;
    const id = `${event.id}:start-error:${pattern.id}`;
    const errorEvent = systemEvent(
      { ...c, newId: () => id },
      undefined,
      {
        title: `Pattern ${pattern.name ?? pattern.id} could not test this event`,
        content: { error: { code: error.code, message: reason } },
      },
      { re: event.id },
    );
    const at = now();
    await Promise.all([
      store.events.saveOutbound(errorEvent, [sender], at),
      store.outbox.add({ id, to: [sender], event: errorEvent }, [sender], at),
    ]);
  }

  /**
   * Offers an unbound event to a running thred; true when it took it. A thred closing for continue-as-new is asked
   * once more, shortly (its next run takes the offer; the update id makes the second ask idempotent).
   */
  async function offer(thredId: string, event: ThredsEvent): Promise<boolean> {
    const ask = () =>
      client.workflow.getHandle(thredId).executeUpdate(offerUpdate, { args: [event], updateId: `offer:${event.id}` });
    try {
      return await ask();
    } catch (err) {
      if (!isClosing(err)) throw err;
      await new Promise((r) => setTimeout(r, CLOSING_RETRY_MS));
      return ask();
    }
  }

  /**
   * What an unbound event will do is decided before it is stored (pure, from the cached patterns and the small
   * index of threds accepting unbound events), so the stored record carries its routing in the same insert.
   * A re-send skips the threds already recorded as having it (and reports those that took it).
   */
  async function routeUnbound(event: ThredsEvent): Promise<RouteResult> {
    const result: RouteResult = { eventId: event.id, thredIds: [], started: [], refused: [] };
    const patterns = await activePatterns();
    const c = ctx();
    const matching: StoredPattern[] = [];
    const failing: { pattern: StoredPattern; error: { code: number; message: string } }[] = [];
    for (const p of patterns) {
      const m = matchStart(p, event, c);
      if (m.error) failing.push({ pattern: p, error: m.error });
      else if (m.starts) matching.push(p);
    }
    const starting = matching.filter((p) => !hasInstanceLimits(p)).map((p) => `${p.id}_${event.id}`);
    // Running threds whose current reaction takes unbound events; those this event starts get it as their first.
    const running = (await store.threds.acceptingUnbound()).filter((id) => !starting.includes(id));
    const nothingTakesIt = matching.length === 0 && running.length === 0;
    const firstDelivery = await store.events.saveInbound(event, now(), {
      thredIds: starting,
      ...(nothingTakesIt && { outcome: 'no_pattern' as const }),
    });
    const candidates = [...matching.map((p) => `${p.id}_${event.id}`), ...running];
    const prior = new Map<string, Delivery>();
    if (!firstDelivery) {
      const found = await Promise.all(candidates.map((id) => store.deliveries.find(event.id, id)));
      for (const d of found) if (d) prior.set(d.thredId, d);
    }
    const delivered: Delivery[] = [];
    const failures: unknown[] = [];
    const settle = async (work: Promise<void>[]) => {
      for (const o of await Promise.allSettled(work)) if (o.status === 'rejected') failures.push(o.reason);
    };

    await settle([
      ...failing.map((f) => reportMatchError(f.pattern, event, f.error, result, c)),
      ...matching.map(async (p) => {
        const thredId = `${p.id}_${event.id}`;
        if (prior.get(thredId)?.took) {
          result.thredIds.push(thredId);
          return;
        }
        if (await startThred(p, event, result, firstDelivery))
          delivered.push({ eventId: event.id, thredId, took: true });
      }),
    ]);

    const offered = running.filter((id) => !result.thredIds.includes(id));
    let unreachable = false;
    await settle(
      offered.map(async (id) => {
        const before = prior.get(id);
        if (before) {
          if (before.took) result.thredIds.push(id);
          return;
        }
        let took: boolean;
        try {
          took = await offer(id, event);
        } catch (err) {
          const reason = offerFailure(err);
          metrics.offerFailures.inc({ reason });
          log.warn({ thredId: id, eventId: event.id, reason, err: String(err) }, 'offer of an unbound event failed');
          // A thred that is gone, or whose handler refused, does not take it; an unreachable Temporal fails the event.
          if (reason === 'unavailable') unreachable = true;
          else if (reason === 'error') throw err;
          return;
        }
        delivered.push({ eventId: event.id, thredId: id, took });
        if (took) {
          result.thredIds.push(id);
          await store.events.linkToThred(event.id, id);
        }
      }),
    );
    // Recorded even when something else failed: the client's retry then skips what already has the event.
    await recordDeliveries(delivered);
    if (unreachable) throw unavailable();
    if (failures.length > 0) throw failures[0];
    if (!nothingTakesIt && result.thredIds.length === 0 && result.refused.length === 0) {
      await store.events.markOutcome(event.id, 'no_pattern');
    }
    return result;
  }

  /** Bounds the whole routing of one event (store calls included) by its deadline. */
  function withinDeadline<T>(work: () => Promise<T>, deadline: number): Promise<T> {
    // Temporal calls inherit the deadline from the client's async context (the batcher sets its own per batch).
    return within(client.withDeadline(deadline, work), deadline - Date.now(), (): never => {
      throw unavailable();
    });
  }

  return {
    /**
     * Stores and routes one event. Throws RouteError for 404/409, and 503 (UNAVAILABLE) past `deadline`; other errors
     * mean a server is unavailable.
     */
    async route(event: ThredsEvent, opts: RouteOptions = {}): Promise<RouteResult> {
      const { deadline } = opts;
      const run = () =>
        event.thredId ? routeBound(event as ThredsEvent & { thredId: string }, deadline) : routeUnbound(event);
      return deadline === undefined ? run() : withinDeadline(run, deadline);
    },
    /** The router's own counters (pattern match errors, offer failures), served by GET /metrics. */
    metrics: metrics.registry,
    invalidatePatterns(): void {
      cache = undefined;
    },
  };
}

export type Router = ReturnType<typeof createRouter>;

/** The refusal of a thred closing for continue-as-new, anywhere in the error's cause chain. */
function isClosing(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as { code?: unknown; details?: unknown; message?: unknown; cause?: unknown };
  if (
    typeof e.code === 'number' &&
    typeof e.details === 'string' &&
    isWorkflowClosing({ code: e.code, details: e.details })
  )
    return true;
  if (typeof e.message === 'string' && /workflow is closing|update (was|has been) aborted/i.test(e.message))
    return true;
  return isClosing(e.cause, depth + 1);
}

/**
 * Why an offer failed: `gone` (the thred ended; nothing to offer to), `failed` (its update handler refused), or
 * `unavailable` (Temporal did not answer: the event fails with 503 and the client retries it), else `error`.
 */
function offerFailure(err: unknown): 'gone' | 'failed' | 'unavailable' | 'error' {
  if (err instanceof WorkflowNotFoundError) return 'gone';
  if (err instanceof WorkflowUpdateFailedError) return 'failed';
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || err instanceof ServiceError || isClosing(err))
    return 'unavailable';
  return 'error';
}
