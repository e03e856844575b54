/**
 * Batch operations over threds (admin): `POST /threds/batch` selects threds by a visibility query or a filter over the
 * search attributes of SPEC §10 and terminates, resets or transitions all of them; `GET /threds/batch/:id` reports
 * progress.
 *
 * Who runs what, and why:
 * - terminate: a Temporal batch job (startBatchOperation) sending each thred the workflow's own `terminate` signal.
 *   A Temporal *terminate* would kill the workflow without the thred recording its end (read model, instance slot,
 *   ThredStatus), so the batch goes through the thred's door like the single-thred route does.
 * - transition: an update of ours with a per-thred answer, which Temporal batches cannot send; reset: Temporal has a
 *   batch reset, but after a reset the read model must be rewound (gateway/thred-reset.ts) or the router refuses the
 *   new run's events. Both run here, in the gateway's resumable runner (batch/runner.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ThredIdSchema } from '../../patterns/schema';
import { createBatches, type BatchRecord } from '../../store/batches';
import type { GatewayContext } from '../types';
import { fail } from '../errors';
import { errors } from '../schemas';
import { BatchBodySchema, BatchViewSchema, DRY_RUN_IDS, DryRunSchema } from './batch/schemas';
import { invalidBody, parenthesesBalanced, queryError, targetsOf, visibilityQuery } from './batch/query';
import { createBatchRunner } from './batch/runner';
import { viewOf } from './batch/view';

export {
  BatchBodySchema,
  BatchFilterSchema,
  BatchViewSchema,
  DryRunSchema,
  type BatchBody,
  type BatchView,
} from './batch/schemas';
export { parenthesesBalanced, visibilityQuery };

const batch: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, client } = ctx.deps;
  const batches = createBatches(store.db);
  const namespace = client.options.namespace;
  const owner = `${ctx.deps.gatewayId}:${randomUUID()}`;
  const runner = createBatchRunner({ deps: ctx.deps, batches, owner, now: ctx.now, log: app.log });
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireAdmin);
  const security = [{ bearer: [] }];

  app.addHook('onReady', async () => runner.start());
  app.addHook('preClose', async () => runner.close());

  app.post(
    '/threds/batch',
    {
      schema: {
        tags: ['admin'],
        summary: 'Terminate, reset or transition every thred a visibility query or filter selects',
        description:
          'Exactly one of `query` (Temporal visibility query over ThredPattern, ThredReaction, ThredStatus, …) and ' +
          '`filter` ({ pattern, status, reaction }). Only thred workflows are selected; terminate and transition only ' +
          'running ones. `dryRun` answers the count and ids without acting. 202 { batchId }: follow it at ' +
          'GET /threds/batch/:id.',
        security,
        body: BatchBodySchema,
        response: { 200: DryRunSchema, 202: BatchViewSchema, ...errors(400, 401, 403, 429, 503) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      if (body.query !== undefined && body.filter !== undefined)
        throw invalidBody('/filter', 'must not be given together with /query');
      if (body.query === undefined && body.filter === undefined)
        throw invalidBody('/query', 'is required (or /filter)');
      if (body.query !== undefined && !parenthesesBalanced(body.query)) {
        throw invalidBody(
          '/query',
          'has unbalanced parentheses or quotes (it is ANDed with the thred-only clauses as one group)',
        );
      }
      if (body.op === 'transition' && body.transition === undefined)
        throw invalidBody('/transition', 'is required for op transition');
      if (body.op === 'reset' && body.to === undefined) throw invalidBody('/to', 'is required for op reset');
      if (body.op !== 'transition' && body.transition !== undefined)
        throw invalidBody('/transition', 'is only for op transition');
      if (body.op !== 'reset' && (body.to !== undefined || body.reapplyExclude !== undefined)) {
        throw invalidBody(body.to !== undefined ? '/to' : '/reapplyExclude', 'is only for op reset');
      }
      const query = visibilityQuery(body);
      const reason = body.reason ?? `batch ${body.op} by ${req.principal.id}`;

      if (body.dryRun) {
        const count = await client.workflow.count(query).catch(queryError);
        const thredIds = await targetsOf(client, query, DRY_RUN_IDS);
        return {
          dryRun: true as const,
          op: body.op,
          query,
          count: count.count,
          thredIds: thredIds.slice(0, DRY_RUN_IDS),
        };
      }

      const batchId = randomUUID();
      const base: BatchRecord = {
        _id: batchId,
        op: body.op,
        query,
        runner: body.op === 'terminate' ? 'temporal' : 'gateway',
        args: {
          reason,
          ...(body.transition && { transition: body.transition }),
          ...(body.to !== undefined && { to: body.to }),
          ...(body.reapplyExclude && { reapplyExclude: body.reapplyExclude }),
        },
        createdBy: req.principal.id,
        createdAt: ctx.now(),
        state: 'running',
      };

      if (body.op === 'terminate') {
        try {
          await client.workflowService.startBatchOperation({
            namespace,
            jobId: batchId,
            reason,
            visibilityQuery: query,
            signalOperation: {
              signal: 'terminate',
              input: { payloads: [client.options.loadedDataConverter.payloadConverter.toPayload(reason)] },
              identity: `threds-gateway/${req.principal.id}`,
            },
          });
        } catch (err) {
          const code = (err as { code?: number }).code;
          // RESOURCE_EXHAUSTED: the namespace's limit of concurrent batch jobs (1 by default).
          if (code === 8)
            throw fail(
              'RATE_LIMITED',
              'another batch operation is running in this namespace; retry when it has finished',
            );
          queryError(err);
        }
        await batches.add(base);
        return reply.code(202).send(await viewOf(client, base));
      }

      const max = ctx.limits.batchMaxTargets;
      const targets = await targetsOf(client, query, max);
      if (targets.length > max) {
        throw invalidBody(
          body.query !== undefined ? '/query' : '/filter',
          `selects more than ${max} threds; narrow it`,
        );
      }
      const record: BatchRecord = {
        ...base,
        targets,
        cursor: 0,
        done: 0,
        failed: 0,
        errors: [],
        owner,
        heartbeatAt: ctx.now(),
      };
      await batches.add(record);
      runner.launch(record);
      return reply.code(202).send(await viewOf(client, record));
    },
  );

  app.get(
    '/threds/batch/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Progress of a batch operation: counts done and failed, per-thred errors',
        security,
        params: Type.Object({ id: ThredIdSchema }),
        response: { 200: BatchViewSchema, ...errors(401, 403, 404) },
      },
    },
    async (req) => {
      const b = await batches.get(req.params.id);
      if (!b) throw fail('NOT_FOUND', `batch ${req.params.id} does not exist`);
      return viewOf(client, b);
    },
  );
};

export default batch;
