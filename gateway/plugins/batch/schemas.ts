/** Bodies and answers of POST /threds/batch and GET /threds/batch/:id. */
import { Type, type Static } from 'typebox';
import { ThredStatusSchema, TransitionSchema } from '../../../patterns/schema';
import { ResetBodySchema } from '../../schemas';

/** Ids a dry run lists (the count is exact). */
export const DRY_RUN_IDS = 1000;

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
