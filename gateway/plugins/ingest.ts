/**
 * POST /events (SPEC §8): one event, or `{ events: [...] }`. A batch is validated only as an envelope at the route,
 * then event by event, so one bad event becomes that result's `error` instead of failing the others. Events of a batch
 * are routed in order (a bound event may follow the event that started its thred).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { GatewayContext } from '../types';
import { toErrorBody } from '../errors';
import { retryAfterOf } from '../backpressure';
import { eventProblem } from '../input-limits';
import { BatchInSchema, EventInSchema, IngestResponseSchema, errors } from '../schemas';

/** W3C `traceparent` header: the parent of the events' traces (SPEC §13). */
const traceHeader = (h: Record<string, string | string[] | undefined>) =>
  typeof h.traceparent === 'string' ? { traceparent: h.traceparent } : {};

const isBatch = (v: unknown): v is { events: unknown } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'events' in v && !('type' in v);

const ingestPlugin: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', app.authenticate);

  const checkEvent = Compile(EventInSchema);
  const checkEnvelope = Compile(
    Type.Object({ events: Type.Array(Type.Unknown(), { minItems: 1, maxItems: ctx.limits.batchSize }) }),
  );

  app.post(
    '/events',
    {
      bodyLimit: ctx.limits.bodyBytes,
      config: { rateLimit: { max: ctx.limits.ratePerMinute, timeWindow: 60_000 } },
      // The declared schema documents both forms; validation picks the form first (a union's errors would name
      // neither branch's field).
      validatorCompiler:
        ({ httpPart }) =>
        (value: unknown) => {
          if (httpPart !== 'body') return { value };
          const problem = isBatch(value) ? null : eventProblem(value);
          if (problem) {
            const error = {
              instancePath: problem.path,
              keyword: 'limit',
              message: problem.reason,
              params: {},
              schemaPath: '',
            };
            return { error: [error] as FastifySchemaValidationError[] };
          }
          const check = isBatch(value) ? checkEnvelope : checkEvent;
          if (check.Check(value)) return { value };
          return { error: [...check.Errors(value)] as unknown as FastifySchemaValidationError[] };
        },
      schema: {
        tags: ['events'],
        summary: 'Send an event (or a batch) to Threds',
        description:
          'The event is stored, then routed: a bound event (thredId) goes to its thred, an unbound one may start ' +
          'threds and is offered to running threds whose reaction allows unbound events. source.id is set to the ' +
          'authenticated principal; id is assigned when absent; time is filled when absent (alias timestamp). ' +
          'Control events (type org.wt.control.sysControl | dataControl | userControl, thredId SYSTEM; SPEC §14) ' +
          "reach no pattern: they are answered 202 with no threds, and the op's result arrives as a message.",
        security: [{ bearer: [] }],
        body: Type.Union([EventInSchema, BatchInSchema]),
        response: { 202: IngestResponseSchema, ...errors(400, 401, 404, 409, 413, 429, 503) },
      },
    },
    async (req, reply) => {
      const body: unknown = req.body;
      if (!isBatch(body)) {
        try {
          const result = await ctx.ingest.ingest(body, req.principal, traceHeader(req.headers));
          return reply.code(202).send({ results: [result] });
        } catch (err) {
          // Backpressure refusals say when to come back; answered here, as the error handler logs every 5xx as an
          // error and an overload would flood the log with expected refusals (they are counted in /metrics).
          const seconds = retryAfterOf(err);
          if (seconds === undefined) throw err;
          const error = toErrorBody(err);
          // The route's typed reply knows only its 202 body; the error statuses share the one error shape.
          return (reply as FastifyReply).code(error.statusCode).header('retry-after', String(seconds)).send(error);
        }
      }
      const results = [];
      let retryAfter: number | undefined;
      for (const raw of body.events as unknown[]) {
        try {
          results.push(await ctx.ingest.ingest(raw, req.principal, traceHeader(req.headers)));
        } catch (err) {
          const seconds = retryAfterOf(err);
          if (seconds !== undefined) retryAfter = Math.max(retryAfter ?? 0, seconds);
          const error = toErrorBody(err);
          if (error.statusCode >= 500 && seconds === undefined) req.log.error({ err }, 'batch event failed');
          const id = (raw as { id?: unknown } | null)?.id;
          results.push({
            ...(typeof id === 'string' && { eventId: id }),
            thredIds: [],
            started: [],
            refused: [],
            error,
          });
        }
      }
      // A batch answers 202 with an error per refused event; Retry-After tells when to re-send those.
      if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
      return reply.code(202).send({ results });
    },
  );
};

export default ingestPlugin;
