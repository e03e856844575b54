/**
 * Telemetry of agent workers: an activity interceptor around `handleMessage` counts each attempt by outcome
 * (threds_agent_calls_total), times it, and spans it under the step that asked (the request event's traceparent);
 * the reply carries the agent's span as its traceparent, so the thred's next step continues the same trace.
 */
import type { Info } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Message, ThredsEvent } from '../patterns';
import { processMetrics, type ThredsMetrics } from './metrics';
import { AGENT_ACTIVITY_NAME } from '../activities/agent-contract';
import { traceOf, withTrace } from './trace-context';
import { SpanKind, endSpan, startSpan, traceparentOf, withSpan } from './tracing';

export type AgentOutcome = 'ok' | 'no_reply' | 'error_reply' | 'retry' | 'failed' | 'cancelled';

function outcomeOf(reply: unknown): AgentOutcome {
  if (!reply) return 'no_reply';
  return (reply as ThredsEvent).data?.content?.error ? 'error_reply' : 'ok';
}

/**
 * Whether Temporal gives up on the call after this failed attempt: a non-retryable failure, or the last attempt the
 * retry policy allows. Such an attempt is the call's final outcome (the worker dead-letters it), not one more retry.
 * Agent calls set no schedule-to-close timeout, so the attempt count is the only budget to run out.
 */
function finalAttempt(info: Info, err: unknown): boolean {
  if (err instanceof ApplicationFailure) {
    if (err.nonRetryable) return true;
    if (err.type && info.retryPolicy?.nonRetryableErrorTypes?.includes(err.type)) return true;
  }
  const max = info.retryPolicy?.maximumAttempts;
  return max !== undefined && max > 0 && info.attempt >= max;
}

export function agentTelemetry(
  nodeType: string,
  metrics: ThredsMetrics = processMetrics(),
): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        if (ctx.info.activityType !== AGENT_ACTIVITY_NAME) return next(input);
        const message = input.args[0] as Message | undefined;
        const parent = traceOf(message?.event);
        const span = startSpan(`agent ${nodeType}`, {
          parent,
          kind: SpanKind.CONSUMER,
          attributes: {
            'threds.node_type': nodeType,
            'threds.attempt': ctx.info.attempt,
            ...(message?.id && { 'threds.message_id': message.id }),
            ...(message?.event?.id && { 'threds.event_id': message.event.id }),
            ...(message?.event?.thredId && { 'threds.thred_id': message.event.thredId }),
          },
        });
        const stop = metrics.agentSeconds.startTimer({ node_type: nodeType });
        try {
          const reply = await withSpan(span, () => next(input));
          const outcome = outcomeOf(reply);
          metrics.agentCalls.inc({ node_type: nodeType, outcome });
          span?.setAttribute('threds.outcome', outcome);
          endSpan(span);
          // Without tracing the request's trace id still travels on (a sensor's traceparent reaches the messages).
          const carried = span ? traceparentOf(span) : parent;
          return reply && carried && !traceOf(reply) ? withTrace(reply as ThredsEvent, carried) : reply;
        } catch (err) {
          const cancelled = err instanceof CancelledFailure || ctx.cancellationSignal.aborted;
          metrics.agentCalls.inc({
            node_type: nodeType,
            outcome: cancelled ? 'cancelled' : finalAttempt(ctx.info, err) ? 'failed' : 'retry',
          });
          endSpan(span, err);
          throw err;
        } finally {
          stop();
        }
      },
    },
  });
}
