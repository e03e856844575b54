/**
 * Admin thred operations (SPEC §8, role admin): terminate, force a transition, reset; and the dead-letter list.
 * Terminate and transition go through the workflow's `control` update, so the answer is the snapshot after the
 * operation ran in the workflow (not a fire-and-forget signal).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Type } from 'typebox';
import type { GatewayContext } from '../types';
import { controlUpdate, stateQuery, type ControlRequest } from '../../workflows/messages';
import { fail } from '../errors';
import { viewOfSnapshot } from '../thred-view';
import {
  ResetBodySchema,
  ResetResponseSchema,
  ThredIdParams,
  ThredViewSchema,
  TransitionBodySchema,
  errors,
} from '../schemas';

/** temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED (fetchHistory decodes enums as numbers). */
const WORKFLOW_TASK_COMPLETED = 7;
const SPECIAL_TARGETS = new Set(['$next', '$terminate', '$noTransition']);
/** temporal.api.enums.v1.ResetReapplyExcludeType */
const REAPPLY_EXCLUDE = { signals: 1, updates: 2 } as const;

const admin: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, client } = ctx.deps;
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireAdmin);
  const security = [{ bearer: [] }];

  async function control(thredId: string, request: ControlRequest) {
    const record = await store.threds.get(thredId);
    if (record?.status === 'terminated') throw fail('THRED_ENDED', `thred ${thredId} has ended`);
    try {
      const snap = await client.workflow.getHandle(thredId).executeUpdate(controlUpdate, { args: [request] });
      return viewOfSnapshot(snap, record);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      if (record) throw fail('THRED_ENDED', `thred ${thredId} has ended`);
      throw fail('THRED_NOT_FOUND', `thred ${thredId} does not exist`);
    }
  }

  app.post(
    '/threds/:id/terminate',
    {
      schema: {
        tags: ['admin'],
        summary: 'End a thred now (status terminated)',
        security,
        params: ThredIdParams,
        body: Type.Union([Type.Object({ reason: Type.Optional(Type.String()) }), Type.Null()], { description: 'optional' }),
        response: { 200: ThredViewSchema, ...errors(401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const reason = req.body?.reason ?? `terminated by ${req.principal.id}`;
      return control(req.params.id, { op: 'terminate', reason });
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
    async (req) => {
      const { transition } = req.body;
      // Check the target against the stored pattern, so a typo is a 400 rather than an error event in the thred.
      // A thred just started may have no record yet: then its workflow says which pattern it runs.
      const record = await store.threds.get(req.params.id);
      const patternId =
        record?.patternId ??
        (await client.workflow.getHandle(req.params.id).query(stateQuery).then((s) => s.patternId, () => undefined));
      const pattern = patternId === undefined ? null : await store.patterns.get(patternId);
      if (pattern && !SPECIAL_TARGETS.has(transition.name) && !pattern.reactions.some((r) => r.name === transition.name)) {
        const reason = `pattern ${pattern.id} has no reaction "${transition.name}"`;
        throw fail('VALIDATION', `invalid body: /transition/name ${reason}`, [{ path: '/transition/name', reason }]);
      }
      return control(req.params.id, { op: 'transition', transition });
    },
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
    async (req) => {
      const thredId = req.params.id;
      const { to } = req.body;
      let completed: number[];
      try {
        const history = await client.workflow.getHandle(thredId).fetchHistory();
        completed = (history.events ?? [])
          .filter((e) => Number(e.eventType) === WORKFLOW_TASK_COMPLETED || String(e.eventType).endsWith('WORKFLOW_TASK_COMPLETED'))
          .map((e) => Number(e.eventId));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) {
          throw fail('THRED_NOT_FOUND', `thred ${thredId} does not exist`);
        }
        throw err;
      }
      const target = to === 'last-workflow-task' ? completed.at(-1) : to === 'first-workflow-task' ? completed[0] : to;
      if (target === undefined || !completed.includes(target)) {
        const reason =
          completed.length === 0
            ? 'the current run has no completed workflow task'
            : `must be one of the WORKFLOW_TASK_COMPLETED event ids ${completed.join(', ')}`;
        throw fail('RESET_TARGET', `cannot reset ${thredId} to ${String(to)}: ${reason}`, [{ path: '/to', reason }]);
      }
      const res = await client.workflowService.resetWorkflowExecution({
        namespace: client.options.namespace,
        workflowExecution: { workflowId: thredId },
        reason: req.body.reason ?? `reset by ${req.principal.id} via the gateway`,
        // int64 field: protobufjs encodes a plain number (the generated type says Long).
        workflowTaskFinishEventId: target as never,
        requestId: randomUUID(),
        resetReapplyExcludeTypes: (req.body.reapplyExclude ?? []).map((t) => REAPPLY_EXCLUDE[t]),
      });
      // The reset run counts steps from the reset point: rewind the read model to what that run holds now, so the
      // router accepts its events again and its next snapshot wins.
      const reset = await client.workflow.getHandle(thredId, res.runId ?? undefined).query(stateQuery);
      await store.threds.rewind(thredId, {
        status: reset.state.status,
        reaction: reset.state.reaction,
        acceptsUnbound: reset.acceptsUnbound,
      });
      return { thredId, runId: res.runId ?? '', resetEventId: target };
    },
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
