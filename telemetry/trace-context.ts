/**
 * W3C trace context carried in events (SPEC §13): `event.trace.traceparent`. Pure and deterministic, so the thred
 * workflow uses it too: a step's span id is derived from thred id and step number (never from randomness, which
 * would shift the workflow's uuid4 sequence and break replay of existing histories).
 */

/** `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`; all-zero ids are invalid (W3C Trace Context §3.2). */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceParent {
  traceId: string;
  spanId: string;
  flags: string;
}

export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, flags: m[3]! };
}

export function formatTraceparent(t: TraceParent): string {
  return `00-${t.traceId}-${t.spanId}-${t.flags}`;
}

/** The event's valid traceparent, if it carries one. */
export function traceOf(event: unknown): string | undefined {
  const trace = (event as { trace?: { traceparent?: unknown } } | null | undefined)?.trace;
  const parsed = parseTraceparent(trace?.traceparent);
  return parsed && formatTraceparent(parsed);
}

/** The trace id of the event's traceparent: the `traceId` field of log lines. */
export function traceIdOf(event: unknown): string | undefined {
  return parseTraceparent(traceOf(event))?.traceId;
}

/** The event with `trace.traceparent` set (other `trace` fields, e.g. tracestate, kept). */
export function withTrace<T extends object>(event: T, traceparent: string): T {
  const trace = (event as { trace?: Record<string, unknown> }).trace;
  return { ...event, trace: { ...(typeof trace === 'object' && trace), traceparent } };
}

/** The traceparent of a child span `spanId` in the trace of `parent`. */
export function childTraceparent(parent: string, spanId: string): string | undefined {
  const p = parseTraceparent(parent);
  return p && formatTraceparent({ ...p, spanId });
}

/** A 64-bit span id from a key (FNV-1a, two 32-bit lanes): the same key always gives the same id. */
export function deterministicSpanId(key: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 7), 0x01000193) >>> 0;
  }
  const id = h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

/** The span id of a thred's step: stable across replays and workers. */
export function stepSpanId(thredId: string, step: number): string {
  return deterministicSpanId(`${thredId}#${step}`);
}
