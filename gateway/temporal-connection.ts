/**
 * The gateway's connection to Temporal, with one change to the SDK's gRPC retries.
 *
 * A signal that reaches a thred while it continues as new is refused with RESOURCE_EXHAUSTED, cause BUSY_WORKFLOW,
 * "workflow operation can not be applied because workflow is closing": the server takes it once the next run exists,
 * tens of milliseconds later. The SDK backs off on every RESOURCE_EXHAUSTED as if the namespace were throttled —
 * 1.7 s for the first retry — so each continue-as-new of a busy thred stalled its events for ~1.5 s (the bench's
 * long thred spent half its time there). That refusal is retried soon; every other error keeps the SDK's policy.
 */
import { readFileSync } from 'node:fs';
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type TLSConfig } from '@temporalio/client';

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

/** How to authenticate to Temporal (SPEC §13); the field names are bin/config.ts's. TLS values are PEM file paths. */
export interface TemporalSecurity {
  temporalTlsCert?: string | undefined;
  temporalTlsKey?: string | undefined;
  temporalTlsCa?: string | undefined;
  temporalApiKey?: string | undefined;
}

/** The part of the SDK's options that TemporalSecurity sets; Connection and NativeConnection take the same shape. */
export interface TemporalSecurityOptions {
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * TemporalSecurity → connection options, reading the PEM files now so that a wrong path fails at start naming its
 * variable. Nothing set → plaintext (the dev stack); an API key alone → TLS with the system's roots (Temporal Cloud).
 */
export function temporalSecurityOptions(
  s: TemporalSecurity,
  readFile: (path: string) => Uint8Array = readFileSync,
): TemporalSecurityOptions {
  if (Boolean(s.temporalTlsCert) !== Boolean(s.temporalTlsKey)) {
    throw new Error('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (the client certificate and its private key)');
  }
  const read = (name: string, path: string) => {
    try {
      return readFile(path);
    } catch (err) {
      throw new Error(`${name}: cannot read ${path} (${(err as Error).message})`);
    }
  };
  const tls: TLSConfig = {};
  if (s.temporalTlsCert && s.temporalTlsKey) {
    tls.clientCertPair = {
      crt: read('TEMPORAL_TLS_CERT', s.temporalTlsCert),
      key: read('TEMPORAL_TLS_KEY', s.temporalTlsKey),
    };
  }
  if (s.temporalTlsCa) tls.serverRootCACertificate = read('TEMPORAL_TLS_CA', s.temporalTlsCa);
  const useTls = Boolean(s.temporalTlsCert || s.temporalTlsCa || s.temporalApiKey);
  return { ...(useTls && { tls }), ...(s.temporalApiKey && { apiKey: s.temporalApiKey }) };
}

type Interceptor = ReturnType<typeof makeGrpcRetryInterceptor>;

/** grpc-js deadlines: a Date or ms since epoch (Infinity: none). */
function deadlineMs(deadline: unknown): number | undefined {
  const ms = deadline instanceof Date ? deadline.getTime() : typeof deadline === 'number' ? deadline : undefined;
  return ms !== undefined && Number.isFinite(ms) ? ms : undefined;
}

/**
 * The SDK's retry interceptor (with gatewayRetryOptions), bounded by each call's deadline: a retry whose back-off would
 * end past the deadline is not waited for — the call fails at once with the last status (UNAVAILABLE → 503). The
 * SDK's own interceptor sleeps the full back-off (up to 5 s) and only then meets the expired deadline, so during an
 * outage callers got their 503 up to 5 s late.
 */
export function deadlineBoundRetryInterceptor(now: () => number = Date.now): Interceptor {
  const policy = gatewayRetryOptions();
  return (options, nextCall) => {
    const deadline = deadlineMs((options as { deadline?: unknown }).deadline);
    if (deadline === undefined) return makeGrpcRetryInterceptor(policy)(options, nextCall);
    let delay = 0; // decided with the retry, used for it (the policy's jitter makes each draw differ)
    return makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => {
        if (!policy.retryableDecider(attempt, status)) return false;
        delay = policy.delayFunction(attempt, status);
        return now() + delay < deadline;
      },
      delayFunction: () => delay,
    })(options, nextCall);
  };
}

/**
 * gRPC's reconnect back-off grows to 120 s by default (1 s × 1.6ⁿ): after a few seconds of Temporal being down the
 * channel tried again only every 4–7 s, so the first event after a restart was accepted ~9 s after the server was
 * back. Capped at 0.5 s, the gateway is back within about a second of Temporal (the fault suite's case d bounds it at
 * 1.5 s; a 1 s cap measured up to 1.3 s there).
 */
export const RECONNECT_CHANNEL_ARGS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 500,
} as const;

export function connectTemporal(address: string, security: TemporalSecurity = {}): Promise<Connection> {
  return Connection.connect({
    address,
    ...temporalSecurityOptions(security),
    channelArgs: RECONNECT_CHANNEL_ARGS,
    interceptors: [deadlineBoundRetryInterceptor()],
  });
}
