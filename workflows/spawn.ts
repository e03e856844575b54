/** Spawns (SPEC §4): each spawned thred is a child workflow of its own, started where its parent runs. */
import { ParentClosePolicy, WorkflowIdReusePolicy, log, patched, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { hasInstanceLimits, instanceLimits, type ThredSpawnEffect } from '../patterns/thred-machine';
import { THRED_WORKFLOW_TYPE } from './messages';
import { engine } from './proxies';
import { ThredPattern, ThredStatus } from './search-attributes';
import type { thred } from './thred';
import type { ThredRun } from './thred-run';

/** Starts the effect's threds; one its instance limits refuse is dropped from the parent's `childThredIds`. */
export async function spawnThreds(
  parent: Pick<ThredRun, 'thredId' | 'settings' | 'step' | 'state'>,
  effect: ThredSpawnEffect,
): Promise<void> {
  const { thredId, settings } = parent;
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
            step: parent.step,
            patternId: childPatternId,
            thredId: childId,
            limits: instanceLimits(childPattern),
          },
        ],
      );
      if (!admission.ok) {
        log.warn('spawn refused by instance limits', { thredId, childId, reason: admission.reason });
        parent.state = { ...parent.state, childThredIds: parent.state.childThredIds.filter((id) => id !== childId) };
        continue;
      }
    }
    const event = effect.event ? { ...effect.event, thredId: childId } : undefined;
    // A duplicate id means the child was started before: nothing to do.
    await startChild<typeof thred>(THRED_WORKFLOW_TYPE, {
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
