/** Reaction expiry as durable timers: a fired timer queues an `expire` item, which the loop takes like any other. */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { QueueItem, ThredInput } from './messages';

type CarriedTimer = NonNullable<NonNullable<ThredInput['carried']>['timer']>;

export class ExpiryTimers {
  private readonly running = new Map<string, CarriedTimer & { scope: CancellationScope }>();

  constructor(private readonly queue: QueueItem[]) {}

  start(reaction: string, generation: number, ms: number): void {
    const key = timerKey(reaction, generation);
    const scope = new CancellationScope();
    this.running.set(key, { scope, reaction, generation, dueAt: Date.now() + ms });
    scope
      .run(() => sleep(ms, { summary: `expiry of reaction ${reaction}` }))
      .then(
        () => {
          this.running.delete(key);
          this.queue.push({ kind: 'expire', reaction, generation });
        },
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      );
  }

  /** The timer a previous run carried, for what is left of its time: one already due fires at once. */
  resume(timer: CarriedTimer): void {
    this.start(timer.reaction, timer.generation, Math.max(1, timer.dueAt - Date.now()));
  }

  cancel(reaction: string, generation: number): void {
    const key = timerKey(reaction, generation);
    this.running.get(key)?.scope.cancel();
    this.running.delete(key);
  }

  /** What continue-as-new carries: leaving a reaction cancels its expiry, so at most one runs (the current reaction's). */
  toCarry(): CarriedTimer | undefined {
    const timer = [...this.running.values()][0];
    return timer && { reaction: timer.reaction, generation: timer.generation, dueAt: timer.dueAt };
  }
}

function timerKey(reaction: string, generation: number): string {
  return `${reaction}#${generation}`;
}
