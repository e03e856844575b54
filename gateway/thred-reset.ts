/**
 * Temporal reset of one thred (SPEC §8 `POST /threds/:id/reset`), shared by the single-thred route and batch resets
 * (gateway/plugins/batch.ts): a batch must rewind the read model exactly like the single route, which Temporal's own
 * batch reset cannot do.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Store } from '../store';
import { stateQuery } from '../workflows/messages';
import { fail } from './errors';
import type { ResetBody } from './schemas';

/** temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED (fetchHistory decodes enums as numbers). */
const WORKFLOW_TASK_COMPLETED = 7;
/** temporal.api.enums.v1.ResetReapplyExcludeType */
const REAPPLY_EXCLUDE = { signals: 1, updates: 2 } as const;

export interface ResetResult {
  thredId: string;
  runId: string;
  resetEventId: number;
}

export async function resetThred(
  deps: { client: Client; store: Store },
  thredId: string,
  body: ResetBody & { reason: string },
): Promise<ResetResult> {
  const { client, store } = deps;
  const { to } = body;
  let completed: number[];
  try {
    const history = await client.workflow.getHandle(thredId).fetchHistory();
    completed = (history.events ?? [])
      .filter(
        (e) =>
          Number(e.eventType) === WORKFLOW_TASK_COMPLETED || String(e.eventType).endsWith('WORKFLOW_TASK_COMPLETED'),
      )
      .map((e) => Number(e.eventId));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) {
      throw fail('THRED_NOT_FOUND', `thred ${thredId} does not exist`);
    }
    throw err;
  }
  const target = to === 'last-workflow-task' ? completed.at(-1) : to === 'first-workflow-task' ? completed[0] : to;
  if (target === undefined || !completed.includes(target)) {
    const reason =
      completed.length === 0
        ? 'the current run has no completed workflow task'
        : `must be one of the WORKFLOW_TASK_COMPLETED event ids ${completed.join(', ')}`;
    throw fail('RESET_TARGET', `cannot reset ${thredId} to ${String(to)}: ${reason}`, [{ path: '/to', reason }]);
  }
  const res = await client.workflowService.resetWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId: thredId },
    reason: body.reason,
    // int64 field: protobufjs encodes a plain number (the generated type says Long).
    workflowTaskFinishEventId: target as never,
    requestId: randomUUID(),
    resetReapplyExcludeTypes: (body.reapplyExclude ?? []).map((t) => REAPPLY_EXCLUDE[t]),
  });
  // The reset run counts steps from the reset point: rewind the read model to what that run holds now, so the
  // router accepts its events again and its next snapshot wins.
  const reset = await client.workflow.getHandle(thredId, res.runId ?? undefined).query(stateQuery);
  await store.threds.rewind(thredId, {
    status: reset.state.status,
    reaction: reset.state.reaction,
    acceptsUnbound: reset.acceptsUnbound,
  });
  return { thredId, runId: res.runId ?? '', resetEventId: target };
}
