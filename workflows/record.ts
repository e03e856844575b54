/** A batch's bookkeeping (the thred log, outbound messages, the read model) and what the Temporal UI shows. */
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { hasInstanceLimits, type ThredState } from '../patterns/thred-machine';
import type { StepBatch, StepRecord, StepResult } from '../activities/engine';
import { engine, engineTasks } from './proxies';
import { ThredReaction, ThredStatus } from './search-attributes';
import type { ThredRun } from './thred-run';

/**
 * Records the steps in one local activity, or in a regular one when `endTask`: a local activity keeps the workflow
 * task open, the regular one ends it (see TaskWork).
 */
export function recordSteps(
  { thredId, pattern, patternId, queue }: Pick<ThredRun, 'thredId' | 'pattern' | 'patternId' | 'queue'>,
  steps: StepRecord[],
  endTask: boolean,
): Promise<StepResult> {
  const first = steps[0]!.step;
  const last = steps[steps.length - 1]!.step;
  const summary = first === last ? `record step ${first}` : `record steps ${first}–${last}`;
  const batch: StepBatch = {
    thredId,
    pattern: {
      id: patternId,
      ...(pattern.name !== undefined && { name: pattern.name }),
      ...(pattern.version !== undefined && { version: pattern.version }),
      limited: hasInstanceLimits(pattern),
    },
    steps,
    queued: queue.length,
  };
  return endTask
    ? engineTasks.recordSteps.executeWithOptions(
        { taskQueue: workflowInfo().taskQueue, startToCloseTimeout: '20s', summary: `${summary} (task bound)` },
        [batch],
      )
    : engine.recordSteps.executeWithOptions({ startToCloseTimeout: '20s', summary }, [batch]);
}

/** Keeps the Temporal UI current: search attributes change only when reaction or status do. */
export class Progress {
  private reaction: string | null | undefined;
  private status: string | undefined;

  show(state: ThredState): void {
    if (state.reaction === this.reaction && state.status === this.status) return;
    this.reaction = state.reaction;
    this.status = state.status;
    upsertSearchAttributes([
      { key: ThredReaction, value: state.reaction ?? '' },
      { key: ThredStatus, value: state.status },
    ]);
  }
}
