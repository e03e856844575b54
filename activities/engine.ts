/**
 * The thred's bookkeeping, run as ONE local activity per batch of steps (often one handled event) so it costs a
 * single marker in the workflow history: resolve addresses, then write what ./step-writes.ts plans (outbound events,
 * outbox, transition log, the thred snapshot behind GET /threds, dead letters, the instance slot of an ended thred)
 * in one concurrent round, then push the messages to live sessions. Every write is keyed by thred, step and event
 * ids, so a re-run after a crash writes nothing twice.
 */
import { Context } from '@temporalio/activity';
import type { ErrorEffect, Message, Pattern, ThredLogEffect, ThredState, ThredsEvent } from '../patterns';
import type { Store } from '../store';
import type { Directory } from '../store/directory';
import { resolveAddresses } from './addresses';
import { planPushes, type Pusher } from './delivery';
import { adminNotices } from './admin-notices';
import { joining, planStepWrites, writeSteps, type ResolvedMessage } from './step-writes';

export interface StepBatch {
  thredId: string;
  /** `limited`: the pattern has maxInstances or instanceInterval, so an ended thred releases its slot. */
  pattern: { id: string; name?: string; version?: number; limited?: boolean };
  /** In the order the thred took them. */
  steps: StepRecord[];
  /** Items left in the thred's queue once the batch was taken (the gateway's backpressure reads it). */
  queued?: number;
}

export interface StepRecord {
  /** Monotonic per thred across continue-as-new (handled items so far): versions the snapshot and keys the log. */
  step: number;
  time: number;
  state: ThredState;
  /** The thred is active and its current reaction takes unbound events (the router offers it unbound events). */
  acceptsUnbound: boolean;
  logs: ThredLogEffect[];
  /** Messages to people: `to` still holds addresses ($thred, groups, …). */
  messages: { message: Message; senderId?: string }[];
  errors: ErrorEffect[];
  /** Requests to agents (stored as outbound events; the call itself is an activity on the agent's queue). */
  agentMessages: Message[];
  deadLetters: { message: Message; nodeType: string; error: string }[];
  /** Inbound events no router stored (agent replies): stored with the step that took them. */
  inbound?: ThredsEvent[];
  /** The step's span (telemetry/trace-context.ts) when the event it handled carried a trace. */
  traceparent?: string;
}

export interface SpawnAdmission {
  parentThredId: string;
  /** The parent's step that spawned: orders the refusal in the parent's log. */
  step: number;
  patternId: string;
  thredId: string;
  limits: { maxInstances?: number; instanceInterval?: number };
}

export interface StepResult {
  /** Resolved human recipients of the batch's messages: the workflow adds them to the thred's participants. */
  recipients: string[];
}

export interface EngineDeps {
  store: Store;
  directory: Directory;
  push?: Pusher;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** The worker's activity logger (Temporal routes it to the runtime's logger); silent outside an activity. */
function activityLog(msg: string, fields?: Record<string, unknown>): void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return;
  }
  context.log.warn(msg, fields);
}

export function createEngineActivities(deps: EngineDeps) {
  const { store, directory } = deps;
  const agentIds = new Set(directory.agents.flatMap((a) => [a.nodeType, ...(a.nodeIds ?? [])]));
  const log = deps.log ?? activityLog;

  async function withRole(role: string): Promise<string[]> {
    const fromModel = Object.entries(directory.roles)
      .filter(([, roles]) => roles.includes(role))
      .map(([id]) => id);
    return [...new Set([...fromModel, ...(await store.participants.withRole(role))])];
  }

  /** The batch's messages, error events and admin notices, in step order, with their recipients resolved. */
  async function resolveBatch({ thredId, pattern, steps }: StepBatch): Promise<ResolvedMessage[]> {
    const resolved: ResolvedMessage[] = [];
    const recipients = new Set<string>();
    for (const rec of steps) {
      // $thred includes recipients added by earlier steps of this batch (the workflow adds them after the batch).
      const book = {
        thredParticipants: [...new Set([...rec.state.participants, ...recipients])],
        groups: directory.groups,
        withRole,
        live: () => store.sessions.liveParticipants(),
        agentIds,
      };
      for (const [ordinal, { message }] of rec.messages.entries()) {
        const { ids, unknown, reasons } = await resolveAddresses(message.to, book);
        if (unknown.length > 0) log('addresses resolve to nobody', { thredId, unknown, reasons });
        resolved.push({
          message: { ...message, to: ids },
          recipients: ids,
          time: rec.time,
          origin: { step: rec.step, ordinal },
          widens: true,
        });
        ids.forEach((id) => recipients.add(id));
      }
      // Error events go to their sender or to the thred's people (never to agents), and never widen the thred.
      for (const err of rec.errors) {
        const { ids } = await resolveAddresses(err.to ?? ['$thred'], book);
        const people = ids.filter((id) => !agentIds.has(id));
        resolved.push({
          message: { id: err.event.id, to: people, event: err.event },
          recipients: people,
          time: rec.time,
        });
      }
      // Step errors and dead letters also reach the admins online (rate-limited per thred).
      const notices = await adminNotices({
        store,
        thredId,
        pattern,
        time: rec.time,
        errors: rec.errors,
        deadLetters: rec.deadLetters,
        book,
      });
      resolved.push(...notices);
    }
    return resolved;
  }

  return {
    async recordSteps(batch: StepBatch): Promise<StepResult> {
      const resolved = await resolveBatch(batch);
      const writes = planStepWrites(batch, resolved, (id) => agentIds.has(id));
      const reached = [...new Set(resolved.flatMap((r) => r.recipients))];
      const [, sessions] = await Promise.all([
        writeSteps(store, writes),
        reached.length > 0 && deps.push ? store.sessions.forParticipants(reached) : undefined,
      ]);

      // Pushed only once stored: a message that reached a client is always in the outbox too.
      if (sessions) {
        await Promise.all(
          planPushes(resolved, sessions).map((p) =>
            deps.push!(p).catch((err: unknown) =>
              log('push failed; message stays in the outbox', { err: String(err) }),
            ),
          ),
        );
      }
      return { recipients: joining(resolved).filter((p) => !agentIds.has(p)) };
    },

    /**
     * The run is about to continue as new: the read model says so (closingAt), so that gateways hold the thred's
     * signals until the next run takes them (README "Overload and backpressure").
     */
    async markClosing({ thredId, at }: { thredId: string; at: number | null }): Promise<void> {
      await store.threds.markClosing(thredId, at);
    },

    /** Pattern snapshots for spawn (a spawned thred runs the pattern version current at spawn time). */
    async loadPatterns(ids: string[]): Promise<(Pattern | null)[]> {
      return Promise.all(ids.map((id) => store.patterns.get(id)));
    },
    /**
     * A spawned thred counts against its pattern's maxInstances/instanceInterval like a started one (SPEC §4); a
     * refusal is recorded in the parent's log. Idempotent per thred id, so a retried activity admits once.
     */
    async admitSpawn(req: SpawnAdmission): Promise<{ ok: true } | { ok: false; reason: string }> {
      const now = Date.now();
      const admission = await store.instances.admit(req.patternId, req.thredId, req.limits, now);
      if (admission.ok) return { ok: true };
      await store.thredLog.append([
        {
          _id: `${req.parentThredId}:refused:${req.thredId}`,
          thredId: req.parentThredId,
          seq: req.step,
          kind: 'refused',
          from: null,
          to: null,
          detail: `spawn of ${req.thredId} refused: ${admission.reason}`,
          time: now,
        },
      ]);
      return { ok: false, reason: admission.reason };
    },
  };
}

export type EngineActivities = ReturnType<typeof createEngineActivities>;
