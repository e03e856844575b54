/**
 * The thred workflow's public surface, shared by the workflow and its callers (gateway, tests). Wire names are short
 * and frozen: histories persist them (SPEC §10).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AgentAddress, Message, Pattern, ThredState, ThredsEvent, Transition } from '../patterns/thred-machine';

export const THREDS_TASK_QUEUE = 'threds';
export const THRED_WORKFLOW_TYPE = 'thred';

/** An inbound event for this thred (bound, or an unbound event that started it). */
export const eventSignal = defineSignal<[ThredsEvent]>('event');
/** Several bound events for this thred, in arrival order (the gateway groups them while a signal is in flight). */
export const eventsSignal = defineSignal<[ThredsEvent[]]>('events');
/** End the thred (used by a parent for its children; admins use controlUpdate for an answer). */
export const terminateSignal = defineSignal<[string?]>('terminate');
/** The thred snapshot. */
export const stateQuery = defineQuery<ThredSnapshot>('state');
/** Offer an unbound event to a running thred whose reaction allows unbound events; answers whether it matched. */
export const offerUpdate = defineUpdate<boolean, [ThredsEvent]>('offer');
/** Admin operations (SPEC §8): end the thred, or force a transition. Answers the snapshot after the operation. */
export const controlUpdate = defineUpdate<ThredSnapshot, [ControlRequest]>('control');

/**
 * Call an agent again with a message whose retries ran out (POST /dead-letters/:id/retry). `message.id` is the retry's
 * deterministic id, de-duplicated like event ids; answers false (and calls nothing) for an id already seen.
 */
export const retryAgentUpdate = defineUpdate<boolean, [RetryAgentRequest]>('retryAgent');
export interface RetryAgentRequest {
  nodeType: string;
  message: Message;
}

export type ControlRequest = { op: 'terminate'; reason?: string } | { op: 'transition'; transition: Transition };

export interface EngineSettings {
  agents: AgentAddress[];
  groups: Record<string, string[]>;
  /** Continue-as-new after this many handled items (besides the server's suggestion and the history bounds). */
  eventBudget: number;
  /**
   * Items one workflow task applies before the thred records them and yields (so the task completes and new signals
   * get in); absent in inputs from before the bound: the workflow's default applies.
   */
  taskItems?: number;
  /** Continue-as-new once the run's history has this many events (Temporal warns at 10,240). */
  historyEvents?: number;
  /** Continue-as-new once the run's history is this large in bytes (Temporal warns at 10 MB). */
  historyBytes?: number;
  /** How many recent event ids a thred remembers for de-duplication (carried across continue-as-new). */
  seenLimit: number;
  /** Per-agent activity options, by nodeType. */
  agentOptions: Record<string, AgentCallOptions>;
}

export interface AgentCallOptions {
  /** The agent's task queue (its nodeType unless configured otherwise). */
  taskQueue: string;
  startToCloseMs: number;
  /** Long tasks heartbeat: a crashed agent is noticed after this, not after startToClose; cancellation reaches it. */
  heartbeatMs?: number;
  retry: { initialIntervalMs: number; backoffCoefficient: number; maximumIntervalMs: number; maximumAttempts: number };
}

export type QueueItem =
  // `reply`: an agent's reply, which no router stored, so the step that takes it stores it (carried across
  // continue-as-new with the item).
  | { kind: 'event'; event: ThredsEvent; offered?: boolean; reply?: boolean }
  | { kind: 'expire'; reaction: string; generation: number }
  | { kind: 'agent-failed'; nodeType: string; message: Message; error: string }
  | { kind: 'control'; id: string; request: ControlRequest };

export interface ThredInput {
  thredId: string;
  pattern: Pattern;
  settings: EngineSettings;
  /** Present for spawned threds. */
  spawn?: {
    parentThredId: string;
    spawnType: 'child' | 'sibling';
    locals?: Record<string, unknown>;
    participants?: string[];
    /** First input (spawn input forward/local): the parent's event, bound to this thred. */
    event?: ThredsEvent;
  };
  /** Present after continue-as-new: everything the previous run held in memory. */
  carried?: {
    state: ThredState;
    seen: string[];
    queue: QueueItem[];
    step: number;
    /** How many runs came before this one (continue-as-new count). */
    run: number;
    timer?: { reaction: string; generation: number; dueAt: number };
    /** The previous run marked the thred closing (workflows/closing.ts): this one clears the mark first. */
    closing?: boolean;
  };
}

export interface ThredSnapshot {
  thredId: string;
  patternId: string;
  /** The stored pattern version this thred runs (absent for an unstored or pre-version pattern). */
  patternVersion?: number;
  state: ThredState;
  queued: number;
  inFlightAgentCalls: number;
  step: number;
  /** 0 for the first run; +1 at every continue-as-new. */
  run: number;
  /** The current reaction takes unbound events (the router offers them to this thred). */
  acceptsUnbound: boolean;
}
