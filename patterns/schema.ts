/**
 * TypeBox schemas for the pattern language: the one source of truth for every shape the core reads or
 * emits (events, messages, patterns, thred state, effects). Types are derived in `model.ts` with `Static`.
 *
 * Objects allow additional properties on purpose: SrvThreds pattern files carry extra keys (`description`,
 * `permissions`, `multiInstance`, …) and must load unchanged.
 *
 * Pure data; sandbox-safe (imports only `typebox`).
 */
import Type from 'typebox';

// ---------------------------------------------------------------------------------------------------------------
// Event / Message (SPEC §2, §3)
// ---------------------------------------------------------------------------------------------------------------

/** Event ids: 1–128 chars of `A–Z a–z 0–9 . _ : -` (SPEC §2). */
export const EventIdSchema = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' });

/**
 * Pattern ids: an event id's charset and length, except the names objects inherit (`__proto__`, `constructor`,
 * `prototype`), which no map keyed by id should ever be asked about.
 */
export const PatternIdSchema = Type.String({
  pattern: '^(?!(?:__proto__|constructor|prototype)$)[A-Za-z0-9._:-]{1,128}$',
  description: "1–128 chars of A–Z a–z 0–9 . _ : - (not '__proto__', 'constructor' or 'prototype')",
});

/** Longest thred id: `<patternId>_<eventId>` (a started thred) or `<patternId>_<uuid>` (a spawned one). */
export const THRED_ID_MAX_LENGTH = 128 + 1 + 128;

/** Thred ids: the event-id charset, 1–257 chars (a pattern id, `_`, an event id). */
export const ThredIdSchema = Type.String({ pattern: `^[A-Za-z0-9._:-]{1,${THRED_ID_MAX_LENGTH}}$` });

export const EventSourceSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  name: Type.Optional(Type.String()),
  uri: Type.Optional(Type.String()),
});

export const EventErrorSchema = Type.Object({
  code: Type.Optional(Type.Number()),
  message: Type.String(),
  cause: Type.Optional(Type.Unknown()),
});

export const EventContentSchema = Type.Object({
  /** The answered template's name, as the original clients send it with an answer (the engine does not read it). */
  type: Type.Optional(Type.String()),
  valuesType: Type.Optional(Type.String()),
  values: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Array(Type.Unknown())])),
  tasks: Type.Optional(Type.Array(Type.Unknown())),
  resources: Type.Optional(Type.Array(Type.Unknown())),
  items: Type.Optional(Type.Array(Type.Unknown())),
  error: Type.Optional(EventErrorSchema),
});

export const EventDataSchema = Type.Object({
  title: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  display: Type.Optional(Type.Object({ uri: Type.Optional(Type.String()) })),
  advice: Type.Optional(
    Type.Object({
      eventType: Type.Optional(Type.String()),
      title: Type.Optional(Type.String()),
      template: Type.Optional(Type.Unknown()),
    }),
  ),
  content: Type.Optional(EventContentSchema),
});

export const EventSchema = Type.Object({
  id: EventIdSchema,
  type: Type.String({ minLength: 1, maxLength: 256 }),
  source: EventSourceSchema,
  thredId: Type.Optional(ThredIdSchema),
  re: Type.Optional(Type.String()),
  /** ms since epoch; `timestamp` is accepted as an alias by `normalizeEvent`. */
  time: Type.Optional(Type.Number()),
  data: Type.Optional(EventDataSchema),
});

export const MessageSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  to: Type.Array(Type.String()),
  event: EventSchema,
});

// ---------------------------------------------------------------------------------------------------------------
// Pattern (SPEC §4)
// ---------------------------------------------------------------------------------------------------------------

export const ConsequentSchema = Type.Object({ xpr: Type.Optional(Type.String()) });

export const TransformSchema = Type.Object({
  description: Type.Optional(Type.String()),
  /** Literal outbound `data`; string leaves `$xpr(…)` and `$xpr` keys are evaluated (never re-evaluated). */
  eventDataTemplate: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /** One expression returning the whole outbound `data` (used when there is no eventDataTemplate). */
  templateXpr: Type.Optional(Type.String()),
  meta: Type.Optional(Type.Object({ reXpr: Type.Optional(Type.String()) })),
});

export const PublishSchema = Type.Object({
  description: Type.Optional(Type.String()),
  to: Type.Union([Type.String(), Type.Array(Type.String())]),
  name: Type.Optional(Type.String({ minLength: 1 })),
  onPublish: Type.Optional(ConsequentSchema),
});

export const TransitionInputSchema = Type.Enum(['default', 'forward', 'local']);

export const TransitionSchema = Type.Object({
  description: Type.Optional(Type.String()),
  /** A reaction name, or `$next`, `$terminate`, `$noTransition`. */
  name: Type.String({ minLength: 1 }),
  input: Type.Optional(TransitionInputSchema),
  localName: Type.Optional(Type.String({ minLength: 1 })),
});

export const SpawnSchema = Type.Object({
  names: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  type: Type.Optional(Type.Enum(['child', 'sibling'])),
  input: Type.Optional(TransitionInputSchema),
  localName: Type.Optional(Type.String({ minLength: 1 })),
  context: Type.Optional(Type.Boolean()),
});

/** Condition tree: `filter` leaves and `and`/`or` nodes, each optionally carrying directives. */
export const ConditionSchema = Type.Cyclic(
  {
    Condition: Type.Object({
      type: Type.Enum(['filter', 'and', 'or']),
      description: Type.Optional(Type.String()),
      xpr: Type.Optional(Type.String()),
      operands: Type.Optional(Type.Array(Type.Ref('Condition'))),
      onTrue: Type.Optional(ConsequentSchema),
      transform: Type.Optional(TransformSchema),
      publish: Type.Optional(PublishSchema),
      transition: Type.Optional(TransitionSchema),
      spawn: Type.Optional(SpawnSchema),
    }),
  },
  'Condition',
);

export const ExpirySchema = Type.Object({
  /** ms after entering the reaction (`timeout` is accepted as an alias by normalization). */
  interval: Type.Number({ minimum: 0 }),
  transition: Type.Optional(TransitionSchema),
});

/** Longest look-back window: a week (the read scans the thred's and its participants' events of that span). */
export const LOOK_BACK_MAX_MS = 7 * 24 * 3_600_000;

/**
 * On entering the reaction, stored events of the last `interval` ms that the thred has not handled (bound to it, or
 * unbound from its participants) are offered to it, oldest first, before new events (SPEC §15 "Look-back").
 */
export const LookBackSchema = Type.Object({
  interval: Type.Integer({ minimum: 1, maximum: LOOK_BACK_MAX_MS, description: 'ms before entering the reaction' }),
});

export const ReactionSchema = Type.Object({
  /** Defaults to `<pattern name>_<index>` during normalization. */
  name: Type.Optional(Type.String({ minLength: 1 })),
  description: Type.Optional(Type.String()),
  allowedSources: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  allowUnboundEvents: Type.Optional(Type.Boolean()),
  expiry: Type.Optional(ExpirySchema),
  lookBack: Type.Optional(LookBackSchema),
  permissions: Type.Optional(Type.Unknown()),
  condition: ConditionSchema,
});

export const PatternSchema = Type.Object({
  /** Defaults to `name` lower-cased with spaces → `_` (which must then fit the charset). */
  id: Type.Optional(PatternIdSchema),
  name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  meta: Type.Optional(Type.Object({ active: Type.Optional(Type.Boolean()) })),
  /** Assigned by the pattern store on every save (SPEC §15: 1, 2, …); a value sent with a pattern is ignored. */
  version: Type.Optional(Type.Integer({ minimum: 1 })),
  maxInstances: Type.Optional(Type.Number({ minimum: 0 })),
  instanceInterval: Type.Optional(Type.Number({ minimum: 0 })),
  broadcastAllowed: Type.Optional(Type.Boolean()),
  echoResponses: Type.Optional(Type.Boolean()),
  reactions: Type.Array(ReactionSchema, { minItems: 1 }),
});

// ---------------------------------------------------------------------------------------------------------------
// Thred state — plain JSON only (crosses signals, queries and continueAsNew)
// ---------------------------------------------------------------------------------------------------------------

export const ThredStatusSchema = Type.Enum(['active', 'finished', 'terminated']);
export const SpawnTypeSchema = Type.Enum(['child', 'sibling']);

export const ThredStateSchema = Type.Object({
  thredId: Type.String(),
  patternId: Type.String(),
  status: ThredStatusSchema,
  /** Current reaction name; null once the thred has ended. */
  reaction: Type.Union([Type.String(), Type.Null()]),
  /** Bumps on every entry into a reaction (self-loops included, `$noTransition` excluded); stamps timers. */
  reactionGeneration: Type.Number(),
  reactionEnteredAt: Type.Number(),
  /** Satisfied `and` operands of the current reaction, keyed by JSON path (e.g. `/condition/operands/1`). */
  andState: Type.Record(Type.String(), Type.Literal(true)),
  locals: Type.Record(Type.String(), Type.Unknown()),
  participants: Type.Array(Type.String()),
  /** publish name → id of the last outbound event published under that name (for `$isResponseFor`). */
  outIds: Type.Record(Type.String(), Type.String()),
  parentThredId: Type.Optional(Type.String()),
  childThredIds: Type.Array(Type.String()),
  spawnType: Type.Optional(SpawnTypeSchema),
  meta: Type.Object({
    label: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    displayUri: Type.Optional(Type.String()),
  }),
  startTime: Type.Number(),
  updateTime: Type.Number(),
  endTime: Type.Optional(Type.Number()),
  /** Number of events this thred has accepted (matched or not); refused/failed events do not count. */
  seq: Type.Number(),
});

// ---------------------------------------------------------------------------------------------------------------
// Effects — data with dotted type tags; the workflow dispatches on `type` exhaustively
// ---------------------------------------------------------------------------------------------------------------

export const MessageSendEffectSchema = Type.Object({
  type: Type.Literal('message.send'),
  /** `to` holds unresolved addresses (ids, `$thred`, `$all`, `$group`); `$xpr` already evaluated, agents removed. */
  message: MessageSchema,
  /** source.id of the event that made the thred publish (absent for engine-originated sends). */
  senderId: Type.Optional(Type.String()),
});

export const AgentCallEffectSchema = Type.Object({
  type: Type.Literal('agent.call'),
  nodeType: Type.String(),
  nodeId: Type.Optional(Type.String()),
  /** `to` = [the address the pattern used]. */
  message: MessageSchema,
  senderId: Type.Optional(Type.String()),
});

export const TimerStartEffectSchema = Type.Object({
  type: Type.Literal('timer.start'),
  reaction: Type.String(),
  generation: Type.Number(),
  ms: Type.Number(),
});

export const TimerCancelEffectSchema = Type.Object({
  type: Type.Literal('timer.cancel'),
  reaction: Type.String(),
  generation: Type.Number(),
});

export const ThredLogEffectSchema = Type.Object({
  type: Type.Literal('thred.log'),
  /** `log` carries a `$log(msg)` call from an expression; `control` an admin terminate/transition. */
  kind: Type.Enum(['matched', 'no_match', 'expired', 'error', 'log', 'control']),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.Union([Type.String(), Type.Null()]),
  eventId: Type.Optional(Type.String()),
  reaction: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
});

export const ThredEndEffectSchema = Type.Object({
  type: Type.Literal('thred.end'),
  status: Type.Enum(['finished', 'terminated']),
});

export const ThredSpawnEffectSchema = Type.Object({
  type: Type.Literal('thred.spawn'),
  patternIds: Type.Array(Type.String()),
  /** Thred ids chosen for the new threds, parallel to `patternIds` (already in the parent's childThredIds when child). */
  thredIds: Type.Array(Type.String()),
  parentThredId: Type.String(),
  spawnType: SpawnTypeSchema,
  input: TransitionInputSchema,
  /** forward: the current event; local: the stored event; default: absent. */
  event: Type.Optional(EventSchema),
  /** Deep copies taken at spawn time, present when `context: true`. */
  locals: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  participants: Type.Optional(Type.Array(Type.String())),
});

export const ErrorEffectSchema = Type.Object({
  type: Type.Literal('error'),
  scope: Type.Enum(['sender', 'thred']),
  code: Type.Number(),
  message: Type.String(),
  /** Id of the failed event (absent when a timer, not an event, failed). */
  re: Type.Optional(Type.String()),
  /** The error event per SPEC §9. */
  event: EventSchema,
  /** scope sender: [senderId]; scope thred: ['$thred']. */
  to: Type.Optional(Type.Array(Type.String())),
});

export const EffectSchema = Type.Union([
  MessageSendEffectSchema,
  AgentCallEffectSchema,
  TimerStartEffectSchema,
  TimerCancelEffectSchema,
  ThredLogEffectSchema,
  ThredEndEffectSchema,
  ThredSpawnEffectSchema,
  ErrorEffectSchema,
]);

export const StepErrorSchema = Type.Object({ code: Type.Number(), message: Type.String() });

export const StepSchema = Type.Object({
  state: ThredStateSchema,
  effects: Type.Array(EffectSchema),
  /** True when the event (or timer) matched the current reaction (or was a handled built-in broadcast). */
  matched: Type.Boolean(),
  error: Type.Optional(StepErrorSchema),
});

export const ReportItemSchema = Type.Object({ path: Type.String(), reason: Type.String() });
