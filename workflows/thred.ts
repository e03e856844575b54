/**
 * The thred workflow: one per thred (workflowId = thredId), interpreting its pattern snapshot durably.
 *
 * Reads top to bottom:
 *   1. state — restored from continue-as-new, or started fresh from the pattern;
 *   2. handlers — only de-duplicate by event id and enqueue (synchronous, so arrival order is kept);
 *   3. the loop — one item at a time through the pure interpreter (steps.ts), then its effects: bookkeeping in one
 *      local activity (record.ts), agent calls as activities on the agent's task queue whose replies re-enter the
 *      queue (agents.ts), expiry as durable timers (timers.ts), spawns as child workflows (spawn.ts);
 *   4. the end — children told to end, or continue-as-new carrying state, seen ids, queue and timer.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { addParticipants, initialEffects, type ThredState } from '../patterns/thred-machine';
import { AgentCalls } from './agents';
import { OVERLOAD_PATCH, RunBounds, TaskWork } from './bounds';
import { Closing } from './closing';
import { LookBack } from './look-back';
import {
  controlUpdate,
  retryAgentUpdate,
  eventSignal,
  eventsSignal,
  offerUpdate,
  stateQuery,
  terminateSignal,
  type ThredInput,
  type ThredSnapshot,
} from './messages';
import { telemetry } from './proxies';
import { Progress, recordSteps } from './record';
import { spawnThreds } from './spawn';
import { Steps } from './steps';
import { snapshotOf, startRun } from './thred-run';
import { ExpiryTimers } from './timers';
import { validateControl, validateOffer } from './validators';

export async function thred(input: ThredInput): Promise<ThredState> {
  // Asked before anything else, once per run, so the run's whole command sequence follows one version.
  const bounded = patched(OVERLOAD_PATCH);

  // 1. State ------------------------------------------------------------------------------------------------------
  const run = startRun(input);
  const { thredId, pattern, patternId, settings, queue, seen } = run;
  // Answers for the update callers, each waiting for its queued item to be taken (and, for controls, recorded).
  const offerResults = new Map<string, boolean>();
  const controlResults = new Map<string, ThredSnapshot>();
  const agents = new AgentCalls(thredId, settings, { queue, seen });
  const timers = new ExpiryTimers(queue);
  const lookBack = new LookBack(pattern, input.carried?.state);
  const steps = new Steps(run, offerResults, { agents, timers }, lookBack);
  const work = new TaskWork(bounded, settings.taskItems);
  const bounds = new RunBounds(settings, bounded);
  const closing = new Closing(thredId);
  const progress = new Progress();
  const readyToContinueAsNew = () => bounds.ready(queue, agents.inFlight);
  const snapshot = () => snapshotOf(run, agents.inFlight);

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
  setHandler(
    offerUpdate,
    async (event) => {
      if (!seen.add(event.id)) return false;
      queue.push({ kind: 'event', event, offered: true });
      await condition(() => offerResults.has(event.id));
      const matched = offerResults.get(event.id)!;
      offerResults.delete(event.id);
      return matched;
    },
    { validator: validateOffer },
  );
  // A new update: no history before it has one, so replays are unchanged without patched().
  setHandler(retryAgentUpdate, ({ nodeType, message }) => {
    if (!seen.add(message.id)) return false;
    agents.call(nodeType, message);
    return true;
  });
  setHandler(
    controlUpdate,
    async (request) => {
      const id = uuid4();
      queue.push({ kind: 'control', id, request });
      await condition(() => controlResults.has(id));
      const result = controlResults.get(id)!;
      controlResults.delete(id);
      return result;
    },
    { validator: validateControl },
  );
  setHandler(stateQuery, snapshot);

  // 3. The loop ---------------------------------------------------------------------------------------------------
  // Items are decided one at a time, in order, but their bookkeeping is recorded per batch: everything queued when
  // the loop wakes goes through the interpreter, then ONE local activity records all the steps. A step that sends
  // messages ends its batch, because the next step may address the recipients it adds ($thred, broadcast, echo).
  await closing.opened(input.carried?.closing);
  if (input.carried?.timer) {
    timers.resume(input.carried.timer);
  } else if (!input.carried) {
    if (input.spawn?.event) queue.unshift({ kind: 'event', event: input.spawn.event });
    // The start's effects are a step of their own, recorded with the first batch.
    steps.collect({ state: run.state, effects: initialEffects(pattern, run.state), matched: false });
  }

  while (run.state.status !== 'terminated') {
    // Under sustained load the queue never empties: continue-as-new then carries it (signals are synchronous, so
    // the queue holds all accepted events; update callers are waited for, since their handlers cannot be carried).
    if (steps.taken === 0) {
      const idle = queue.length === 0;
      await condition(() => queue.length > 0 || readyToContinueAsNew());
      if (idle) work.newTask(); // what woke the loop came with a new workflow task
    }
    if (queue.length === 0 || readyToContinueAsNew()) {
      await flush();
      if (readyToContinueAsNew()) {
        // A signal handler counts as running until a few microtasks after it enqueued; an update arriving now
        // queues an item its caller waits for, which makes this run handle it first.
        await condition(() => allHandlersFinished() || !readyToContinueAsNew());
        if (readyToContinueAsNew() && (await closing.mayContinue())) break;
      }
      continue;
    }
    steps.take(queue.shift()!); // the interpreter is synchronous: no promise per step (the SDK traces each one)
    bounds.handled++;
    work.applied();
    const yieldNow = work.mustYield(queue.length); // past the task's share, the batch ends the task (TaskWork)
    if (steps.full || queue.length === 0 || yieldNow) await flush(yieldNow);
  }
  await flush();

  // 4. The end ----------------------------------------------------------------------------------------------------
  if (run.state.status !== 'terminated') {
    const timer = timers.toCarry();
    const info = workflowInfo();
    telemetry.continuedAsNew({
      patternId,
      reason: bounds.reason() ?? 'suggested',
      historyLength: info.historyLength,
      historySize: info.historySize,
      handled: bounds.handled,
      carried: queue.length,
    });
    await continueAsNew<typeof thred>({
      ...input,
      carried: {
        state: run.state,
        seen: seen.toArray(),
        queue,
        step: run.step,
        run: run.number,
        ...(timer && { timer }),
        ...(closing.closed && { closing: true }),
      },
    });
  }
  // Children end with their parent (SPEC §4 spawn); siblings live on. A child that already ended is fine.
  await Promise.all(
    run.state.childThredIds.map((id) =>
      getExternalWorkflowHandle(id)
        .signal(terminateSignal, `parent ${thredId} ended`)
        .catch(() => undefined),
    ),
  );
  await condition(allHandlersFinished);
  return run.state;

  /**
   * Records the open batch (by the activity that ends the workflow task when `endTask`: see TaskWork), then adds
   * recipients, starts spawns, answers control callers and makes a look-back read the step asked for.
   */
  async function flush(endTask = false): Promise<void> {
    const done = steps.close();
    if (!done) return;
    work.recording(endTask);
    const { recipients } = await recordSteps(run, done.records, endTask);
    if (recipients.length > 0) run.state = addParticipants(run.state, recipients);
    for (const spawn of done.spawns) await spawnThreds(run, spawn);
    for (const id of done.controls) controlResults.set(id, snapshot());
    progress.show(run.state);
    await lookBack.read(run);
  }
}
