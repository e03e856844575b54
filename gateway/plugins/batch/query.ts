/** The visibility query a batch selects its threds by, and the 400s of a selection the client got wrong. */
import type { Client } from '@temporalio/client';
import { THRED_WORKFLOW_TYPE } from '../../../workflows/messages';
import { fail } from '../../errors';
import type { BatchBody } from './schemas';

/** A Keyword value in a visibility query. */
const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The visibility query of a selection: always thred workflows; only running ones for ops that need a live thred. */
export function visibilityQuery(body: Pick<BatchBody, 'query' | 'filter' | 'op'>): string {
  const parts = [`WorkflowType=${quote(THRED_WORKFLOW_TYPE)}`];
  // A continued-as-new run is listed next to the current one under the same id; reset acts on the current run.
  parts.push(body.op === 'reset' ? `ExecutionStatus!='ContinuedAsNew'` : `ExecutionStatus='Running'`);
  const f = body.filter;
  if (f?.pattern !== undefined) parts.push(`ThredPattern=${quote(f.pattern)}`);
  if (f?.status !== undefined) parts.push(`ThredStatus=${quote(f.status)}`);
  if (f?.reaction !== undefined) parts.push(`ThredReaction=${quote(f.reaction)}`);
  if (body.query !== undefined) parts.push(`(${body.query})`);
  return parts.join(' AND ');
}

/**
 * Whether every parenthesis of a client's query closes inside it (quotes skipped): the query is wrapped as `(…)`
 * after the thred-only clauses, so `a='1') OR (b='2'` would otherwise escape them and select other workflows.
 */
export function parenthesesBalanced(query: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0 && quote === undefined;
}

/** 400 VALIDATION naming the body field at `path`. */
export const invalidBody = (path: string, reason: string) =>
  fail('VALIDATION', `invalid body: ${path} ${reason}`, [{ path, reason }]);

/** gRPC INVALID_ARGUMENT from the visibility store: the client's query does not parse. */
export function queryError(err: unknown): never {
  // The client's list/count wrap the gRPC error (ServiceError with the status as its cause).
  const e = err as { code?: number; details?: string; message?: string; cause?: { code?: number; details?: string } };
  if (e.code === 3 || e.cause?.code === 3) {
    const why = e.details ?? e.cause?.details ?? e.message ?? 'rejected';
    throw invalidBody('/query', `is not a valid visibility query: ${why}`);
  }
  throw err;
}

/** The ids of the threds `query` selects, at most `limit` + 1 (so a caller can tell the selection is too large). */
export async function targetsOf(client: Client, query: string, limit: number): Promise<string[]> {
  const ids = new Set<string>();
  try {
    for await (const wf of client.workflow.list({ query })) {
      ids.add(wf.workflowId);
      if (ids.size > limit) break;
    }
  } catch (err) {
    queryError(err);
  }
  return [...ids];
}
