/**
 * The gateway's connection to Temporal, with one change to the SDK's gRPC retries.
 *
 * A signal that reaches a thred while it continues as new is refused with RESOURCE_EXHAUSTED, cause BUSY_WORKFLOW,
 * "workflow operation can not be applied because workflow is closing": the server takes it once the next run exists,
 * tens of milliseconds later. The SDK backs off on every RESOURCE_EXHAUSTED as if the namespace were throttled —
 * 1.7 s for the first retry — so each continue-as-new of a busy thred stalled its events for ~1.5 s (the bench's
 * long thred spent half its time there). That refusal is retried soon; every other error keeps the SDK's policy.
 */
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

/** gRPC status 8; @grpc/grpc-js is not a dependency of ours. */
const RESOURCE_EXHAUSTED = 8;
const CLOSING = /workflow is closing/;
const CLOSING_FIRST_RETRY_MS = 20;

type RetryOptions = ReturnType<typeof defaultGrpcRetryOptions>;
type Status = Parameters<RetryOptions['delayFunction']>[1];

export function isWorkflowClosing(status: Pick<Status, 'code' | 'details'>): boolean {
  return status.code === RESOURCE_EXHAUSTED && CLOSING.test(status.details ?? '');
}

/** The SDK's defaults (10 attempts, factor 1.7, jitter 0.2), with a short first interval for a closing workflow. */
export function gatewayRetryOptions(): RetryOptions {
  const sdk = defaultGrpcRetryOptions();
  const closing = defaultGrpcRetryOptions({ initialIntervalMs: () => CLOSING_FIRST_RETRY_MS });
  return {
    retryableDecider: sdk.retryableDecider,
    delayFunction: (attempt, status) =>
      isWorkflowClosing(status) ? closing.delayFunction(attempt, status) : sdk.delayFunction(attempt, status),
  };
}

export function connectTemporal(address: string): Promise<Connection> {
  return Connection.connect({ address, interceptors: [makeGrpcRetryInterceptor(gatewayRetryOptions())] });
}
