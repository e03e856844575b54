/**
 * Batch operations over many threds (gateway/plugins/batch.ts). A batch Temporal runs (terminate) keeps only its job
 * id here; a batch the gateway runs itself (transition, reset) keeps its target ids and a cursor, so a gateway that
 * dies mid-way leaves a batch another gateway (or the same one restarted) resumes from the cursor.
 */
import type { Db } from 'mongodb';

export type BatchOp = 'terminate' | 'reset' | 'transition';

export interface BatchError {
  thredId: string;
  reason: string;
}

export interface BatchRecord {
  _id: string;
  op: BatchOp;
  /** The visibility query the targets were selected by (WorkflowType='thred' AND …). */
  query: string;
  /** `temporal`: a Temporal batch job with id = _id; `gateway`: the loop below. */
  runner: 'temporal' | 'gateway';
  /** Op arguments (transition, reset target, reason). */
  args: Record<string, unknown>;
  createdBy: string;
  createdAt: number;
  state: 'running' | 'completed' | 'failed';
  // gateway runner only:
  targets?: string[];
  /** Index into targets of the next thred to act on. */
  cursor?: number;
  done?: number;
  failed?: number;
  errors?: BatchError[];
  /** Last progress write of the runner; a running batch whose heartbeat is old has lost its runner. */
  heartbeatAt?: number;
  owner?: string;
  finishedAt?: number;
}

/** Per-thred errors kept on a batch; counts go on beyond it. */
export const MAX_BATCH_ERRORS = 200;

export function createBatches(db: Db) {
  const coll = db.collection<BatchRecord>('batches');
  return {
    async add(batch: BatchRecord): Promise<void> {
      await coll.insertOne(batch);
    },
    get(id: string): Promise<BatchRecord | null> {
      return coll.findOne({ _id: id });
    },
    /**
     * Records a chunk's outcome and moves the cursor past it, if `owner` still runs the batch. False when another
     * gateway took it over meanwhile (a chunk outlasted the stale limit): that runner must stop, the new one goes on.
     */
    async progress(
      id: string,
      owner: string,
      p: { cursor: number; done: number; errors: BatchError[]; now: number },
    ): Promise<boolean> {
      const batch = await coll.findOne({ _id: id, owner }, { projection: { errors: 1 } });
      if (!batch) return false;
      const kept = [...(batch.errors ?? []), ...p.errors].slice(0, MAX_BATCH_ERRORS);
      const res = await coll.updateOne(
        { _id: id, owner },
        {
          $set: { cursor: p.cursor, errors: kept, heartbeatAt: p.now },
          $inc: { done: p.done, failed: p.errors.length },
        },
      );
      return res.matchedCount === 1;
    },
    /** Keeps a running batch fresh while a long chunk is in flight; false once `owner` no longer runs it. */
    async heartbeat(id: string, owner: string, now: number): Promise<boolean> {
      const res = await coll.updateOne({ _id: id, owner, state: 'running' }, { $set: { heartbeatAt: now } });
      return res.matchedCount === 1;
    },
    /** Ends the batch; with `owner`, only if that runner still owns it (false otherwise). */
    async finish(
      id: string,
      state: 'completed' | 'failed',
      now: number,
      error?: BatchError,
      owner?: string,
    ): Promise<boolean> {
      const res = await coll.updateOne(
        { _id: id, ...(owner !== undefined && { owner }) },
        { $set: { state, finishedAt: now, heartbeatAt: now }, ...(error && { $push: { errors: error } }) },
      );
      return res.matchedCount === 1;
    },
    /** Takes over a gateway-run batch whose runner stopped writing progress before `staleBefore`. */
    async claimStale(owner: string, staleBefore: number, now: number): Promise<BatchRecord[]> {
      const stale = await coll
        .find({ runner: 'gateway', state: 'running', heartbeatAt: { $lt: staleBefore } })
        .toArray();
      const claimed: BatchRecord[] = [];
      for (const b of stale) {
        // Conditional on the heartbeat seen, so of two gateways claiming at once one usually wins (FerretDB's updates
        // are read-then-write; a double claim repeats at most one chunk, which the ops tolerate).
        const res = await coll.updateOne(
          { _id: b._id, heartbeatAt: b.heartbeatAt },
          { $set: { owner, heartbeatAt: now } },
        );
        if (res.modifiedCount === 1) claimed.push({ ...b, owner, heartbeatAt: now });
      }
      return claimed;
    },
  };
}
