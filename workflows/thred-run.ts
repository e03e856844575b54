/** What one run of a thred holds in memory: the modules beside the workflow are handed it, or the part they need. */
import { uuid4 } from '@temporalio/workflow';
import { start, type Ctx, type Pattern, type ThredState } from '../patterns/thred-machine';
import type { EngineSettings, QueueItem, ThredInput, ThredSnapshot } from './messages';
import { RecentIds } from './recent-ids';

export interface ThredRun {
  readonly thredId: string;
  readonly pattern: Pattern;
  readonly patternId: string;
  readonly settings: EngineSettings;
  /** How many runs came before this one (continue-as-new count). */
  readonly number: number;
  state: ThredState;
  /** The last step taken, counted across runs: versions the snapshot and keys the log. */
  step: number;
  /** Items accepted and not yet taken, in arrival order. */
  readonly queue: QueueItem[];
  readonly seen: RecentIds;
}

/** Restored from what continue-as-new carried, or started fresh from the pattern. */
export function startRun(input: ThredInput): ThredRun {
  const { pattern, thredId, settings, carried, spawn } = input;
  return {
    thredId,
    pattern,
    patternId: pattern.id ?? thredId, // stored patterns are normalized: id is always set
    settings,
    number: carried ? carried.run + 1 : 0,
    state:
      carried?.state ??
      start(pattern, thredId, ctx(settings), {
        ...(spawn && {
          parentThredId: spawn.parentThredId,
          spawnType: spawn.spawnType,
          ...(spawn.locals && { locals: spawn.locals }),
          ...(spawn.participants && { participants: spawn.participants }),
        }),
      }),
    step: carried?.step ?? 0,
    queue: [...(carried?.queue ?? [])],
    seen: new RecentIds(carried?.seen ?? [], settings.seenLimit),
  };
}

/** The interpreter's inputs besides the pattern and state: time and ids come from the workflow, so replay sees them again. */
export function ctx(settings: EngineSettings): Ctx {
  return { now: Date.now(), newId: uuid4, groups: settings.groups, agents: settings.agents };
}

/** An active thred whose current reaction takes unbound events (the router's index lists it). */
export function acceptingUnbound({ pattern, state }: Pick<ThredRun, 'pattern' | 'state'>): boolean {
  return (
    state.status === 'active' && pattern.reactions.find((r) => r.name === state.reaction)?.allowUnboundEvents === true
  );
}

/** What the state query (and a control caller) is answered. */
export function snapshotOf(run: ThredRun, inFlightAgentCalls: number): ThredSnapshot {
  return {
    thredId: run.thredId,
    patternId: run.patternId,
    ...(run.pattern.version !== undefined && { patternVersion: run.pattern.version }),
    state: run.state,
    queued: run.queue.length,
    inFlightAgentCalls,
    step: run.step,
    run: run.number,
    acceptsUnbound: acceptingUnbound(run),
  };
}
