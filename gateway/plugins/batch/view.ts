/** A batch as GET /threds/batch/:id shows it: from our record (gateway-run), or from Temporal's job (terminate). */
import type { Client } from '@temporalio/client';
import type { BatchRecord } from '../../../store/batches';
import type { BatchView } from './schemas';

/** temporal.api.enums.v1.BatchOperationState */
const TEMPORAL_STATE: Record<number, BatchRecord['state']> = { 1: 'running', 2: 'completed', 3: 'failed' };

export async function viewOf(client: Client, b: BatchRecord): Promise<BatchView> {
  const common = {
    batchId: b._id,
    op: b.op,
    query: b.query,
    runner: b.runner,
    createdBy: b.createdBy,
    createdAt: b.createdAt,
  };
  if (b.runner === 'gateway') {
    return {
      ...common,
      state: b.state,
      total: b.targets?.length ?? 0,
      done: b.done ?? 0,
      failed: b.failed ?? 0,
      errors: b.errors ?? [],
      ...(b.finishedAt !== undefined && { finishedAt: b.finishedAt }),
    };
  }
  const namespace = client.options.namespace;
  const d = await client.workflowService.describeBatchOperation({ namespace, jobId: b._id }).catch((err: unknown) => {
    // Just started: the job may not be visible for a moment.
    if ((err as { code?: number }).code === 5) return null;
    throw err;
  });
  if (!d) return { ...common, state: 'running', total: 0, done: 0, failed: 0, errors: [] };
  const closed = d.closeTime?.seconds;
  return {
    ...common,
    state: TEMPORAL_STATE[Number(d.state)] ?? 'running',
    total: Number(d.totalOperationCount ?? 0),
    done: Number(d.completeOperationCount ?? 0),
    failed: Number(d.failureOperationCount ?? 0),
    errors: [],
    ...(closed != null &&
      Number(closed) > 0 && { finishedAt: Number(closed) * 1000 + Math.floor((d.closeTime?.nanos ?? 0) / 1e6) }),
  };
}
