/**
 * Types of the pattern language, derived from the schemas in `schema.ts` (no hand-written duplicates),
 * plus the runtime context the caller injects. Types only; no runtime code.
 */
import type { Static } from 'typebox';
import type {
  ConditionSchema,
  EffectSchema,
  ErrorEffectSchema,
  EventDataSchema,
  EventSchema,
  EventSourceSchema,
  MessageSchema,
  PatternSchema,
  PublishSchema,
  ReactionSchema,
  ReportItemSchema,
  SpawnSchema,
  StepSchema,
  ThredLogEffectSchema,
  ThredSpawnEffectSchema,
  ThredStateSchema,
  TransformSchema,
  TransitionSchema,
} from './schema';

/** An event (named ThredsEvent to avoid the DOM `Event` global). */
export type ThredsEvent = Static<typeof EventSchema>;
export type EventSource = Static<typeof EventSourceSchema>;
export type EventData = Static<typeof EventDataSchema>;
export type Message = Static<typeof MessageSchema>;

export type Pattern = Static<typeof PatternSchema>;
export type Reaction = Static<typeof ReactionSchema>;
export type Condition = Static<typeof ConditionSchema>;
export type Transform = Static<typeof TransformSchema>;
export type Publish = Static<typeof PublishSchema>;
export type Transition = Static<typeof TransitionSchema>;
export type Spawn = Static<typeof SpawnSchema>;

export type ThredState = Static<typeof ThredStateSchema>;

export type Effect = Static<typeof EffectSchema>;
export type ThredLogEffect = Static<typeof ThredLogEffectSchema>;
export type ThredSpawnEffect = Static<typeof ThredSpawnEffectSchema>;
export type ErrorEffect = Static<typeof ErrorEffectSchema>;

/** Result of `react` / `expire`: the next state and the effects the shell must run, in list order. */
export type Step = Static<typeof StepSchema>;

/** One finding of `validatePattern` (same `{ path, reason }` shape as gateway error details). */
export type ReportItem = Static<typeof ReportItemSchema>;

/** An agent address: publishing to its nodeType or one of its nodeIds produces an `agent.call` effect. */
export interface AgentAddress {
  nodeType: string;
  nodeIds?: string[];
}

/**
 * Everything the core would otherwise read from the environment. The workflow passes Temporal's
 * deterministic time and uuid4; tests and the simulator pass fixed values.
 */
export interface Ctx {
  /** ms since epoch; `$now()` / `$millis()` return this. */
  now: number;
  /** Fresh ids for outbound events, messages and spawned threds. */
  newId: () => string;
  /** Sessions-model groups, for `$group` entries in `allowedSources`. */
  groups?: Record<string, string[]>;
  /** Addresses that are agents (publishing to them gives `agent.call`; never counted as participants). */
  agents?: AgentAddress[];
  /** Bound on forward/local transition chains (default 100). */
  maxChainSteps?: number;
}

/** Options of `start`. */
export interface StartOptions {
  parentThredId?: string;
  spawnType?: 'child' | 'sibling';
  locals?: Record<string, unknown>;
  participants?: string[];
}
