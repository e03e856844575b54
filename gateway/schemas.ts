/**
 * Route schemas, built from the pattern language's schemas (patterns/schema.ts) so the wire contract has one source
 * of truth. Response schemas document; they are not used to serialize (see app.ts: extra event fields must survive).
 */
import { Type, type Static, type TSchema } from 'typebox';
import {
  EventIdSchema,
  EventSchema,
  MessageSchema,
  PatternIdSchema,
  ReportItemSchema,
  ThredIdSchema,
  ThredStatusSchema,
  TransitionSchema,
} from '../patterns/schema';
import { ErrorBodySchema } from './errors';

/** ms since epoch as clients may send it: a whole number within the range of a JS Date. */
const TimeInSchema = (description: string) =>
  Type.Number({ minimum: 0, maximum: 8_640_000_000_000_000, multipleOf: 1, description });

/** An event as clients send it: `id` may be omitted (the gateway assigns one), `timestamp` is an alias of `time`. */
export const EventInSchema = Type.Object(
  {
    ...EventSchema.properties,
    id: Type.Optional(EventIdSchema),
    time: Type.Optional(TimeInSchema('ms since epoch; filled by the gateway when absent')),
    timestamp: Type.Optional(TimeInSchema('alias of time')),
  },
  { description: 'Event (SPEC §2). source.id is replaced by the authenticated principal.' },
);
export type EventIn = Static<typeof EventInSchema>;

export const BatchInSchema = Type.Object({ events: Type.Array(EventInSchema, { minItems: 1 }) });

export const RefusalSchema = Type.Object({ patternId: Type.String(), code: Type.Number(), reason: Type.String() });

export const BatchResultSchema = Type.Object({
  eventId: Type.Optional(Type.String()),
  thredIds: Type.Array(Type.String()),
  started: Type.Array(Type.String()),
  refused: Type.Array(RefusalSchema),
  error: Type.Optional(ErrorBodySchema),
});

export const IngestResponseSchema = Type.Object({ results: Type.Array(BatchResultSchema) });

export const ThredViewSchema = Type.Object({
  thredId: Type.String(),
  patternId: Type.String(),
  patternName: Type.Optional(Type.String()),
  patternVersion: Type.Optional(Type.Integer({ description: 'the pattern version the thred runs (SPEC §15)' })),
  status: ThredStatusSchema,
  reaction: Type.Union([Type.String(), Type.Null()], { description: 'current reaction; null once ended' }),
  participants: Type.Array(Type.String()),
  locals: Type.Record(Type.String(), Type.Unknown()),
  parentThredId: Type.Optional(Type.String()),
  childThredIds: Type.Array(Type.String()),
  meta: Type.Record(Type.String(), Type.Unknown()),
  startTime: Type.Number(),
  updateTime: Type.Number(),
  endTime: Type.Optional(Type.Number()),
  live: Type.Optional(
    Type.Object(
      { queued: Type.Number(), inFlightAgentCalls: Type.Number(), step: Type.Number(), run: Type.Number() },
      { description: 'from the workflow `state` query, when ?live=true and the thred is running' },
    ),
  ),
});
export type ThredView = Static<typeof ThredViewSchema>;

export const ThredIdParams = Type.Object({ id: ThredIdSchema });

export const ThredListQuerySchema = Type.Object({
  status: Type.Optional(ThredStatusSchema),
  pattern: Type.Optional(Type.String()),
  participant: Type.Optional(Type.String({ description: 'ignored for non-admins (always themselves)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String()),
});

export const StoredEventSchema = Type.Object({
  event: EventSchema,
  direction: Type.Enum(['in', 'out']),
  to: Type.Optional(Type.Array(Type.String())),
  storedAt: Type.Number(),
});

/** GET /events (admin audit). `time` is the event's own time (the gateway fills it in when a client leaves it out). */
export const EventAuditQuerySchema = Type.Object({
  type: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'event type, exactly' })),
  source: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'source.id, exactly' })),
  thredId: Type.Optional(ThredIdSchema),
  since: Type.Optional(TimeInSchema('events whose time is at or after this (ms since the epoch)')),
  until: Type.Optional(TimeInSchema('events whose time is before this (ms since the epoch)')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'page size (default 50)' })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 2048, description: 'nextCursor of the previous page (same filters)' }),
  ),
});

export const AuditEventSchema = Type.Object({
  ...StoredEventSchema.properties,
  thredIds: Type.Array(Type.String(), {
    description: 'the thred a bound event went to, or the threds an unbound event went to',
  }),
  outcome: Type.Optional(
    Type.Enum(['no_thred', 'no_pattern'], { description: 'reached no thred: unknown thred, or no pattern took it' }),
  ),
});

export const EventAuditPageSchema = Type.Object({
  events: Type.Array(AuditEventSchema, { description: 'oldest first by event time, then id' }),
  nextCursor: Type.Optional(Type.String({ description: 'present when more events match' })),
});

export const LogRecordSchema = Type.Object({
  seq: Type.Number(),
  kind: Type.String(),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.Union([Type.String(), Type.Null()]),
  eventId: Type.Optional(Type.String()),
  reaction: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
  time: Type.Number(),
});

export const TransitionBodySchema = Type.Object({ transition: TransitionSchema });
export const ResetBodySchema = Type.Object({
  to: Type.Union([
    Type.Literal('last-workflow-task'),
    Type.Literal('first-workflow-task'),
    Type.Integer({ minimum: 1, description: 'a WORKFLOW_TASK_COMPLETED event id of the current run' }),
  ]),
  reason: Type.Optional(Type.String()),
  reapplyExclude: Type.Optional(
    Type.Array(Type.Union([Type.Literal('signals'), Type.Literal('updates')]), {
      uniqueItems: true,
      description:
        'what the new run does NOT re-apply from after the reset point (default: both are re-applied, as in ' +
        'Temporal). signals: bound events; updates: admin terminate/transition and unbound events offered to ' +
        'running threds. ["updates"] revives a thred ended by an admin terminate.',
    }),
  ),
});
export type ResetBody = Static<typeof ResetBodySchema>;
export const ResetResponseSchema = Type.Object({
  thredId: Type.String(),
  runId: Type.String(),
  resetEventId: Type.Number(),
});

/** Patterns are validated by validatePattern (400 with its report), so the route only requires a JSON object. */
export const PatternBodySchema = Type.Object({}, { additionalProperties: true, description: 'Pattern (SPEC §4)' });
export const PatternIdParams = Type.Object({ id: PatternIdSchema });
export const PatternVersionQuery = Type.Object({
  version: Type.Optional(
    Type.Integer({ minimum: 1, description: 'a stored version (SPEC §15); absent: the current one' }),
  ),
});
export const PatternVersionsSchema = Type.Object({
  id: Type.String(),
  current: Type.Union([Type.Integer(), Type.Null()], { description: 'what new threds start from; null once deleted' }),
  versions: Type.Array(
    Type.Object({
      version: Type.Integer({ minimum: 1 }),
      createdAt: Type.Number({ description: 'ms since the epoch' }),
      name: Type.String(),
      active: Type.Boolean(),
    }),
  ),
});
export const ValidationReportSchema = Type.Object({
  valid: Type.Boolean(),
  errors: Type.Array(ReportItemSchema),
  warnings: Type.Array(ReportItemSchema),
});
export const SimulateBodySchema = Type.Object({
  pattern: Type.Optional(PatternBodySchema),
  patternId: Type.Optional(PatternIdSchema),
  events: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'events or { advanceMs }' }),
});

export const DeliverBodySchema = Type.Object({
  deliveries: Type.Array(Type.Object({ participantId: Type.String({ minLength: 1 }), message: MessageSchema })),
});

export const LoginBodySchema = Type.Object({
  participantId: Type.String({ minLength: 1 }),
  password: Type.String({ minLength: 1 }),
});
export const RefreshBodySchema = Type.Object({ refreshToken: Type.String({ minLength: 1 }) });
export const TokensSchema = Type.Object({
  accessToken: Type.String(),
  expiresAt: Type.Number({ description: 'ms since epoch' }),
  refreshToken: Type.String(),
});

/** Standard error responses for a route: `errors(400, 401)` → { 400: ThredsError, 401: ThredsError }. */
export function errors(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(codes.map((c) => [c, ErrorBodySchema]));
}
