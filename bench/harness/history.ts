/** The histories of a workflow's runs, in order, following continue-as-new from its first run. */
import type { Client } from '@temporalio/client';

/** `firstRunId` if known; otherwise the latest run's history names it. */
export async function* runHistories(client: Client, workflowId: string, firstRunId?: string) {
  let runId: string | null | undefined = firstRunId;
  if (!runId) {
    const latest = await client.workflow.getHandle(workflowId).fetchHistory();
    runId = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId;
  }
  while (runId) {
    const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    yield events;
  }
}
