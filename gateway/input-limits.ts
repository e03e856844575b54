/**
 * What the doors (HTTP bodies, WebSocket event frames) accept before anything recursive touches a client's value.
 * Bodies must be I-JSON (RFC 7493): UTF-8, no lone surrogates; and nested at most BODY_MAX_DEPTH levels — deep enough
 * for any pattern the validator accepts. An event's fields (data, source, …) may nest EVENT_DATA_MAX_DEPTH levels.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { inspectJson, nestedTooDeep, type JsonProblem } from '../patterns/json-limits';
import { fail } from './errors';

export { inspectJson, type JsonProblem } from '../patterns/json-limits';

/** Levels an event field (`data`, `source`, …) may nest; the `data` object itself is level 1. */
export const EVENT_DATA_MAX_DEPTH = 64;
/** Route parameters up to this length reach their params schema (which allows THRED_ID_MAX_LENGTH); longer → 414. */
export const MAX_PARAM_LENGTH = 1024;

/** Levels any JSON request body may nest (the body itself is level 1). */
export const BODY_MAX_DEPTH = 256;

/** The problem of one raw event (depth of its fields, lone surrogates), or null. */
export function eventProblem(raw: unknown): JsonProblem | null {
  // The event object is one level above its fields.
  const problem = inspectJson(raw, EVENT_DATA_MAX_DEPTH + 1);
  if (problem?.reason === nestedTooDeep(EVENT_DATA_MAX_DEPTH + 1))
    return { ...problem, reason: nestedTooDeep(EVENT_DATA_MAX_DEPTH) };
  return problem;
}

/**
 * The body parsers: JSON only (fastify's text/plain parser is removed, so any other content type is 415).
 * Replaces fastify's JSON parser (same prototype-poisoning protection) with one that refuses invalid UTF-8 (instead
 * of silently turning it into U+FFFD), bodies nested deeper than BODY_MAX_DEPTH and lone surrogates.
 */
export function installBodyParsers(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done) => {
    if (!isUtf8(body)) {
      done(fail('INVALID_JSON', 'body is not valid UTF-8'), undefined);
      return;
    }
    void parse(req, body.toString('utf8'), (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      const problem = inspectJson(value, BODY_MAX_DEPTH);
      if (problem)
        return done(fail('VALIDATION', `invalid body: ${problem.path} ${problem.reason}`, [problem]), undefined);
      done(null, value);
    });
  });
}
