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
import { fail } from '../errors';
import { viewOfRecord, viewOfSnapshot } from '../thred-view';
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
  const { store, client } = ctx.deps;
  app.addHook('onRequest', app.authenticate);
  const security = [{ bearer: [] }];

  async function readable(req: FastifyRequest, id: string): Promise<ThredRecord> {
    const record = await store.threds.get(id);
    if (!record || (!req.principal.admin && !record.participants.includes(req.principal.id))) {
      throw fail('THRED_NOT_FOUND', `thred ${id} does not exist`);
    }
    return record;
  }

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
      const participant = req.principal.admin ? q.participant : req.principal.id;
      const page = await store.threds.list({
        ...(q.status && { status: q.status }),
        ...(q.pattern && { pattern: q.pattern }),
        ...(participant && { participant }),
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
          live: Type.Optional(Type.Boolean({ description: 'ask the running workflow (state query) instead of the store' })),
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
        summary: "The thred's events, inbound and outbound, in storage order (participants: those they sent or received)",
        description:
          'Admins see every event of the thred. A participant sees, as on the original platform, only the events it ' +
          'sent (source.id) and those addressed to it (an outbound event whose resolved recipients include it).',
        security,
        params: ThredIdParams,
        response: { 200: Type.Object({ events: Type.Array(StoredEventSchema) }), ...errors(401, 404) },
      },
    },
    async (req) => {
      await readable(req, req.params.id);
      const viewer = req.principal.admin ? undefined : req.principal.id;
      const events = await store.events.forThred(req.params.id, undefined, viewer);
      return {
        events: events.map((e) => ({ event: e.event, direction: e.direction, ...(e.to && { to: e.to }), storedAt: e.storedAt })),
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
      await readable(req, req.params.id);
      const log = await store.thredLog.forThred(req.params.id);
      return { log: log.map(({ _id: _omit, thredId: _t, ...rest }) => rest) };
    },
  );
};

export default threds;
