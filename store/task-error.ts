/**
 * A permanent failure of a persistence task (SPEC §6, §7), with its SPEC §7 code. Here, below the edges, because the
 * task compiler (persistence-query.ts) serves both the persistence agent (activities/) and dataControl events
 * (gateway/control); activities/agents/errors.ts re-exports it as the agents' TaskError.
 */
export class TaskError extends Error {
  override name = 'TaskError';
  readonly permanent = true;
  constructor(
    message: string,
    readonly code: number = 5200,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
