/**
 * Routing of one event to threds (SPEC §2, §4, §8 ingest, §10): store it first (idempotent by id; one insert that
 * already names the threds it starts, see routeUnbound), then
 *  - bound: signal the thred (404 THRED_DOES_NOT_EXIST when there is none, 409 when it has ended);
 *  - unbound: test every active pattern's initial reaction (pure), admit under maxInstances/instanceInterval, and
 *    signal-with-start workflow `<patternId>_<eventId>` carrying the pattern snapshot — so a duplicate event cannot
 *    start a second thred; then offer the event to running threds whose current reaction allows unbound events.
 */
import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { hasInstanceLimits, instanceLimits, startsThred, type Ctx, type Pattern, type ThredsEvent } from '../patterns';
import { EventTypes, ErrorCodes } from '../patterns/effects';
import type { Store } from '../store';
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

export interface RouteResult {
  eventId: string;
  thredIds: string[];
  started: string[];
  refused: { patternId: string; code: number; reason: string }[];
}

/** A routing failure with its HTTP status, API code and SPEC §7 code (the gateway turns it into the error shape). */
export class RouteError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly thredsCode: number,
  ) {
    super(message);
    this.name = 'RouteError';
  }
}

export interface RouterDeps {
  client: Client;
  store: Store;
  settings: EngineSettings;
  taskQueue?: string;
  /** How long the active-pattern list may be cached (ms); admin writes invalidate it at once on this instance. */
  patternCacheMs?: number;
  now?: () => number;
}

export function createRouter(deps: RouterDeps) {
  const { client, store, settings } = deps;
  const taskQueue = deps.taskQueue ?? THREDS_TASK_QUEUE;
  const now = deps.now ?? Date.now;
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
  // A lone event goes as the `event` signal of SPEC §10; only a group uses `events`.
  const signals = createSignalBatcher((thredId, events) =>
    events.length === 1
      ? client.workflow.getHandle(thredId).signal(eventSignal, events[0]!)
      : client.workflow.getHandle(thredId).signal(eventsSignal, events),
  );

  async function routeBound(event: ThredsEvent & { thredId: string }): Promise<RouteResult> {
    const thredId = event.thredId;
    // The event is stored whatever the thred's state (an audit of what arrived); the two round trips overlap.
    const [record] = await Promise.all([store.threds.get(thredId), store.events.saveInbound(event, now())]);
    const ended = () =>
      new RouteError(409, 'THREDS_ERR_THRED_ENDED', `thred ${thredId} has ended`, ErrorCodes.THRED_DOES_NOT_EXIST);
    if (record?.status === 'terminated') throw ended();
    if (record?.status === 'finished' && event.type !== EventTypes.clientBroadcast) throw ended();
    try {
      await signals.signal(thredId, event);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const again = record ?? (await store.threds.get(thredId));
      if (again) throw ended();
      await store.events.markOutcome(event.id, 'no_thred');
      throw new RouteError(
        404,
        'THREDS_ERR_THRED_NOT_FOUND',
        `thred ${thredId} does not exist`,
        ErrorCodes.THRED_DOES_NOT_EXIST,
      );
    }
    return { eventId: event.id, thredIds: [thredId], started: [], refused: [] }; // stored with its thredId
  }

  /**
   * `firstDelivery`: the event store had not seen this id. Signal-with-start cannot say whether it created the
   * workflow (Temporal refuses conflict policy FAIL for it), so a re-sent event is reported in `thredIds`, not `started`.
   * The stored event already names the thred of an unlimited pattern (written ahead, undone if the start fails).
   */
  async function startThred(
    pattern: Pattern & { id: string },
    event: ThredsEvent,
    result: RouteResult,
    firstDelivery: boolean,
  ): Promise<void> {
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
      return;
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
        return;
      }
      if (!limited && firstDelivery) await store.events.unlinkFromThred(event.id, thredId);
      throw err;
    }
    if (limited) await store.events.linkToThred(event.id, thredId);
    result.thredIds.push(thredId);
    if (!admission.already && firstDelivery) result.started.push(thredId);
  }

  /**
   * What an unbound event will do is decided before it is stored (pure, from the cached patterns and the small
   * index of threds accepting unbound events), so the stored record carries its routing in the same insert.
   */
  async function routeUnbound(event: ThredsEvent): Promise<RouteResult> {
    const result: RouteResult = { eventId: event.id, thredIds: [], started: [], refused: [] };
    const patterns = await activePatterns();
    const c = ctx();
    const matching: StoredPattern[] = [];
    for (const p of patterns) if (startsThred(p, event, c)) matching.push(p);
    const starting = matching.filter((p) => !hasInstanceLimits(p)).map((p) => `${p.id}_${event.id}`);
    // Running threds whose current reaction takes unbound events; those this event starts get it as their first.
    const running = (await store.threds.acceptingUnbound()).filter((id) => !starting.includes(id));
    const nothingTakesIt = matching.length === 0 && running.length === 0;
    const firstDelivery = await store.events.saveInbound(event, now(), {
      thredIds: starting,
      ...(nothingTakesIt && { outcome: 'no_pattern' as const }),
    });
    await Promise.all(matching.map((p) => startThred(p, event, result, firstDelivery)));

    const offers = await Promise.allSettled(
      running
        .filter((id) => !result.thredIds.includes(id))
        .map((id) =>
          client.workflow
            .getHandle(id)
            .executeUpdate(offerUpdate, { args: [event], updateId: `offer:${event.id}` })
            .then((matched) => (matched ? id : undefined)),
        ),
    );
    for (const o of offers) {
      if (o.status === 'fulfilled' && o.value) {
        result.thredIds.push(o.value);
        await store.events.linkToThred(event.id, o.value);
      }
    }
    if (!nothingTakesIt && result.thredIds.length === 0 && result.refused.length === 0) {
      await store.events.markOutcome(event.id, 'no_pattern');
    }
    return result;
  }

  return {
    /** Stores and routes one event. Throws RouteError for 404/409; other errors mean a server is unavailable. */
    async route(event: ThredsEvent): Promise<RouteResult> {
      return event.thredId ? routeBound(event as ThredsEvent & { thredId: string }) : routeUnbound(event);
    },
    invalidatePatterns(): void {
      cache = undefined;
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
