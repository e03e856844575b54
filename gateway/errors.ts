/**
 * The gateway's error-code registry and its ONE error shape (SPEC §8):
 * `{ statusCode, code: "THREDS_ERR_…", error, message, details: [{ path, reason }] }`.
 * Every failure — ours, fastify's (validation, JSON, body size, media type), the router's RouteError, the rate
 * limiter's, an unreachable server's — leaves through `toErrorBody`, so clients parse one shape everywhere.
 */
import { STATUS_CODES } from 'node:http';
import createError, { type FastifyError, type FastifyErrorConstructor } from '@fastify/error';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { ReportItemSchema } from '../patterns/schema';
import { isStoreUnreachable } from '../store/errors';

export const ErrorBodySchema = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'THREDS_ERR_… (stable; see gateway/errors.ts)' }),
    error: Type.String({ description: 'HTTP reason phrase' }),
    message: Type.String(),
    details: Type.Array(ReportItemSchema),
  },
  { title: 'ThredsError' },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;
export type Detail = ErrorBody['details'][number];

/** The registry: code and HTTP status per failure kind. Add codes here, never inline. */
const CODES = {
  VALIDATION: ['THREDS_ERR_VALIDATION', 400],
  INVALID_JSON: ['THREDS_ERR_INVALID_JSON', 400],
  BAD_FRAME: ['THREDS_ERR_BAD_FRAME', 400],
  PATTERN_INVALID: ['THREDS_ERR_PATTERN_INVALID', 400],
  RESET_TARGET: ['THREDS_ERR_RESET_TARGET', 400],
  CLIENT: ['THREDS_ERR_CLIENT', 400],
  UNAUTHORIZED: ['THREDS_ERR_UNAUTHORIZED', 401],
  TOKEN_EXPIRED: ['THREDS_ERR_TOKEN_EXPIRED', 401],
  INVALID_LOGIN: ['THREDS_ERR_INVALID_LOGIN', 401],
  INVALID_REFRESH_TOKEN: ['THREDS_ERR_INVALID_REFRESH_TOKEN', 401],
  FORBIDDEN: ['THREDS_ERR_FORBIDDEN', 403],
  TOKEN_PARTICIPANT_MISMATCH: ['THREDS_ERR_TOKEN_PARTICIPANT_MISMATCH', 403],
  NOT_FOUND: ['THREDS_ERR_NOT_FOUND', 404],
  THRED_NOT_FOUND: ['THREDS_ERR_THRED_NOT_FOUND', 404],
  PATTERN_NOT_FOUND: ['THREDS_ERR_PATTERN_NOT_FOUND', 404],
  THRED_ENDED: ['THREDS_ERR_THRED_ENDED', 409],
  PAYLOAD_TOO_LARGE: ['THREDS_ERR_PAYLOAD_TOO_LARGE', 413],
  URI_TOO_LONG: ['THREDS_ERR_URI_TOO_LONG', 414],
  UNSUPPORTED_MEDIA_TYPE: ['THREDS_ERR_UNSUPPORTED_MEDIA_TYPE', 415],
  RATE_LIMITED: ['THREDS_ERR_RATE_LIMITED', 429],
  INTERNAL: ['THREDS_ERR_INTERNAL', 500],
  UNAVAILABLE: ['THREDS_ERR_UNAVAILABLE', 503],
  NOT_READY: ['THREDS_ERR_NOT_READY', 503],
} as const satisfies Record<string, readonly [`THREDS_ERR_${string}`, number]>;

export type ErrorKey = keyof typeof CODES;

// Every message is the caller's ('%s'): the registry fixes code and status, the call site says what went wrong.
export const Errors = Object.fromEntries(
  Object.entries(CODES).map(([key, [code, status]]) => [
    key,
    createError<string, number, [string]>(code, '%s', status),
  ]),
) as { [K in ErrorKey]: FastifyErrorConstructor<{ code: (typeof CODES)[K][0]; statusCode: number }, [string]> };

/** A routing failure: a registry entry, and the SPEC §7 code the event's error answer carries over the WebSocket. */
export class RouteError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(
    readonly key: ErrorKey,
    message: string,
    readonly thredsCode: number,
  ) {
    super(message);
    this.name = 'RouteError';
    [this.code, this.statusCode] = CODES[key];
  }
}

export const UNAVAILABLE_MESSAGE = 'Temporal or the store is unavailable; retry with the same event id';

/** The code string of a registry entry. */
export const codeOf = (key: ErrorKey): string => CODES[key][0];

/** A registry error carrying `details`. */
export function fail(key: ErrorKey, message: string, details: Detail[] = []): FastifyError & { details: Detail[] } {
  return Object.assign(new Errors[key](message), { details });
}

interface ValidationItem {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function reasonOf(item: ValidationItem): string {
  const allowed = item.params?.allowedValues;
  if (item.keyword === 'enum' && Array.isArray(allowed))
    return `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  return item.message ?? 'is invalid';
}

/**
 * Validator output (TypeBox's, ajv-shaped) → details. A missing property is reported at its own path
 * (`/type` "is required"), not at its parent, so the detail names the field the client has to fix.
 */
export function validationDetails(items: readonly ValidationItem[], prefix = ''): Detail[] {
  const out: Detail[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    if (item.keyword === 'anyOf' || item.keyword === 'oneOf') continue;
    const base = prefix + (item.instancePath ?? '');
    const missing = item.keyword === 'required' ? (item.params?.requiredProperties as string[] | undefined) : undefined;
    const entries: Detail[] = missing
      ? missing.map((p) => ({ path: `${base}/${p}`, reason: 'is required' }))
      : [{ path: base || '/', reason: reasonOf(item) }];
    for (const d of entries) {
      const key = `${d.path}\u0000${d.reason}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

/** One-line message from details: `/type is required; /id must match pattern …`. */
export function summarize(prefix: string, details: Detail[]): string {
  return details.length === 0 ? prefix : `${prefix}: ${details.map((d) => `${d.path} ${d.reason}`).join('; ')}`;
}

const MONGO_UNAVAILABLE = /^Mongo(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed)Error$/;
// gRPC status codes a Temporal call fails with when the server cannot be reached or does not answer in time.
const GRPC_UNAVAILABLE = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** True when `err` means Temporal or MongoDB could not be reached (→ 503; the client may retry with the same id). */
export function isUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as { name?: string; code?: unknown; cause?: unknown; message?: string };
  if (isStoreUnreachable(err) || (e.name && MONGO_UNAVAILABLE.test(e.name))) return true;
  if (e.name === 'ServiceError' || e.name === 'TransportError') {
    return typeof e.code !== 'number' || GRPC_UNAVAILABLE.has(e.code) || isUnavailable(e.cause, depth + 1);
  }
  if (typeof e.code === 'number' && GRPC_UNAVAILABLE.has(e.code) && 'details' in e) return true;
  if (typeof e.code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EPIPE)$/.test(e.code))
    return true;
  return isUnavailable(e.cause, depth + 1);
}

/** Any thrown value → the one error shape. Unknown errors become a 500 without leaking internals. */
export function toErrorBody(err: unknown): ErrorBody {
  const body = (statusCode: number, code: string, message: string, details: Detail[] = []): ErrorBody => ({
    statusCode,
    code,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    details,
  });
  if (err instanceof RouteError) return body(err.statusCode, err.code, err.message);
  const e = (err ?? {}) as FastifyError & { details?: Detail[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const details = validationDetails(e.validation as ValidationItem[]);
    return body(400, codeOf('VALIDATION'), summarize(`invalid ${e.validationContext ?? 'request'}`, details), details);
  }
  if (typeof e.code === 'string' && e.code.startsWith('THREDS_ERR_')) {
    return body(e.statusCode ?? 500, e.code, e.message, e.details ?? []);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return body(400, codeOf('INVALID_JSON'), 'body is not valid JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return body(400, codeOf('INVALID_JSON'), 'body is empty but content-type is application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return body(413, codeOf('PAYLOAD_TOO_LARGE'), 'request body is larger than the limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return body(415, codeOf('UNSUPPORTED_MEDIA_TYPE'), 'content-type must be application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return body(400, codeOf('VALIDATION'), 'content-length does not match the body');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return body(414, codeOf('URI_TOO_LONG'), 'a path parameter is longer than any legal id');
    case 'FST_ERR_BAD_URL':
      return body(400, codeOf('VALIDATION'), 'the URL is not validly encoded');
  }
  if (isUnavailable(err)) return body(503, codeOf('UNAVAILABLE'), UNAVAILABLE_MESSAGE);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Another plugin's client error (e.g. a malformed upgrade): keep its status, use our shape.
    return body(e.statusCode, codeOf('CLIENT'), e.message);
  }
  return body(500, codeOf('INTERNAL'), 'internal server error');
}

/** Installs the error and not-found handlers on the root instance (child plugins inherit them). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const body = toErrorBody(err);
    if (body.statusCode >= 500) req.log.error({ err }, body.message);
    return reply.code(body.statusCode).type('application/json').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const body = toErrorBody(fail('NOT_FOUND', `route ${req.method} ${req.url.split('?')[0]} not found`));
    return reply.code(404).send(body);
  });
}
