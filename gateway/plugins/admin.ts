/**
 * Admin thred operations (SPEC §8, role admin): terminate, force a transition, reset; and the dead-letter list.
 * Terminate and transition go through the workflow's `control` update, so the answer is the snapshot after the
 * operation ran in the workflow (not a fire-and-forget signal).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GatewayContext } from '../types';
import { resetThred } from '../thred-reset';
import { createOperations } from '../control/operations';
import {
  ResetBodySchema,
  ResetResponseSchema,
  ThredIdParams,
  ThredViewSchema,
  TransitionBodySchema,
  errors,
} from '../schemas';

const admin: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, client } = ctx.deps;
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireAdmin);
  const security = [{ bearer: [] }];

  // The same operations the sysControl events run (gateway/control).
  const ops = createOperations(ctx.deps);

  app.post(
    '/threds/:id/terminate',
    {
      schema: {
        tags: ['admin'],
        summary: 'End a thred now (status terminated)',
        security,
        params: ThredIdParams,
        body: Type.Union([Type.Object({ reason: Type.Optional(Type.String()) }), Type.Null()], {
          description: 'optional',
        }),
        response: { 200: ThredViewSchema, ...errors(401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const reason = req.body?.reason ?? `terminated by ${req.principal.id}`;
      return ops.terminate(req.params.id, reason);
    },
  );

  app.post(
    '/threds/:id/transition',
    {
      schema: {
        tags: ['admin'],
        summary: 'Force a transition of the current reaction (same semantics as a pattern transition)',
        security,
        params: ThredIdParams,
        body: TransitionBodySchema,
        response: { 200: ThredViewSchema, ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => ops.transition(req.params.id, req.body.transition),
  );

  app.post(
    '/threds/:id/reset',
    {
      schema: {
        tags: ['admin'],
        summary: "Reset the thred's workflow to a workflow task (Temporal reset); the new run replays from there",
        description:
          'to: "last-workflow-task", "first-workflow-task", or the event id of a WORKFLOW_TASK_COMPLETED event of the ' +
          'current run. The read model (GET /threds/:id) catches up when the new run records its next step.',
        security,
        params: ThredIdParams,
        body: ResetBodySchema,
        response: { 200: ResetResponseSchema, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (req) =>
      resetThred({ client, store }, req.params.id, {
        ...req.body,
        reason: req.body.reason ?? `reset by ${req.principal.id} via the gateway`,
      }),
  );

  app.get(
    '/dead-letters',
    {
      schema: {
        tags: ['admin'],
        summary: 'Agent messages whose retries were exhausted, newest first',
        security,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: {
          200: Type.Object({ deadLetters: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
          ...errors(401, 403),
        },
      },
    },
    async (req) => {
      const letters = await store.deadLetters.list(req.query.limit ?? 100);
      return { deadLetters: letters.map(({ _id, ...rest }) => ({ id: _id, ...rest })) };
    },
  );
};

export default admin;
