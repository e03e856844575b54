/**
 * The gateway's own batch runner (transition, reset): a bounded loop (at most `batchMaxTargets` ids, fixed at the
 * start, CONCURRENCY at a time) whose cursor is stored after every chunk. A gateway that stops leaves the batch to the
 * next one that notices its heartbeat is old (a chunk in flight at that moment may run twice); a runner renews the
 * heartbeat during a long chunk, and stops if another gateway took the batch over meanwhile.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Transition } from '../../../patterns';
import type { BatchError, BatchRecord, createBatches } from '../../../store/batches';
import { createOperations, type OperationDeps } from '../../control/operations';
import { toErrorBody } from '../../errors';
import { resetThred } from '../../thred-reset';
import type { BatchBody } from './schemas';

const CONCURRENCY = 8;
/** A running gateway batch without progress for this long has lost its runner. */
const STALE_MS = 60_000;
const RESUME_EVERY_MS = 20_000;
/** While a chunk runs, its runner renews the heartbeat this often, so a slow chunk does not look like a dead runner. */
const HEARTBEAT_MS = STALE_MS / 3;

/** Our errors' own message; an unexpected one's raw text (the admin reading the batch needs the cause). */
function reasonOf(err: unknown): string {
  const body = toErrorBody(err);
  return body.statusCode === 500 ? String((err as Error)?.message ?? err) : body.message;
}

export function createBatchRunner(opts: {
  deps: OperationDeps;
  batches: ReturnType<typeof createBatches>;
  /** This runner's identity in the batch records it owns. */
  owner: string;
  now: () => number;
  log: FastifyBaseLogger;
}) {
  const { deps, batches, owner, now, log } = opts;
  const { client, store } = deps;
  const ops = createOperations(deps);
  const running = new Set<Promise<void>>();
  let closing = false;
  let timer: NodeJS.Timeout | undefined;

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
      batches.heartbeat(b._id, owner, now()).then(
        (owned) => (lost ||= !owned),
        (err: unknown) => log.warn({ err, batchId: b._id }, 'batch heartbeat not written'),
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
        if (!(await batches.progress(b._id, owner, { cursor, done, errors: failures, now: now() }))) lost = true;
      }
      if (lost) log.info({ batchId: b._id, cursor }, 'batch taken over by another gateway; this runner stops');
      else if (cursor >= targets.length) await batches.finish(b._id, 'completed', now(), undefined, owner);
    } catch (err) {
      // The store failed: leave the batch running; its heartbeat ages and a gateway resumes it from the cursor.
      log.error({ err, batchId: b._id }, 'batch runner stopped');
    } finally {
      clearInterval(beat);
    }
  }

  /** Runs a stored batch in the background, from its cursor. */
  function launch(b: BatchRecord): void {
    const p = runLoop(b).finally(() => running.delete(p));
    running.add(p);
  }

  async function resumeStale(): Promise<void> {
    if (closing) return;
    try {
      for (const b of await batches.claimStale(owner, now() - STALE_MS, now())) {
        log.info({ batchId: b._id, cursor: b.cursor }, 'resuming a batch whose runner stopped');
        launch(b);
      }
    } catch (err) {
      log.warn({ err }, 'could not look for stale batches');
    }
  }

  return {
    launch,
    /** Takes over batches whose runner stopped, now and every RESUME_EVERY_MS. */
    start(): void {
      void resumeStale();
      timer = setInterval(() => void resumeStale(), RESUME_EVERY_MS);
      timer.unref();
    },
    /** Lets every running batch finish its chunk and stop; their cursors stay for the next runner. */
    async close(): Promise<void> {
      closing = true;
      if (timer) clearInterval(timer);
      await Promise.allSettled([...running]);
    },
  };
}
