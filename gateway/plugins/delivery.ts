/**
 * POST /internal/deliver: thred workers push stored messages to the participants' sessions on THIS instance
 * (activities/delivery.ts httpPusher). Authenticated by the shared internal token, not by a participant JWT.
 * Best effort: the outbox already holds each message, so a session that misses it gets it on its next hello/since.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GatewayContext } from '../types';
import { fail } from '../errors';
import { DeliverBodySchema, errors } from '../schemas';

const delivery: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const expected = Buffer.from(`Bearer ${ctx.deps.internalToken}`);

  app.addHook('onRequest', async (req: FastifyRequest) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw fail('UNAUTHORIZED', 'internal endpoint: missing or wrong internal token');
    }
  });

  app.post(
    '/internal/deliver',
    {
      // Several messages per push: allow more than one event's worth.
      bodyLimit: ctx.limits.bodyBytes * 16,
      schema: {
        tags: ['internal'],
        summary: "Push messages to this instance's sessions of each participant (thred workers only)",
        security: [{ internal: [] }],
        body: DeliverBodySchema,
        response: {
          200: Type.Object({ delivered: Type.Integer({ description: 'socket writes' }) }),
          ...errors(400, 401, 413),
        },
      },
    },
    async (req) => {
      let delivered = 0;
      for (const { participantId, message } of req.body.deliveries) {
        for (const s of ctx.hub.sessionsOf(participantId)) if (ctx.hub.deliver(s, message)) delivered++;
      }
      return { delivered };
    },
  );
};

export default delivery;
