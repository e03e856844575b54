/**
 * Continue-as-new with the door closed. Temporal refuses a continue-as-new when a signal arrived during the workflow
 * task that issued it (UnhandledCommand); the SDK then evicts the run, and the retry replays the whole history —
 * seconds for a long one, while more signals arrive, so under steady load every retry can be refused again (README
 * "Overload and backpressure"). So before an attempt a run says it is closing (closingAt in the read model, which the
 * router reads for every bound event, and then holds the thred's signals) and waits briefly: the signals already on
 * their way land meanwhile and are carried, and the attempt comes in a task nobody signals into. The next run clears
 * the mark as it starts. A gateway that did not hear it costs what it always did: a refused attempt, retried — and a
 * retry that comes long after the mark (a replay after a refusal) says it again first.
 */
import { patched, sleep } from '@temporalio/workflow';
import { engine } from './proxies';

export const CLOSING_PATCH = 'continue-as-new-door-closed';

/** Long enough for a signal already on its way to land; Temporal fires the timer after about a second. */
const QUIET_MS = 600;
/**
 * An attempt this long after the mark (workflow time) says it again: the gateways hold for CLOSING_HOLD_MS
 * (gateway/routing/bound.ts), which must stay longer than this.
 */
const MARK_FRESH_MS = 4000;

const mark = (thredId: string, at: number | null) =>
  engine.markClosing.executeWithOptions(
    { startToCloseTimeout: '20s', summary: at === null ? 'open after continue-as-new' : 'closing for continue-as-new' },
    [{ thredId, at }],
  );

export class Closing {
  private markedAt: number | undefined;
  private asked = false;
  private enabled = false;

  constructor(private readonly thredId: string) {}

  /** A run that its predecessor closed reopens the door (the mark would hold the router's signals until it ages). */
  async opened(closedBefore: boolean | undefined): Promise<void> {
    if (closedBefore) await mark(this.thredId, null);
  }

  /** True when the run may continue as new now; false when it has just said it is closing and waited. */
  async mayContinue(): Promise<boolean> {
    if (!this.asked) {
      this.asked = true;
      this.enabled = patched(CLOSING_PATCH);
    }
    if (!this.enabled) return true;
    const now = Date.now();
    if (this.markedAt !== undefined && now - this.markedAt <= MARK_FRESH_MS) return true;
    this.markedAt = now;
    await mark(this.thredId, now);
    await sleep(QUIET_MS);
    return false;
  }

  /** Whether the next run should reopen the door. */
  get closed(): boolean {
    return this.markedAt !== undefined;
  }
}
