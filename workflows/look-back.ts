/**
 * Look-back (SPEC §15): on entering a reaction with `lookBack`, the stored events of its window the thred has not
 * handled are read and offered first. Patterns without `lookBack` never read, so their command sequence is what it
 * always was.
 */
import type { Pattern, ThredState } from '../patterns/thred-machine';
import type { QueueItem } from './messages';
import { lookBacks } from './proxies';
import type { ThredRun } from './thred-run';

export class LookBack {
  /** The reaction entry (generation) last looked back for; a carried state's was, before continue-as-new. */
  private lookedBack: number;

  constructor(
    private readonly pattern: Pattern,
    carried: ThredState | undefined,
  ) {
    this.lookedBack = carried ? carried.reactionGeneration : 0;
  }

  /** The `lookBack.interval` of the reaction just entered, until its read was made; else undefined. */
  due(state: ThredState): number | undefined {
    if (state.status !== 'active' || state.reactionGeneration === this.lookedBack) return undefined;
    return this.pattern.reactions.find((r) => r.name === state.reaction)?.lookBack?.interval;
  }

  /**
   * Runs after the entering step is recorded (so its recipients are participants and the thred log is complete): the
   * events found go to the front of the queue, oldest first. Queued ones keep their place; the read's answer is
   * recorded, so replay offers the same events.
   */
  async read({ thredId, state, queue, seen }: Pick<ThredRun, 'thredId' | 'state' | 'queue' | 'seen'>): Promise<void> {
    const interval = this.due(state);
    if (interval === undefined) return;
    this.lookedBack = state.reactionGeneration;
    const queued = new Set(queue.flatMap((item) => (item.kind === 'event' ? [item.event.id] : [])));
    const found = await lookBacks.lookBack.executeWithOptions(
      { startToCloseTimeout: '20s', summary: `look back ${interval} ms on entering ${state.reaction}` },
      [{ thredId, participants: state.participants, since: state.reactionEnteredAt - interval, exclude: [...queued] }],
    );
    // Items queued while the read ran are not offered twice either.
    for (const item of queue) if (item.kind === 'event') queued.add(item.event.id);
    const offered = found.filter((event) => !queued.has(event.id));
    for (const event of offered) seen.add(event.id); // a late signal of the same event is then a duplicate
    queue.unshift(...offered.map((event): QueueItem => ({ kind: 'event', event })));
  }
}
