/**
 * What the thred workflow reports to its worker process (Temporal sinks: not called during replay, no history
 * events). The worker turns these into Prometheus samples and the workflow's step spans (telemetry/worker.ts).
 * Types only here: the workflow bundle imports nothing with I/O.
 */
import type { Sinks } from '@temporalio/workflow';

export interface StepReport {
  patternId: string;
  thredId: string;
  step: number;
  /** What the step handled: an event, an expiry, an agent failure, a control request, or the thred's start. */
  cause: 'event' | 'expire' | 'agent-failed' | 'control' | 'start';
  eventId?: string;
  from: string | null;
  to: string | null;
  status: string;
  /** SPEC §7 codes of the error events the step emitted. */
  errorCodes: number[];
  /** Items waiting in the thred's queue after this step (summarised into a histogram, never labelled by thred). */
  queued: number;
  /** Workflow time of the step (ms). */
  time: number;
  /** The handled event's traceparent and this step's own (its span id derives from thred id and step). */
  parent?: string;
  traceparent?: string;
}

/** A run ending by continue-as-new: why, and how long its history had grown. */
export interface ContinueAsNewReport {
  patternId: string;
  reason: 'suggested' | 'budget' | 'history_length' | 'history_size';
  historyLength: number;
  historySize: number;
  /** Items the run handled, and items its queue carries into the next run. */
  handled: number;
  carried: number;
}

export interface ThredsSinks extends Sinks {
  threds: {
    step(report: StepReport): void;
    continuedAsNew(report: ContinueAsNewReport): void;
    /** The thred's view of one agent call: `reply`, `no_reply` or `failed` (retries exhausted or non-retryable). */
    agentCall(nodeType: string, outcome: 'reply' | 'no_reply' | 'failed'): void;
  };
}
