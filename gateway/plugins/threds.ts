/**
 * Thred reads (SPEC §8): list, one thred, its events, its transition log — from the store's read model.
 * Participants see the threds they participate in (store.threds `participants`), and of a thred's events only those
 * they sent or received; admins see all. Someone else's thred answers 404, exactly like a missing one, so ids cannot
 * be probed.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GatewayContext } from '../types';
import type { ThredRecord } from '../../store';
import { stateQuery } from '../../workflows/messages';
import { createOperations } from '../control/operations';
import { viewOfRecord, viewOfSnapshot } from '../thred-view';
import { fail } from '../errors';
import { MERMAID, patternDiagram, visitedReactions } from '../../patterns/diagram';
import {
  LogRecordSchema,
  StoredEventSchema,
  ThredIdParams,
  ThredListQuerySchema,
  ThredViewSchema,
  errors,
} from '../schemas';

const threds: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { client } = ctx.deps;
  app.addHook('onRequest', app.authenticate);
  const security = [{ bearer: [] }];

  // The same reads the userControl events run (gateway/control).
  const ops = createOperations(ctx.deps);
  const readable = (req: FastifyRequest, id: string): Promise<ThredRecord> => ops.readable(req.principal, id);

  app.get(
    '/threds',
    {
      schema: {
        tags: ['threds'],
        summary: 'List threds (participants: their own; admins: all)',
        security,
        querystring: ThredListQuerySchema,
        response: {
          200: Type.Object({ threds: Type.Array(ThredViewSchema), nextCursor: Type.Optional(Type.String()) }),
          ...errors(400, 401),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await ops.list(req.principal, {
        ...(q.status && { status: q.status }),
        ...(q.pattern && { pattern: q.pattern }),
        ...(q.participant && { participant: q.participant }),
        ...(q.limit !== undefined && { limit: q.limit }),
        ...(q.cursor && { cursor: q.cursor }),
      });
      return { threds: page.threds.map(viewOfRecord), ...(page.nextCursor && { nextCursor: page.nextCursor }) };
    },
  );

  app.get(
    '/threds/:id',
    {
      schema: {
        tags: ['threds'],
        summary: 'One thred: pattern, status, current reaction, participants, locals, times, parent and children',
        security,
        params: ThredIdParams,
        querystring: Type.Object({
          live: Type.Optional(
            Type.Boolean({ description: 'ask the running workflow (state query) instead of the store' }),
          ),
        }),
        response: { 200: ThredViewSchema, ...errors(401, 404) },
      },
    },
    async (req) => {
      const record = await readable(req, req.params.id);
      if (req.query.live && record.status === 'active') {
        try {
          return viewOfSnapshot(await client.workflow.getHandle(record._id).query(stateQuery), record);
        } catch (err) {
          req.log.warn({ err }, 'state query failed; answering from the store');
        }
      }
      return viewOfRecord(record);
    },
  );

  app.get(
    '/threds/:id/events',
    {
      schema: {
        tags: ['threds'],
        summary:
          "The thred's events, inbound and outbound, in storage order (participants: those they sent or received)",
        description:
          'Admins see every event of the thred. A participant sees, as on the original platform, only the events it ' +
          'sent (source.id) and those addressed to it (an outbound event whose resolved recipients include it).',
        security,
        params: ThredIdParams,
        response: { 200: Type.Object({ events: Type.Array(StoredEventSchema) }), ...errors(401, 404) },
      },
    },
    async (req) => {
      const events = await ops.events(req.principal, req.params.id);
      return {
        events: events.map((e) => ({
          event: e.event,
          direction: e.direction,
          ...(e.to && { to: e.to }),
          storedAt: e.storedAt,
        })),
      };
    },
  );

  app.get(
    '/threds/:id/log',
    {
      schema: {
        tags: ['threds'],
        summary: "The thred's transition records",
        security,
        params: ThredIdParams,
        response: { 200: Type.Object({ log: Type.Array(LogRecordSchema) }), ...errors(401, 404) },
      },
    },
    async (req) => {
      const log = await ops.log(req.principal, req.params.id);
      return { log: log.map(({ _id: _omit, thredId: _t, ...rest }) => rest) };
    },
  );

  app.get(
    '/threds/:id/diagram',
    {
      schema: {
        tags: ['threds'],
        summary:
          "The thred's pattern as a Mermaid stateDiagram-v2, its current reaction `current`, visited ones `visited`",
        description:
          'Visited reactions come from the transition log (GET /threds/:id/log); the pattern is the version the thred runs.',
        security,
        params: ThredIdParams,
        produces: [MERMAID],
        response: { 200: Type.String({ description: 'Mermaid source' }), ...errors(401, 404) },
      },
    },
    async (req, reply) => {
      const record = await readable(req, req.params.id);
      const [pattern, log] = await Promise.all([
        ctx.deps.store.patterns.get(record.patternId, record.patternVersion),
        ctx.deps.store.thredLog.forThred(record._id),
      ]);
      if (!pattern)
        throw fail('PATTERN_NOT_FOUND', `pattern ${record.patternId} of thred ${record._id} does not exist`);
      const visited = visitedReactions(log);
      if (record.reaction !== null) visited.push(record.reaction);
      return reply.type(MERMAID).send(patternDiagram(pattern, { current: record.reaction, visited }));
    },
  );
};

export default threds;
