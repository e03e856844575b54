/**
 * How long a workflow task and a run may grow under load. Runs recorded before these bounds replay without them:
 * the per-task item bound (a regular activity that ends the task) and continue-as-new by history length/size (and
 * not with a queue too big to carry) are behind one patch, asked once per run at its start, so a run's whole command
 * sequence follows one version.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { EngineSettings, QueueItem } from './messages';

export const OVERLOAD_PATCH = 'bounded-tasks-history-can';

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

export type ContinueAsNewReason = 'suggested' | 'budget' | 'history_length' | 'history_size';

/**
 * Work of the current workflow task: items applied and batches recorded since it started (or since the last yield).
 * A workflow task lasts until the workflow waits for something outside it; local activities keep it open. With a
 * queue that never empties under load, one task would apply everything (tens of seconds, then a timeout that replays
 * it all): after a bounded share, the batch is recorded by a regular activity instead, which ends the task; its
 * completion starts the next one, which also brings the signals that arrived meanwhile. (A 1 ms timer would end the
 * task too, but Temporal fires timers at ~1 s granularity.)
 */
export class TaskWork {
  private items = 0;
  private flushes = 0;
  private readonly itemLimit: number;

  constructor(
    private readonly bounded: boolean,
    taskItems: number | undefined,
  ) {
    this.itemLimit = Math.max(1, taskItems ?? DEFAULT_TASK_ITEMS);
  }

  newTask(): void {
    this.items = 0;
    this.flushes = 0;
  }

  applied(): void {
    this.items++;
  }

  /** A batch is being recorded; one that ends the task leaves the next task's count at zero. */
  recording(endsTask: boolean): void {
    this.flushes++;
    if (endsTask) this.newTask();
  }

  /** Whether the batch being taken is recorded now by the activity that ends the task. */
  mustYield(queued: number): boolean {
    return this.bounded && queued > 0 && (this.items >= this.itemLimit || this.flushes >= MAX_TASK_FLUSHES - 1);
  }
}

/** When this run should continue as new, counting the items it handled. */
export class RunBounds {
  handled = 0;
  // A queue too large to carry in continue-as-new's input keeps draining; checked again after this many items.
  private carryCheckedAt = -Infinity;
  private carryFits = true;

  constructor(
    private readonly settings: EngineSettings,
    private readonly bounded: boolean,
  ) {}

  /**
   * Why this run should end: the server's suggestion, the handled-item budget, or (bounded runs) the history's
   * length or size — the bounds that matter, since a workflow task that times out replays the whole history.
   */
  reason(): ContinueAsNewReason | undefined {
    const info = workflowInfo();
    if (info.continueAsNewSuggested) return 'suggested';
    if (this.handled >= this.settings.eventBudget) return 'budget';
    if (!this.bounded) return undefined;
    if (info.historyLength >= (this.settings.historyEvents ?? DEFAULT_HISTORY_EVENTS)) return 'history_length';
    if (info.historySize >= (this.settings.historyBytes ?? DEFAULT_HISTORY_BYTES)) return 'history_size';
    return undefined;
  }

  ready(queue: QueueItem[], agentCallsInFlight: number): boolean {
    if (agentCallsInFlight > 0) return false; // their replies must reach this run's queue
    if (this.reason() === undefined) return false;
    // Update callers (offers, admin controls) wait for their queued item's result: handled in this run. Plain
    // events are carried in the queue.
    if (queue.some((item) => item.kind === 'control' || (item.kind === 'event' && item.offered === true))) return false;
    return !this.bounded || this.queueFitsInInput(queue);
  }

  /**
   * The carried queue is part of the next run's input, a payload Temporal refuses above 2 MB (the workflow task would
   * then fail for ever): a larger queue drains first. Measured again only every CARRY_RECHECK_ITEMS items.
   */
  private queueFitsInInput(queue: QueueItem[]): boolean {
    if (this.handled - this.carryCheckedAt >= CARRY_RECHECK_ITEMS) {
      this.carryCheckedAt = this.handled;
      this.carryFits = queue.length === 0 || JSON.stringify(queue).length <= MAX_CARRIED_BYTES;
    }
    return this.carryFits;
  }
}
