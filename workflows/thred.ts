/**
 * The thred workflow: one per thred (workflowId = thredId), interpreting its pattern snapshot durably.
 *
 * Reads top to bottom:
 *   1. state — restored from continue-as-new, or started fresh from the pattern;
 *   2. handlers — only de-duplicate by event id and enqueue (synchronous, so arrival order is kept);
 *   3. the loop — one item at a time through the pure interpreter, then its effects: bookkeeping in one local
 *      activity, agent calls as activities on the agent's task queue (their replies re-enter the queue), expiry as
 *      durable timers, spawns as child workflows;
 *   4. the end — children told to end, or continue-as-new carrying state, seen ids, queue and timer.
 */
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxySinks,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  ActivityFailure,
  ApplicationFailure,
  log,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  acceptsUnbound,
  addParticipants,
  agentFailure,
  expire,
  forceTransition,
  hasInstanceLimits,
  initialEffects,
  instanceLimits,
  react,
  start,
  terminateThred,
  type Ctx,
  type Effect,
  type Message,
  type Step,
  type ThredSpawnEffect,
  type ThredState,
  type ThredsEvent,
} from '../patterns/thred-machine';
import type { StepRecord } from '../activities/engine';
import {
  controlUpdate,
  retryAgentUpdate,
  eventSignal,
  eventsSignal,
  offerUpdate,
  stateQuery,
  terminateSignal,
  type QueueItem,
  type ThredInput,
  type ThredSnapshot,
} from './messages';
import { agents, engine, engineTasks, lookBacks } from './proxies';
import { ThredPattern, ThredReaction, ThredStatus } from './search-attributes';
import type { StepReport, ThredsSinks } from '../telemetry/sinks';
import { childTraceparent, stepSpanId, traceOf, withTrace } from '../telemetry/trace-context';

type Item = QueueItem;

/** Metrics and step spans, reported to the worker (sinks add no history events and are not called on replay). */
const { threds: telemetry } = proxySinks<ThredsSinks>();

export async function thred(input: ThredInput): Promise<ThredState> {
  const { pattern, thredId, settings } = input;
  const patternId = pattern.id ?? thredId; // stored patterns are normalized: id is always set
  const ctx = (): Ctx => ({ now: Date.now(), newId: uuid4, groups: settings.groups, agents: settings.agents });
  // Runs recorded before these bounds replay without them: per-task item bound (a regular activity that ends the task) and
  // continue-as-new by history length/size (and not with a queue too big to carry). Asked first, once per run, so
  // a run's whole command sequence follows one version.
  const bounded = patched(OVERLOAD_PATCH);
  const taskItems = Math.max(1, settings.taskItems ?? DEFAULT_TASK_ITEMS);

  // 1. State ------------------------------------------------------------------------------------------------------
  let state: ThredState =
    input.carried?.state ??
    start(pattern, thredId, ctx(), {
      ...(input.spawn && {
        parentThredId: input.spawn.parentThredId,
        spawnType: input.spawn.spawnType,
        ...(input.spawn.locals && { locals: input.spawn.locals }),
        ...(input.spawn.participants && { participants: input.spawn.participants }),
      }),
    });
  let step = input.carried?.step ?? 0;
  const run = input.carried ? input.carried.run + 1 : 0;
  const queue: Item[] = [...(input.carried?.queue ?? [])];
  const seen = new RecentIds(input.carried?.seen ?? [], settings.seenLimit);
  const offerResults = new Map<string, boolean>();
  const controlResults = new Map<string, ThredSnapshot>();
  const timers = new Map<string, { scope: CancellationScope; reaction: string; generation: number; dueAt: number }>();
  let agentCallsInFlight = 0;
  let handledThisRun = 0;
  // Work of the current workflow task: items applied and batches recorded since it started (or since the last yield).
  let taskWork = { items: 0, flushes: 0 };
  // A queue too large to carry in continue-as-new's input keeps draining; checked again after this many items.
  let carryCheckedAt = -Infinity;
  let carryFits = true;
  let shownReaction: string | null | undefined;
  let shownStatus: string | undefined;
  // What the router's index was last told about this thred: nothing yet for a new thred; unknown after
  // continue-as-new, so that run's first batch says.
  let unboundRecorded: boolean | undefined = input.carried ? undefined : false;
  // What the step being taken handles, for its report and trace (the event's traceparent becomes the step's parent).
  let cause: Pick<StepReport, 'cause' | 'eventId' | 'parent'> = { cause: 'start' };
  // Look-back (SPEC §15): the reaction entry (generation) last looked back for; a carried state's was, before
  // continue-as-new. Patterns without `lookBack` never read, so their command sequence is what it always was.
  let lookedBack = input.carried ? state.reactionGeneration : 0;

  const snapshot = (): ThredSnapshot => ({
    thredId,
    patternId,
    ...(pattern.version !== undefined && { patternVersion: pattern.version }),
    state,
    queued: queue.length,
    inFlightAgentCalls: agentCallsInFlight,
    step,
    run,
    acceptsUnbound: acceptingUnbound(),
  });

  // 2. Handlers ---------------------------------------------------------------------------------------------------
  setHandler(eventSignal, (event) => {
    if (seen.add(event.id)) queue.push({ kind: 'event', event });
  });
  setHandler(eventsSignal, (events) => {
    for (const event of events) if (seen.add(event.id)) queue.push({ kind: 'event', event });
  });
  setHandler(terminateSignal, (reason) => {
    queue.push({ kind: 'control', id: uuid4(), request: { op: 'terminate', ...(reason && { reason }) } });
  });
  setHandler(offerUpdate, async (event) => {
    if (!seen.add(event.id)) return false;
    queue.push({ kind: 'event', event, offered: true });
    await condition(() => offerResults.has(event.id));
    const matched = offerResults.get(event.id)!;
    offerResults.delete(event.id);
    return matched;
  });
  // A new update: no history before it has one, so replays are unchanged without patched().
  setHandler(retryAgentUpdate, ({ nodeType, message }) => {
    if (!seen.add(message.id)) return false;
    callAgent(nodeType, message);
    return true;
  });
  setHandler(controlUpdate, async (request) => {
    const id = uuid4();
    queue.push({ kind: 'control', id, request });
    await condition(() => controlResults.has(id));
    const result = controlResults.get(id)!;
    controlResults.delete(id);
    return result;
  });
  setHandler(stateQuery, snapshot);

  // 3. The loop ---------------------------------------------------------------------------------------------------
  // Items are decided one at a time, in order, but their bookkeeping is recorded per batch: everything queued when
  // the loop wakes goes through the interpreter, then ONE local activity records all the steps. A step that sends
  // messages ends its batch, because the next step may address the recipients it adds ($thred, broadcast, echo).
  const carriedTimer = input.carried?.timer;
  let batch: Batch = newBatch();
  if (carriedTimer) {
    startTimer(carriedTimer.reaction, carriedTimer.generation, Math.max(1, carriedTimer.dueAt - Date.now()));
  } else if (!input.carried) {
    if (input.spawn?.event) queue.unshift({ kind: 'event', event: input.spawn.event });
    collect({ state, effects: initialEffects(pattern, state), matched: false }); // recorded with the first batch
  }

  while (state.status !== 'terminated') {
    // Under sustained load the queue never empties: continue-as-new then carries it (signals are synchronous, so
    // the queue holds all accepted events; update callers are waited for, since their handlers cannot be carried).
    if (batch.records.length === 0) {
      const idle = queue.length === 0;
      await condition(() => queue.length > 0 || readyToContinueAsNew());
      if (idle) taskWork = { items: 0, flushes: 0 }; // what woke the loop came with a new workflow task
    }
    if (queue.length === 0 || readyToContinueAsNew()) {
      await flush();
      if (readyToContinueAsNew()) {
        // A signal handler counts as running until a few microtasks after it enqueued; an update arriving now
        // queues an item its caller waits for, which makes this run handle it first.
        await condition(() => allHandlersFinished() || !readyToContinueAsNew());
        if (readyToContinueAsNew()) break;
      }
      continue;
    }
    handle(queue.shift()!); // the interpreter is synchronous: no promise per step (the SDK traces each one)
    handledThisRun++;
    taskWork.items++;
    // A workflow task lasts until the workflow waits for something outside it; local activities keep it open. With
    // a queue that never empties under load, one task would apply everything (tens of seconds, then a timeout that
    // replays it all): after a bounded share, the batch is recorded by a regular activity instead, which ends the
    // task; its completion starts the next one, which also brings the signals that arrived meanwhile. (A 1 ms timer
    // would end the task too, but Temporal fires timers at ~1 s granularity.)
    const yieldNow =
      bounded && queue.length > 0 && (taskWork.items >= taskItems || taskWork.flushes >= MAX_TASK_FLUSHES - 1);
    if (batch.endsHere || batch.records.length >= MAX_BATCH || queue.length === 0 || yieldNow) await flush(yieldNow);
  }
  await flush();

  // 4. The end ----------------------------------------------------------------------------------------------------
  if (state.status !== 'terminated') {
    const timer = [...timers.values()][0];
    const info = workflowInfo();
    telemetry.continuedAsNew({
      patternId,
      reason: continueAsNewReason() ?? 'suggested',
      historyLength: info.historyLength,
      historySize: info.historySize,
      handled: handledThisRun,
      carried: queue.length,
    });
    await continueAsNew<typeof thred>({
      ...input,
      carried: {
        state,
        seen: seen.toArray(),
        queue,
        step,
        run,
        ...(timer && { timer: { reaction: timer.reaction, generation: timer.generation, dueAt: timer.dueAt } }),
      },
    });
  }
  // Children end with their parent (SPEC §4 spawn); siblings live on. A child that already ended is fine.
  await Promise.all(
    state.childThredIds.map((id) =>
      getExternalWorkflowHandle(id)
        .signal(terminateSignal, `parent ${thredId} ended`)
        .catch(() => undefined),
    ),
  );
  await condition(allHandlersFinished);
  return state;

  // --- helpers (hoisted) -----------------------------------------------------------------------------------------

  /**
   * Why this run should end: the server's suggestion, the handled-item budget, or (bounded runs) the history's
   * length or size — the bounds that matter, since a workflow task that times out replays the whole history.
   */
  function continueAsNewReason(): ContinueAsNewReason | undefined {
    const info = workflowInfo();
    if (info.continueAsNewSuggested) return 'suggested';
    if (handledThisRun >= settings.eventBudget) return 'budget';
    if (!bounded) return undefined;
    if (info.historyLength >= (settings.historyEvents ?? DEFAULT_HISTORY_EVENTS)) return 'history_length';
    if (info.historySize >= (settings.historyBytes ?? DEFAULT_HISTORY_BYTES)) return 'history_size';
    return undefined;
  }

  function readyToContinueAsNew(): boolean {
    if (agentCallsInFlight > 0) return false; // their replies must reach this run's queue
    if (continueAsNewReason() === undefined) return false;
    // Update callers (offers, admin controls) wait for their queued item's result: handled in this run. Plain
    // events are carried in the queue.
    if (queue.some((item) => item.kind === 'control' || (item.kind === 'event' && item.offered === true))) return false;
    return !bounded || queueFitsInInput();
  }

  /**
   * The carried queue is part of the next run's input, a payload Temporal refuses above 2 MB (the workflow task would
   * then fail for ever): a larger queue drains first. Measured again only every CARRY_RECHECK_ITEMS items.
   */
  function queueFitsInInput(): boolean {
    if (handledThisRun - carryCheckedAt >= CARRY_RECHECK_ITEMS) {
      carryCheckedAt = handledThisRun;
      carryFits = queue.length === 0 || JSON.stringify(queue).length <= MAX_CARRIED_BYTES;
    }
    return carryFits;
  }

  function handle(item: Item): void {
    const about = item.kind === 'event' ? item.event : item.kind === 'agent-failed' ? item.message.event : undefined;
    const parent = traceOf(about);
    cause = { cause: item.kind, ...(about && { eventId: about.id }), ...(parent && { parent }) };
    switch (item.kind) {
      case 'event': {
        if (item.offered && !acceptsUnbound(pattern, state, item.event, ctx())) {
          offerResults.set(item.event.id, false);
          return;
        }
        const result = react(pattern, state, item.event, ctx());
        if (item.offered) offerResults.set(item.event.id, result.matched);
        collect(result);
        if (item.reply) batch.records[batch.records.length - 1]!.inbound = [item.event];
        return;
      }
      case 'expire':
        collect(expire(pattern, state, { reaction: item.reaction, generation: item.generation }, ctx()));
        return;
      case 'agent-failed':
        collect(agentFailure(pattern, state, item.message, item.error, ctx()), [item]);
        return;
      case 'control': {
        const result =
          item.request.op === 'terminate'
            ? terminateThred(pattern, state, item.request.reason ?? 'terminated by request', ctx())
            : forceTransition(pattern, state, item.request.transition, ctx());
        collect(result);
        batch.controls.push(item.id); // answered after the batch is recorded
        batch.endsHere = true;
        return;
      }
      default: {
        const never: never = item;
        throw ApplicationFailure.nonRetryable(`unknown queue item ${JSON.stringify(never)}`);
      }
    }
  }

  /** Takes one step: the new state, its commands (timers, agent calls) at once, its bookkeeping into the batch. */
  function collect(result: Step, failed: Extract<QueueItem, { kind: 'agent-failed' }>[] = []): void {
    const from = cause.cause === 'start' ? null : state.reaction; // a start counts as a transition into it
    state = result.state;
    // Events this step emits carry its span as their parent, so the trace follows them to agents and people.
    const traceparent = cause.parent && childTraceparent(cause.parent, stepSpanId(thredId, step + 1));
    const rec: StepRecord = {
      ...(traceparent && { traceparent }),
      step: ++step,
      time: Date.now(),
      state,
      acceptsUnbound: acceptingUnbound(),
      logs: [],
      messages: [],
      errors: [],
      agentMessages: [],
      deadLetters: failed.map((f) => ({ message: f.message, nodeType: f.nodeType, error: f.error })),
    };
    for (const effect of result.effects) dispatch(traced(effect, traceparent), rec, batch.spawns);
    batch.records.push(rec);
    if (rec.messages.length > 0 || rec.errors.length > 0) batch.endsHere = true;
    if (lookBackDue() !== undefined) batch.endsHere = true; // the read comes before any next item
    telemetry.step({
      patternId,
      thredId,
      step: rec.step,
      ...cause,
      from,
      to: state.reaction,
      status: state.status,
      errorCodes: rec.errors.map((e) => e.code),
      queued: queue.length,
      time: rec.time,
      ...(traceparent && { traceparent }),
    });
  }

  /**
   * Records the batch in one local activity (a regular one when `endTask`: see the loop), then adds recipients, starts
   * spawns and answers control callers.
   */
  async function flush(endTask = false): Promise<void> {
    if (batch.records.length === 0) return;
    const done = batch;
    batch = newBatch();
    taskWork.flushes++;
    const first = done.records[0]!.step;
    const last = done.records[done.records.length - 1]!.step;
    const summary = first === last ? `record step ${first}` : `record steps ${first}–${last}`;
    const record = endTask
      ? (args: Parameters<typeof engine.recordSteps>) =>
          engineTasks.recordSteps.executeWithOptions(
            { taskQueue: workflowInfo().taskQueue, startToCloseTimeout: '20s', summary: `${summary} (task bound)` },
            args,
          )
      : (args: Parameters<typeof engine.recordSteps>) =>
          engine.recordSteps.executeWithOptions({ startToCloseTimeout: '20s', summary }, args);
    if (endTask) taskWork = { items: 0, flushes: 0 };
    const { recipients } = await record([
      {
        thredId,
        pattern: {
          id: patternId,
          ...(pattern.name !== undefined && { name: pattern.name }),
          ...(pattern.version !== undefined && { version: pattern.version }),
          limited: hasInstanceLimits(pattern),
        },
        steps: done.records,
        queued: queue.length,
        ...(unboundRecorded !== undefined && { unboundBefore: unboundRecorded }),
      },
    ]);
    unboundRecorded = done.records[done.records.length - 1]!.acceptsUnbound;
    if (recipients.length > 0) state = addParticipants(state, recipients);
    for (const spawn of done.spawns) await spawnThreds(spawn);
    for (const id of done.controls) controlResults.set(id, snapshot());
    showProgress();
    await lookBack();
  }

  /** The `lookBack.interval` of the reaction just entered, until its read was made; else undefined. */
  function lookBackDue(): number | undefined {
    if (state.status !== 'active' || state.reactionGeneration === lookedBack) return undefined;
    return pattern.reactions.find((r) => r.name === state.reaction)?.lookBack?.interval;
  }

  /**
   * Look-back (SPEC §15): after the entering step is recorded (so its recipients are participants and the thred log
   * is complete), the stored events of the window the thred has not handled go to the front of the queue, oldest
   * first. Queued ones keep their place; the read's answer is recorded, so replay offers the same events.
   */
  async function lookBack(): Promise<void> {
    const interval = lookBackDue();
    if (interval === undefined) return;
    lookedBack = state.reactionGeneration;
    const queued = new Set(queue.flatMap((item) => (item.kind === 'event' ? [item.event.id] : [])));
    const found = await lookBacks.lookBack.executeWithOptions(
      { startToCloseTimeout: '20s', summary: `look back ${interval} ms on entering ${state.reaction}` },
      [{ thredId, participants: state.participants, since: state.reactionEnteredAt - interval, exclude: [...queued] }],
    );
    // Items queued while the read ran are not offered twice either.
    for (const item of queue) if (item.kind === 'event') queued.add(item.event.id);
    const offered = found.filter((event) => !queued.has(event.id));
    for (const event of offered) seen.add(event.id); // a late signal of the same event is then a duplicate
    queue.unshift(...offered.map((event): Item => ({ kind: 'event', event })));
  }

  function dispatch(effect: Effect, rec: StepRecord, spawns: ThredSpawnEffect[]): void {
    switch (effect.type) {
      case 'message.send':
        rec.messages.push({
          message: effect.message,
          ...(effect.senderId !== undefined && { senderId: effect.senderId }),
        });
        return;
      case 'agent.call':
        rec.agentMessages.push(effect.message);
        callAgent(effect.nodeType, effect.message);
        return;
      case 'timer.start':
        startTimer(effect.reaction, effect.generation, effect.ms);
        return;
      case 'timer.cancel':
        timers.get(timerKey(effect.reaction, effect.generation))?.scope.cancel();
        timers.delete(timerKey(effect.reaction, effect.generation));
        return;
      case 'thred.log':
        rec.logs.push(effect);
        return;
      case 'thred.end':
        return; // the status is in the state; the loop ends on 'terminated'
      case 'thred.spawn':
        spawns.push(effect);
        return;
      case 'error':
        rec.errors.push(effect);
        return;
      default: {
        const never: never = effect;
        throw ApplicationFailure.nonRetryable(`unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  /** Agent work never blocks other events: the reply (or the failure) re-enters the queue when it arrives. */
  function callAgent(nodeType: string, message: Message): void {
    const opts = settings.agentOptions[nodeType];
    agentCallsInFlight++;
    agents.handleMessage
      .executeWithOptions(
        {
          taskQueue: opts?.taskQueue ?? nodeType,
          summary: `${nodeType}: ${message.event.data?.title ?? message.event.type} (${message.id})`,
          startToCloseTimeout: opts?.startToCloseMs ?? 30_000,
          ...(opts?.heartbeatMs && { heartbeatTimeout: opts.heartbeatMs }),
          retry: opts
            ? {
                initialInterval: opts.retry.initialIntervalMs,
                backoffCoefficient: opts.retry.backoffCoefficient,
                maximumInterval: opts.retry.maximumIntervalMs,
                maximumAttempts: opts.retry.maximumAttempts,
              }
            : { maximumAttempts: 5 },
        },
        [message],
      )
      .then(
        (reply) => {
          telemetry.agentCall(nodeType, reply ? 'reply' : 'no_reply');
          if (reply) {
            const event = normalizeReply(reply, nodeType, message);
            if (seen.add(event.id)) queue.push({ kind: 'event', event, reply: true });
          }
        },
        (err: unknown) => {
          telemetry.agentCall(nodeType, 'failed');
          const reason = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
          queue.push({ kind: 'agent-failed', nodeType, message, error: reason });
        },
      )
      .finally(() => agentCallsInFlight--);
  }

  /** SPEC §6: a reply has type = nodeType, re = request id, thredId = this thred (filled in where the agent left them out). */
  function normalizeReply(reply: ThredsEvent, nodeType: string, request: Message): ThredsEvent {
    return {
      ...reply,
      id: reply.id || uuid4(),
      type: reply.type || nodeType,
      re: reply.re ?? request.event.id,
      thredId,
      source: reply.source?.id ? reply.source : { id: nodeType },
      time: reply.time ?? Date.now(),
    };
  }

  function startTimer(reaction: string, generation: number, ms: number): void {
    const key = timerKey(reaction, generation);
    const scope = new CancellationScope();
    timers.set(key, { scope, reaction, generation, dueAt: Date.now() + ms });
    scope
      .run(() => sleep(ms, { summary: `expiry of reaction ${reaction}` }))
      .then(
        () => {
          timers.delete(key);
          queue.push({ kind: 'expire', reaction, generation });
        },
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      );
  }

  async function spawnThreds(effect: ThredSpawnEffect): Promise<void> {
    const patterns = await engine.loadPatterns.executeWithOptions(
      { startToCloseTimeout: '10s', summary: `load patterns ${effect.patternIds.join(', ')}` },
      [effect.patternIds],
    );
    for (const [i, childPattern] of patterns.entries()) {
      const childId = effect.thredIds[i]!;
      const childPatternId = effect.patternIds[i]!;
      if (!childPattern) {
        log.warn('spawn skipped: no such pattern', { thredId, patternId: effect.patternIds[i] });
        continue;
      }
      // Counted like a started thred; histories from before this check replay without it.
      if (hasInstanceLimits(childPattern) && patched('spawn-counts-instances')) {
        const admission = await engine.admitSpawn.executeWithOptions(
          { startToCloseTimeout: '10s', summary: `admit ${childId} (${childPatternId} limits)` },
          [
            {
              parentThredId: thredId,
              step,
              patternId: childPatternId,
              thredId: childId,
              limits: instanceLimits(childPattern),
            },
          ],
        );
        if (!admission.ok) {
          log.warn('spawn refused by instance limits', { thredId, childId, reason: admission.reason });
          state = { ...state, childThredIds: state.childThredIds.filter((id) => id !== childId) };
          continue;
        }
      }
      const event = effect.event ? { ...effect.event, thredId: childId } : undefined;
      // A duplicate id means the child was started before: nothing to do.
      await startChild(thred, {
        workflowId: childId,
        taskQueue: workflowInfo().taskQueue, // children run where their parent runs
        parentClosePolicy: ParentClosePolicy.ABANDON, // children are ended by signal, after the parent's last step
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: ThredPattern, value: childPatternId },
          { key: ThredStatus, value: 'active' },
        ],
        staticSummary: `Thred of pattern ${childPattern.name ?? childPatternId} (${effect.spawnType} of ${thredId})`,
        args: [
          {
            thredId: childId,
            pattern: childPattern,
            settings,
            spawn: {
              parentThredId: thredId,
              spawnType: effect.spawnType,
              ...(effect.locals && { locals: effect.locals }),
              ...(effect.participants && { participants: effect.participants }),
              ...(event && { event }),
            },
          },
        ],
      }).catch((err: unknown) => {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      });
    }
  }

  /** An active thred whose current reaction takes unbound events (the router's index lists it). */
  function acceptingUnbound(): boolean {
    return (
      state.status === 'active' && pattern.reactions.find((r) => r.name === state.reaction)?.allowUnboundEvents === true
    );
  }

  /** Keeps the Temporal UI current: search attributes change only when reaction or status do. */
  function showProgress(): void {
    if (state.reaction === shownReaction && state.status === shownStatus) return;
    shownReaction = state.reaction;
    shownStatus = state.status;
    upsertSearchAttributes([
      { key: ThredReaction, value: state.reaction ?? '' },
      { key: ThredStatus, value: state.status },
    ]);
  }
}

/** Most steps one local activity records; bounds its payload and the marker's size in history. */
const MAX_BATCH = 50;

/** The patch of bounded workflow tasks and history-aware continue-as-new (see the top of `thred`). */
const OVERLOAD_PATCH = 'bounded-tasks-history-can';
/**
 * Items one workflow task applies by default (EngineSettings.taskItems, THREDS_TASK_ITEMS). Measured on 2 busy cores
 * (README "Overload and backpressure"): tasks of a busy counter thred took p50 0.05–0.1 s, p90 0.3–0.5 s with it,
 * against ~1 s and growing with the queue without a bound.
 */
const DEFAULT_TASK_ITEMS = 100;
/** Recorded batches (local activities) one workflow task runs at most: steps that send each end a batch. */
const MAX_TASK_FLUSHES = 10;
/** Continue-as-new bounds when the settings carry none (well below Temporal's 10,240-event / 10 MB warnings). */
const DEFAULT_HISTORY_EVENTS = 3000;
const DEFAULT_HISTORY_BYTES = 3 * 1024 * 1024;
/** Largest queue (JSON) continue-as-new carries; Temporal refuses payloads above 2 MB. */
const MAX_CARRIED_BYTES = 1024 * 1024;
const CARRY_RECHECK_ITEMS = 50;

type ContinueAsNewReason = 'suggested' | 'budget' | 'history_length' | 'history_size';

interface Batch {
  records: StepRecord[];
  spawns: ThredSpawnEffect[];
  /** Update ids of control requests to answer once recorded. */
  controls: string[];
  /** A step added recipients (messages, errors): the next step must see them, so record now. */
  endsHere: boolean;
}

function newBatch(): Batch {
  return { records: [], spawns: [], controls: [], endsHere: false };
}

/** The effect with its outgoing event stamped with the step's traceparent (unchanged without one). */
function traced(effect: Effect, traceparent: string | undefined): Effect {
  if (!traceparent) return effect;
  switch (effect.type) {
    case 'message.send':
    case 'agent.call':
      return { ...effect, message: { ...effect.message, event: withTrace(effect.message.event, traceparent) } };
    case 'error':
      return { ...effect, event: withTrace(effect.event, traceparent) };
    default:
      return effect;
  }
}

function timerKey(reaction: string, generation: number): string {
  return `${reaction}#${generation}`;
}

/** Recent event ids, bounded so a long thred's memory and continue-as-new payload stay small. */
class RecentIds {
  private readonly set: Set<string>;
  private readonly order: string[];
  constructor(
    initial: string[],
    private readonly limit: number,
  ) {
    this.order = initial.slice(-limit);
    this.set = new Set(this.order);
  }
  /** Adds the id; false when it was already seen. */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    this.set.add(id);
    this.order.push(id);
    if (this.order.length > this.limit) this.set.delete(this.order.shift()!);
    return true;
  }
  toArray(): string[] {
    return [...this.order];
  }
}
