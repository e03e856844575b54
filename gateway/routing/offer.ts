/** Offering an unbound event to a running thred whose current reaction allows unbound events (the `offer` update). */
import {
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { ThredsEvent } from '../../patterns';
import { offerUpdate } from '../../workflows/messages';
import { isWorkflowClosing } from '../temporal-connection';

/** A thred closing for continue-as-new refuses an offer for tens of milliseconds; then its next run takes it. */
const CLOSING_RETRY_MS = 50;

/**
 * Offers an unbound event to a running thred; true when it took it. A thred closing for continue-as-new is asked
 * once more, shortly (its next run takes the offer; the update id makes the second ask idempotent).
 */
export async function offer(client: Client, thredId: string, event: ThredsEvent): Promise<boolean> {
  const ask = () =>
    client.workflow.getHandle(thredId).executeUpdate(offerUpdate, { args: [event], updateId: `offer:${event.id}` });
  try {
    return await ask();
  } catch (err) {
    if (!isClosing(err)) throw err;
    await new Promise((r) => setTimeout(r, CLOSING_RETRY_MS));
    return ask();
  }
}

/** The refusal of a thred closing for continue-as-new, anywhere in the error's cause chain. */
function isClosing(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as { code?: unknown; details?: unknown; message?: unknown; cause?: unknown };
  if (
    typeof e.code === 'number' &&
    typeof e.details === 'string' &&
    isWorkflowClosing({ code: e.code, details: e.details })
  )
    return true;
  if (typeof e.message === 'string' && /workflow is closing|update (was|has been) aborted/i.test(e.message))
    return true;
  return isClosing(e.cause, depth + 1);
}

/**
 * Why an offer failed: `gone` (the thred ended; nothing to offer to), `failed` (its update handler refused), or
 * `unavailable` (Temporal did not answer: the event fails with 503 and the client retries it), else `error`.
 */
export function offerFailure(err: unknown): 'gone' | 'failed' | 'unavailable' | 'error' {
  if (err instanceof WorkflowNotFoundError) return 'gone';
  if (err instanceof WorkflowUpdateFailedError) return 'failed';
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || err instanceof ServiceError || isClosing(err))
    return 'unavailable';
  return 'error';
}
