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
 *   new run's events. Both run here, as a bounded loop (at most `batchMaxTargets` ids, fixed at the start,
 *   CONCURRENCY at a time) whose cursor is stored after every chunk: a gateway that stops leaves the batch to the
 *   next one that notices its heartbeat is old (a chunk in flight at that moment may run twice); a runner renews
 *   the heartbeat during a long chunk, and stops if another gateway took the batch over meanwhile.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { ThredIdSchema, ThredStatusSchema, TransitionSchema } from '../../patterns/schema';
import { createBatches, type BatchError, type BatchRecord } from '../../store/batches';
import { THRED_WORKFLOW_TYPE } from '../../workflows/messages';
import type { Transition } from '../../patterns';
import type { GatewayContext } from '../types';
import { createOperations } from '../control/operations';
import { fail, toErrorBody } from '../errors';
import { resetThred } from '../thred-reset';
import { ResetBodySchema, errors } from '../schemas';

/** Ids a dry run lists (the count is exact). */
const DRY_RUN_IDS = 1000;
const CONCURRENCY = 8;
/** A running gateway batch without progress for this long has lost its runner. */
const STALE_MS = 60_000;
const RESUME_EVERY_MS = 20_000;
/** While a chunk runs, its runner renews the heartbeat this often, so a slow chunk does not look like a dead runner. */
const HEARTBEAT_MS = STALE_MS / 3;
/** temporal.api.enums.v1.BatchOperationState */
const TEMPORAL_STATE: Record<number, BatchRecord['state']> = { 1: 'running', 2: 'completed', 3: 'failed' };

export const BatchFilterSchema = Type.Object(
  {
    pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'ThredPattern' })),
    status: Type.Optional(ThredStatusSchema),
    reaction: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'ThredReaction' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const BatchBodySchema = Type.Object(
  {
    query: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description: "visibility query (Temporal list filter), e.g. ThredPattern='order' AND ThredReaction='wait'",
      }),
    ),
    filter: Type.Optional(BatchFilterSchema),
    op: Type.Union([Type.Literal('terminate'), Type.Literal('reset'), Type.Literal('transition')]),
    transition: Type.Optional(TransitionSchema),
    to: Type.Optional(ResetBodySchema.properties.to),
    reapplyExclude: Type.Optional(ResetBodySchema.properties.reapplyExclude),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
    dryRun: Type.Optional(Type.Boolean({ description: 'answer the matching count and ids; act on nothing' })),
  },
  {
    additionalProperties: false,
    description: 'exactly one of query and filter; op transition needs transition, op reset needs to',
  },
);
export type BatchBody = Static<typeof BatchBodySchema>;

const ErrorItemSchema = Type.Object({ thredId: Type.String(), reason: Type.String() });

export const BatchViewSchema = Type.Object({
  batchId: Type.String(),
  op: BatchBodySchema.properties.op,
  query: Type.String({ description: 'the visibility query the threds were selected by' }),
  runner: Type.Union([Type.Literal('temporal'), Type.Literal('gateway')]),
  state: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
  total: Type.Number(),
  done: Type.Number(),
  failed: Type.Number(),
  errors: Type.Array(ErrorItemSchema, { description: 'per-thred failures (gateway-run batches; the first 200)' }),
  createdBy: Type.String(),
  createdAt: Type.Number(),
  finishedAt: Type.Optional(Type.Number()),
});
export type BatchView = Static<typeof BatchViewSchema>;

export const DryRunSchema = Type.Object({
  dryRun: Type.Literal(true),
  op: BatchBodySchema.properties.op,
  query: Type.String(),
  count: Type.Number(),
  thredIds: Type.Array(Type.String(), { description: `the first ${DRY_RUN_IDS}` }),
});

/** A Keyword value in a visibility query. */
const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The visibility query of a selection: always thred workflows; only running ones for ops that need a live thred. */
export function visibilityQuery(body: Pick<BatchBody, 'query' | 'filter' | 'op'>): string {
  const parts = [`WorkflowType=${quote(THRED_WORKFLOW_TYPE)}`];
  // A continued-as-new run is listed next to the current one under the same id; reset acts on the current run.
  parts.push(body.op === 'reset' ? `ExecutionStatus!='ContinuedAsNew'` : `ExecutionStatus='Running'`);
  const f = body.filter;
  if (f?.pattern !== undefined) parts.push(`ThredPattern=${quote(f.pattern)}`);
  if (f?.status !== undefined) parts.push(`ThredStatus=${quote(f.status)}`);
  if (f?.reaction !== undefined) parts.push(`ThredReaction=${quote(f.reaction)}`);
  if (body.query !== undefined) parts.push(`(${body.query})`);
  return parts.join(' AND ');
}

/**
 * Whether every parenthesis of a client's query closes inside it (quotes skipped): the query is wrapped as `(…)`
 * after the thred-only clauses, so `a='1') OR (b='2'` would otherwise escape them and select other workflows.
 */
export function parenthesesBalanced(query: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0 && quote === undefined;
}

const bad = (path: string, reason: string) => fail('VALIDATION', `invalid body: ${path} ${reason}`, [{ path, reason }]);

/** gRPC INVALID_ARGUMENT from the visibility store: the client's query does not parse. */
function queryError(err: unknown): never {
  // The client's list/count wrap the gRPC error (ServiceError with the status as its cause).
  const e = err as { code?: number; details?: string; message?: string; cause?: { code?: number; details?: string } };
  if (e.code === 3 || e.cause?.code === 3) {
    const why = e.details ?? e.cause?.details ?? e.message ?? 'rejected';
    throw bad('/query', `is not a valid visibility query: ${why}`);
  }
  throw err;
}

/** Our errors' own message; an unexpected one's raw text (the admin reading the batch needs the cause). */
function reasonOf(err: unknown): string {
  const body = toErrorBody(err);
  return body.statusCode === 500 ? String((err as Error)?.message ?? err) : body.message;
}

const batch: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, client } = ctx.deps;
  const batches = createBatches(store.db);
  const ops = createOperations(ctx.deps);
  const namespace = client.options.namespace;
  const owner = `${ctx.deps.gatewayId}:${randomUUID()}`;
  const running = new Set<Promise<void>>();
  let closing = false;
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireAdmin);
  const security = [{ bearer: [] }];

  async function targetsOf(query: string, limit: number): Promise<string[]> {
    const ids = new Set<string>();
    try {
      for await (const wf of client.workflow.list({ query })) {
        ids.add(wf.workflowId);
        if (ids.size > limit) break;
      }
    } catch (err) {
      queryError(err);
    }
    return [...ids];
  }

  function act(b: BatchRecord, thredId: string): Promise<unknown> {
    const args = b.args as { transition?: Transition; reason: string } & Partial<BatchBody>;
    if (b.op === 'transition') return ops.transition(thredId, args.transition!);
    return resetThred({ client, store }, thredId, {
      to: args.to ?? 'last-workflow-task',
      reason: args.reason,
      ...(args.reapplyExclude && { reapplyExclude: args.reapplyExclude }),
    });
  }

  async function runLoop(b: BatchRecord): Promise<void> {
    const targets = b.targets ?? [];
    let cursor = b.cursor ?? 0;
    // Set once another gateway owns the batch (it found the heartbeat stale): this runner stops after its chunk.
    let lost = false;
    const beat = setInterval(() => {
      batches.heartbeat(b._id, owner, ctx.now()).then(
        (owned) => (lost ||= !owned),
        (err: unknown) => app.log.warn({ err, batchId: b._id }, 'batch heartbeat not written'),
      );
    }, HEARTBEAT_MS);
    beat.unref();
    try {
      while (cursor < targets.length && !closing && !lost) {
        const chunk = targets.slice(cursor, cursor + CONCURRENCY);
        const failures: BatchError[] = [];
        let done = 0;
        await Promise.all(
          chunk.map(async (thredId) => {
            try {
              await act(b, thredId);
              done++;
            } catch (err) {
              failures.push({ thredId, reason: reasonOf(err) });
            }
          }),
        );
        cursor += chunk.length;
        if (!(await batches.progress(b._id, owner, { cursor, done, errors: failures, now: ctx.now() }))) lost = true;
      }
      if (lost) app.log.info({ batchId: b._id, cursor }, 'batch taken over by another gateway; this runner stops');
      else if (cursor >= targets.length) await batches.finish(b._id, 'completed', ctx.now(), undefined, owner);
    } catch (err) {
      // The store failed: leave the batch running; its heartbeat ages and a gateway resumes it from the cursor.
      app.log.error({ err, batchId: b._id }, 'batch runner stopped');
    } finally {
      clearInterval(beat);
    }
  }

  function launch(b: BatchRecord): void {
    const p = runLoop(b).finally(() => running.delete(p));
    running.add(p);
  }

  async function resumeStale(): Promise<void> {
    if (closing) return;
    try {
      for (const b of await batches.claimStale(owner, ctx.now() - STALE_MS, ctx.now())) {
        app.log.info({ batchId: b._id, cursor: b.cursor }, 'resuming a batch whose runner stopped');
        launch(b);
      }
    } catch (err) {
      app.log.warn({ err }, 'could not look for stale batches');
    }
  }

  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    void resumeStale();
    timer = setInterval(() => void resumeStale(), RESUME_EVERY_MS);
    timer.unref();
  });
  app.addHook('preClose', async () => {
    closing = true;
    if (timer) clearInterval(timer);
    await Promise.allSettled([...running]);
  });

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
        throw bad('/filter', 'must not be given together with /query');
      if (body.query === undefined && body.filter === undefined) throw bad('/query', 'is required (or /filter)');
      if (body.query !== undefined && !parenthesesBalanced(body.query)) {
        throw bad(
          '/query',
          'has unbalanced parentheses or quotes (it is ANDed with the thred-only clauses as one group)',
        );
      }
      if (body.op === 'transition' && body.transition === undefined)
        throw bad('/transition', 'is required for op transition');
      if (body.op === 'reset' && body.to === undefined) throw bad('/to', 'is required for op reset');
      if (body.op !== 'transition' && body.transition !== undefined)
        throw bad('/transition', 'is only for op transition');
      if (body.op !== 'reset' && (body.to !== undefined || body.reapplyExclude !== undefined)) {
        throw bad(body.to !== undefined ? '/to' : '/reapplyExclude', 'is only for op reset');
      }
      const query = visibilityQuery(body);
      const reason = body.reason ?? `batch ${body.op} by ${req.principal.id}`;

      if (body.dryRun) {
        const count = await client.workflow.count(query).catch(queryError);
        const thredIds = await targetsOf(query, DRY_RUN_IDS);
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
        return reply.code(202).send(await viewOf(base));
      }

      const max = ctx.limits.batchMaxTargets;
      const targets = await targetsOf(query, max);
      if (targets.length > max) {
        throw bad(body.query !== undefined ? '/query' : '/filter', `selects more than ${max} threds; narrow it`);
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
      launch(record);
      return reply.code(202).send(await viewOf(record));
    },
  );

  async function viewOf(b: BatchRecord): Promise<BatchView> {
    const common = {
      batchId: b._id,
      op: b.op,
      query: b.query,
      runner: b.runner,
      createdBy: b.createdBy,
      createdAt: b.createdAt,
    };
    if (b.runner === 'gateway') {
      return {
        ...common,
        state: b.state,
        total: b.targets?.length ?? 0,
        done: b.done ?? 0,
        failed: b.failed ?? 0,
        errors: b.errors ?? [],
        ...(b.finishedAt !== undefined && { finishedAt: b.finishedAt }),
      };
    }
    const d = await client.workflowService.describeBatchOperation({ namespace, jobId: b._id }).catch((err: unknown) => {
      // Just started: the job may not be visible for a moment.
      if ((err as { code?: number }).code === 5) return null;
      throw err;
    });
    if (!d) return { ...common, state: 'running', total: 0, done: 0, failed: 0, errors: [] };
    const closed = d.closeTime?.seconds;
    return {
      ...common,
      state: TEMPORAL_STATE[Number(d.state)] ?? 'running',
      total: Number(d.totalOperationCount ?? 0),
      done: Number(d.completeOperationCount ?? 0),
      failed: Number(d.failureOperationCount ?? 0),
      errors: [],
      ...(closed != null &&
        Number(closed) > 0 && { finishedAt: Number(closed) * 1000 + Math.floor((d.closeTime?.nanos ?? 0) / 1e6) }),
    };
  }

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
      return viewOf(b);
    },
  );
};

export default batch;
