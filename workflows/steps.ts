/**
 * Steps: one queue item at a time through the pure interpreter, its commands (agent calls, timers) issued at once
 * and its bookkeeping gathered into the open batch, which the workflow records in one activity.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import {
  acceptsUnbound,
  agentFailure,
  expire,
  forceTransition,
  react,
  terminateThred,
  type Effect,
  type Step,
  type ThredSpawnEffect,
} from '../patterns/thred-machine';
import type { StepRecord } from '../activities/engine';
import type { StepReport } from '../telemetry/sinks';
import { childTraceparent, stepSpanId, traceOf, withTrace } from '../telemetry/trace-context';
import type { AgentCalls } from './agents';
import type { LookBack } from './look-back';
import type { QueueItem } from './messages';
import { telemetry } from './proxies';
import { acceptingUnbound, ctx, type ThredRun } from './thred-run';
import type { ExpiryTimers } from './timers';

/** Most steps one local activity records; bounds its payload and the marker's size in history. */
const MAX_BATCH = 50;

export interface Batch {
  records: StepRecord[];
  spawns: ThredSpawnEffect[];
  /** Update ids of control requests to answer once recorded. */
  controls: string[];
  /** A step added recipients (messages, errors): the next step must see them, so record now. */
  endsHere: boolean;
}

/** What the step being taken handles, for its report and trace (the event's traceparent becomes the step's parent). */
type Cause = Pick<StepReport, 'cause' | 'eventId' | 'parent'>;

type AgentFailed = Extract<QueueItem, { kind: 'agent-failed' }>;

export class Steps {
  private batch = newBatch();
  private cause: Cause = { cause: 'start' };

  constructor(
    private readonly run: ThredRun,
    /** Where an offered event's answer (matched or not) waits for its update caller. */
    private readonly offers: Map<string, boolean>,
    /** What issues a step's commands at once. */
    private readonly commands: { agents: AgentCalls; timers: ExpiryTimers },
    private readonly lookBack: LookBack,
  ) {}

  /** Steps taken and not yet recorded. */
  get taken(): number {
    return this.batch.records.length;
  }

  /** The open batch must be recorded before the next item is taken. */
  get full(): boolean {
    return this.batch.endsHere || this.batch.records.length >= MAX_BATCH;
  }

  /** Hands the open batch over for recording and opens a new one; undefined when it holds no step. */
  close(): Batch | undefined {
    if (this.batch.records.length === 0) return undefined;
    const done = this.batch;
    this.batch = newBatch();
    return done;
  }

  /** The item's step; an offered event the current reaction does not take only gets its answer. */
  take(item: QueueItem): void {
    const { pattern, settings } = this.run;
    const about = item.kind === 'event' ? item.event : item.kind === 'agent-failed' ? item.message.event : undefined;
    const parent = traceOf(about);
    this.cause = { cause: item.kind, ...(about && { eventId: about.id }), ...(parent && { parent }) };
    switch (item.kind) {
      case 'event': {
        if (item.offered && !acceptsUnbound(pattern, this.run.state, item.event, ctx(settings))) {
          this.offers.set(item.event.id, false);
          return;
        }
        const result = react(pattern, this.run.state, item.event, ctx(settings));
        if (item.offered) this.offers.set(item.event.id, result.matched);
        this.collect(result);
        if (item.reply) this.batch.records[this.batch.records.length - 1]!.inbound = [item.event];
        return;
      }
      case 'expire':
        this.collect(
          expire(pattern, this.run.state, { reaction: item.reaction, generation: item.generation }, ctx(settings)),
        );
        return;
      case 'agent-failed':
        this.collect(agentFailure(pattern, this.run.state, item.message, item.error, ctx(settings)), [item]);
        return;
      case 'control': {
        const result =
          item.request.op === 'terminate'
            ? terminateThred(pattern, this.run.state, item.request.reason ?? 'terminated by request', ctx(settings))
            : forceTransition(pattern, this.run.state, item.request.transition, ctx(settings));
        this.collect(result);
        this.batch.controls.push(item.id); // answered after the batch is recorded
        this.batch.endsHere = true;
        return;
      }
      default: {
        const never: never = item;
        throw ApplicationFailure.nonRetryable(`unknown queue item ${JSON.stringify(never)}`);
      }
    }
  }

  /** Takes one step: the new state, its commands (timers, agent calls) at once, its bookkeeping into the batch. */
  collect(result: Step, failed: AgentFailed[] = []): void {
    const { run, cause, batch } = this;
    const from = cause.cause === 'start' ? null : run.state.reaction; // a start counts as a transition into it
    run.state = result.state;
    // Events this step emits carry its span as their parent, so the trace follows them to agents and people.
    const traceparent = cause.parent && childTraceparent(cause.parent, stepSpanId(run.thredId, run.step + 1));
    const rec: StepRecord = {
      ...(traceparent && { traceparent }),
      step: ++run.step,
      time: Date.now(),
      state: run.state,
      acceptsUnbound: acceptingUnbound(run),
      logs: [],
      messages: [],
      errors: [],
      agentMessages: [],
      deadLetters: failed.map((f) => ({ message: f.message, nodeType: f.nodeType, error: f.error })),
    };
    for (const effect of result.effects) this.dispatch(traced(effect, traceparent), rec, batch.spawns);
    batch.records.push(rec);
    if (rec.messages.length > 0 || rec.errors.length > 0) batch.endsHere = true;
    if (this.lookBack.due(run.state) !== undefined) batch.endsHere = true; // the read comes before any next item
    telemetry.step({
      patternId: run.patternId,
      thredId: run.thredId,
      step: rec.step,
      ...cause,
      from,
      to: run.state.reaction,
      status: run.state.status,
      errorCodes: rec.errors.map((e) => e.code),
      queued: run.queue.length,
      time: rec.time,
      ...(traceparent && { traceparent }),
    });
  }

  private dispatch(effect: Effect, rec: StepRecord, spawns: ThredSpawnEffect[]): void {
    switch (effect.type) {
      case 'message.send':
        rec.messages.push({
          message: effect.message,
          ...(effect.senderId !== undefined && { senderId: effect.senderId }),
        });
        return;
      case 'agent.call':
        rec.agentMessages.push(effect.message);
        this.commands.agents.call(effect.nodeType, effect.message);
        return;
      case 'timer.start':
        this.commands.timers.start(effect.reaction, effect.generation, effect.ms);
        return;
      case 'timer.cancel':
        this.commands.timers.cancel(effect.reaction, effect.generation);
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
