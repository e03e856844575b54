/**
 * Starting a thred for an unbound event: admitted under the pattern's maxInstances/instanceInterval, then
 * signal-with-start of workflow `<patternId>_<eventId>` carrying the pattern snapshot, so a duplicate event cannot
 * start a second thred.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { hasInstanceLimits, instanceLimits, type Pattern, type ThredsEvent } from '../../patterns';
import { ErrorCodes } from '../../patterns/effects';
import { THRED_WORKFLOW_TYPE, eventSignal, type ThredInput } from '../../workflows/messages';
import { ThredPattern, ThredReaction, ThredStatus } from '../../workflows/search-attributes';
import type { RouteResult, RoutingContext } from './context';

/**
 * `firstDelivery`: the event store had not seen this id. Signal-with-start cannot say whether it created the
 * workflow (Temporal refuses conflict policy FAIL for it), so a re-sent event is reported in `thredIds`, not `started`.
 * The stored event already names the thred of an unlimited pattern (written ahead, undone if the start fails).
 * Resolves true when the thred has the event (started with it, or signalled, or it ended after taking it).
 */
export async function startThred(
  rc: RoutingContext,
  pattern: Pattern & { id: string },
  event: ThredsEvent,
  result: RouteResult,
  firstDelivery: boolean,
): Promise<boolean> {
  const { client, store, settings, taskQueue, now } = rc;
  const thredId = `${pattern.id}_${event.id}`;
  const limits = instanceLimits(pattern);
  // Unlimited patterns (the common case) skip the slot bookkeeping: two round trips less per start.
  const limited = hasInstanceLimits(pattern);
  const admission = limited
    ? await store.instances.admit(pattern.id, thredId, limits, now())
    : ({ ok: true, already: false } as const);
  if (!admission.ok) {
    result.refused.push({ patternId: pattern.id, code: ErrorCodes.PATTERN_LIMIT, reason: admission.reason });
    await store.thredLog.append([
      {
        _id: `${thredId}:refused`,
        thredId,
        seq: 0,
        kind: 'refused',
        from: null,
        to: null,
        eventId: event.id,
        detail: admission.reason,
        time: now(),
      },
    ]);
    return false;
  }
  const input: ThredInput = { thredId, pattern, settings };
  try {
    await client.workflow.signalWithStart(THRED_WORKFLOW_TYPE, {
      workflowId: thredId,
      taskQueue,
      args: [input],
      signal: eventSignal,
      signalArgs: [{ ...event, thredId }],
      // An event re-sent after its thred ended must not start it again (while it runs, signal-with-start only
      // signals it, and the thred drops the duplicate id).
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: ThredPattern, value: pattern.id },
        { key: ThredReaction, value: pattern.reactions[0]?.name ?? '' },
        { key: ThredStatus, value: 'active' },
      ],
      memo: { pattern: pattern.name ?? pattern.id, startedBy: event.id, source: event.source.id },
      staticSummary: `Thred of pattern ${pattern.name ?? pattern.id}, started by ${event.type} from ${event.source.id}`,
    });
  } catch (err) {
    if (limited && !admission.already) await store.instances.release(thredId);
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      result.thredIds.push(thredId); // the duplicate of an event its thred already handled
      if (limited) await store.events.linkToThred(event.id, thredId);
      return true;
    }
    if (!limited && firstDelivery) await store.events.unlinkFromThred(event.id, thredId);
    throw err;
  }
  if (limited) await store.events.linkToThred(event.id, thredId);
  result.thredIds.push(thredId);
  if (!admission.already && firstDelivery) result.started.push(thredId);
  return true;
}
