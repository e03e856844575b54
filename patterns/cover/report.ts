/** The shape of a `threds cover` report, and the options that steer the walk. */
import type { AgentAddress, ThredState } from '../model';
import type { SimulationInput } from '../simulate';

export interface CoverOptions {
  groups?: Record<string, string[]>;
  /** Agents of the simulation (default: `org.wt.persistence`, as `threds simulate`). */
  agents?: AgentAddress[];
  /** Most prefixes kept per reaction (default 4). */
  prefixesPerReaction?: number;
  /** Longest sequence, in inputs (default 4 × reactions + 4). */
  maxInputs?: number;
}

export interface CoverTransition {
  id: string;
  from: string;
  to: string | null;
  trigger: 'event' | 'expiry';
  label: string;
  at: string;
  covered: boolean;
  /** Name of the first sequence that takes it. */
  sequence?: string;
  /** Why it could not be taken (the condition that stopped it). */
  reason?: string;
}

export interface CoverSequence {
  name: string;
  /** Ids of the transitions the sequence takes. */
  covers: string[];
  /** Input for `threds simulate` (events and `{ advanceMs }` clock advances). */
  events: SimulationInput[];
  final: { status: ThredState['status'] | null; reaction: string | null };
}

export interface CoverReport {
  valid: boolean;
  errors: { path: string; reason: string }[];
  patternId?: string;
  total: number;
  covered: number;
  transitions: CoverTransition[];
  sequences: CoverSequence[];
}
