/**
 * Control events (SPEC §14; reference/srvthreds-behaviour.md §4.14): `org.wt.control.sysControl` / `dataControl` /
 * `userControl` events never reach patterns. The ingest path (gateway/ingest.ts) hands them here after the usual
 * validation; the request is stored, the 202/ack answers at once, and the op runs in the background. Its answer is a
 * message to the sender — an `org.wt.tell` with `thredId` SYSTEM, `re` = the request id and `content.values` = the
 * op's result — or an error event (SPEC §9) with the op's SPEC §7 code. Both are stored (events, outbox) like every
 * message, so a sender offline at that moment gets them on its next hello, and pushed to its live sessions on every
 * gateway. The ops are those of the admin REST API (operations.ts): one implementation, two doors.
 */
import type { Message, ThredsEvent } from '../../patterns';
import { ErrorCodes, systemEvent } from '../../patterns/effects';
import { TaskError } from '../../store/task-error';
import type { ThredRecord, WatchRecord } from '../../store';
import type { GatewayDeps, GatewayLimits } from '../types';
import type { SessionHub } from '../session-hub';
import { newEventId, type Principal } from '../ingest';
import type { RouteResult } from '../routing';
import { toErrorBody } from '../errors';
import { createOperations } from './operations';
import { createDataControl } from './data';
import { createWatcher } from './watch';
import { matches } from './matcher';
import { eventRecord, originalThred } from './views';
import { translateMatcher } from '../../store/persistence-query';
import { isRecord } from '../../patterns/json';

export const ControlTypes = {
  sys: 'org.wt.control.sysControl',
  data: 'org.wt.control.dataControl',
  user: 'org.wt.control.userControl',
} as const;
export const SYSTEM_THRED_ID = 'SYSTEM';
const CONTROL_TYPES = new Set<string>(Object.values(ControlTypes));

/** A refusal with its SPEC §7 code (TaskError: the persistence compiler's failures carry codes the same way). */
const refusal = (code: number, message: string) => new TaskError(message, code);
const missing = (name: string) => refusal(ErrorCodes.MISSING_ARGUMENT, `missing argument: ${name}`);

/** Registry codes of the shared operations → SPEC §7 codes. */
const CODE_OF: Record<string, number> = {
  THREDS_ERR_VALIDATION: ErrorCodes.ARGUMENT_VALIDATION_ERROR,
  THREDS_ERR_THRED_NOT_FOUND: ErrorCodes.THRED_DOES_NOT_EXIST,
  THREDS_ERR_THRED_ENDED: ErrorCodes.THRED_DOES_NOT_EXIST,
  THREDS_ERR_PATTERN_NOT_FOUND: ErrorCodes.OBJECT_NOT_FOUND,
  THREDS_ERR_FORBIDDEN: ErrorCodes.UNAUTHORIZED,
};

/** The SPEC §7 code and message an op failure is reported with. */
export function controlFailure(err: unknown): { code: number; message: string } {
  if (err instanceof TaskError) return { code: err.code, message: err.message };
  const body = toErrorBody(err);
  // The request was stored before its op ran, so a re-sent id is never run again: unlike an ordinary event's 503,
  // the client has to send the request again under a new id.
  if (body.code === 'THREDS_ERR_UNAVAILABLE')
    return {
      code: ErrorCodes.SERVER_ERROR,
      message: 'Temporal or the store is unavailable; send the request again with a new id',
    };
  const code = CODE_OF[body.code];
  if (code !== undefined) return { code, message: body.message };
  return {
    code: ErrorCodes.SERVER_ERROR,
    message: body.statusCode === 500 ? `server error: ${(err as Error)?.message ?? String(err)}` : body.message,
  };
}

type Values = Record<string, unknown>;

/**
 * The object whose own `name` is set, searched as `$valueNamed` searches (own key first, then each property value in
 * key order, arrays element by element): the original finds `op` this way, and its arguments beside it.
 */
function holderOf(values: unknown, name: string, depth = 0): Values | undefined {
  if (depth > 32) return undefined;
  if (Array.isArray(values)) {
    for (const item of values) {
      const found = holderOf(item, name, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (!isRecord(values)) return undefined;
  if (values[name] !== undefined && values[name] !== null) return values;
  for (const key of Object.keys(values)) {
    const found = holderOf(values[key], name, depth + 1);
    if (found) return found;
  }
  return undefined;
}

type Op = (args: { event: ThredsEvent; values: Values; principal: Principal }) => Promise<Values>;

export interface ControlOptions {
  deps: GatewayDeps;
  hub: SessionHub;
  limits: Pick<GatewayLimits, 'watchTtlMs' | 'watchPollMs'>;
  now: () => number;
  log: {
    warn(fields: Record<string, unknown>, msg: string): void;
    error(fields: Record<string, unknown>, msg: string): void;
  };
}

export function createControl(opts: ControlOptions) {
  const { deps, hub, now, log } = opts;
  const { store, directory } = deps;
  const ops = createOperations(deps);
  const data = createDataControl({ store, router: deps.router, now });
  const inflight = new Set<Promise<void>>();

  // Arguments sit beside `op` in the object that holds it (a deep search for each would find a matcher's field).
  const arg = (values: Values, name: string): unknown => values[name];
  const stringArg = (values: Values, name: string, required: boolean): string | undefined => {
    const v = arg(values, name);
    if (v === undefined || v === null || v === '') {
      if (required) throw missing(name);
      return undefined;
    }
    if (typeof v !== 'string') throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, `${name} must be a string`);
    return v;
  };

  const title = (id: string) => `System Event -> Thred: ${SYSTEM_THRED_ID} -> Re: Event: ${id}`;

  /** Stores a reply for `to` and pushes it to its live sessions (here directly, elsewhere via the internal push). */
  async function send(message: Message): Promise<void> {
    const at = now();
    await Promise.all([
      store.events.saveOutbound(message.event, message.to, at),
      store.outbox.add(message, message.to, at),
    ]);
    for (const p of message.to) for (const s of hub.sessionsOf(p)) hub.deliver(s, message);
    // The other gateways' internal endpoint, as thred workers push (activities/delivery.ts); best effort.
    const elsewhere = (await store.sessions.forParticipants(message.to)).filter((r) => r.gatewayId !== deps.gatewayId);
    const byGateway = new Map<string, { participantId: string; message: Message }[]>();
    for (const r of elsewhere) {
      const list = byGateway.get(r.gatewayUrl) ?? [];
      if (!list.some((d) => d.participantId === r.participantId))
        list.push({ participantId: r.participantId, message });
      byGateway.set(r.gatewayUrl, list);
    }
    await Promise.all(
      [...byGateway].map(async ([url, deliveries]) => {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${deps.internalToken}` },
            body: JSON.stringify({ deliveries }),
            signal: AbortSignal.timeout(2000),
          });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
        } catch (err) {
          log.warn({ err: String(err), gatewayUrl: url }, 'push failed; the reply stays in the outbox');
        }
      }),
    );
  }

  function reply(request: ThredsEvent, values: Values): Message {
    const id = `${request.id}:reply`;
    const event = systemEvent(
      { now: now(), newId: () => id },
      SYSTEM_THRED_ID,
      { title: title(request.id), content: { values } },
      { re: request.id },
    );
    return { id, to: [request.source.id], event };
  }

  function errorReply(request: ThredsEvent, failure: { code: number; message: string }): Message {
    const id = `${request.id}:error`;
    const event = systemEvent(
      { now: now(), newId: () => id },
      SYSTEM_THRED_ID,
      { title: `Failure processing Event ${request.id} : ${failure.message}`, content: { error: failure } },
      { re: request.id },
    );
    return { id, to: [request.source.id], event };
  }

  function watchPush(w: WatchRecord, record: ThredRecord): Message {
    const id = newEventId(); // pushes are live only: nothing to keep idempotent
    const event = systemEvent(
      { now: now(), newId: () => id },
      SYSTEM_THRED_ID,
      { title: title(w.requestId), content: { values: { threds: [originalThred(record)] } } },
      { re: w.requestId },
    );
    return { id, to: [w.participantId], event };
  }

  const watcher = createWatcher({ store, hub, now, pollMs: opts.limits.watchPollMs, push: watchPush, log });

  /** getThreds' selection: `status` active (default; finished included) | terminated | all, `thredIds`, `terminatedMatcher`. */
  async function selectThreds(values: Values, participant?: string): Promise<ThredRecord[]> {
    const status = stringArg(values, 'status', false) ?? 'active';
    if (!['active', 'terminated', 'all'].includes(status)) {
      throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, 'status must be one of "active", "terminated", "all"');
    }
    const thredIds = arg(values, 'thredIds');
    if (thredIds !== undefined && (!Array.isArray(thredIds) || !thredIds.every((t) => typeof t === 'string'))) {
      throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, 'thredIds must be an array of thred ids');
    }
    const rawMatcher = arg(values, 'terminatedMatcher');
    // The matcher is on the original's archive records `{ id, thred: <Thred JSON> }` (same operators as persistence).
    const matcher = rawMatcher === undefined ? undefined : translateMatcher(rawMatcher, '/terminatedMatcher');
    const all = await ops.listAll(participant === undefined ? {} : { participant });
    return all.filter((r) => {
      if (thredIds && !(thredIds as string[]).includes(r._id)) return false;
      if (r.status === 'terminated') {
        if (status === 'active') return false;
        return matcher === undefined || matches({ _id: r._id, thred: originalThred(r) }, matcher);
      }
      return status !== 'terminated';
    });
  }

  const asParticipant = (p: Principal): Principal => ({ ...p, admin: false });

  const sysOps: Record<string, Op> = {
    async transitionThred({ values }) {
      const thredId = stringArg(values, 'thredId', true)!;
      const transition = arg(values, 'transition');
      if (transition === undefined || transition === null) throw missing('transition');
      if (
        typeof transition !== 'object' ||
        Array.isArray(transition) ||
        typeof (transition as { name?: unknown }).name !== 'string'
      ) {
        throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, 'transition must be a transition object with a name');
      }
      await ops.transition(thredId, transition as never);
      return { thredId };
    },
    async terminateThred({ values, principal }) {
      const thredId = stringArg(values, 'thredId', true)!;
      await ops.terminate(thredId, `terminated by ${principal.id} (sysControl)`);
      return { thredId };
    },
    async getThreds({ values }) {
      return { threds: (await selectThreds(values)).map(originalThred) };
    },
    async watchThreds({ event, values, principal }) {
      const directive = stringArg(values, 'directive', false) ?? 'start';
      const t = now();
      if (directive === 'start') await store.watches.start(principal.id, event.id, t, opts.limits.watchTtlMs);
      else if (directive === 'renew') await store.watches.renew(principal.id, event.id, t, opts.limits.watchTtlMs);
      else if (directive === 'stop') await store.watches.stop(principal.id);
      else throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, 'directive must be one of "start", "renew", "stop"');
      return { directive };
    },
    async reloadPattern({ values }) {
      const patternId = stringArg(values, 'patternId', true)!;
      await ops.reloadPattern(patternId);
      return { patternId };
    },
    async reloadAllPatterns() {
      ops.reloadAllPatterns();
      return {};
    },
    async terminateAllThreds({ principal }) {
      const { failed } = await ops.terminateAll(`terminated by ${principal.id} (sysControl terminateAllThreds)`);
      if (failed.length > 0) {
        throw new Error(
          `${failed.length} thred(s) could not be terminated: ${failed
            .slice(0, 5)
            .map((f) => `${f.thredId} (${f.reason})`)
            .join(', ')}`,
        );
      }
      return {};
    },
    async shutdown() {
      throw refusal(
        ErrorCodes.ARGUMENT_VALIDATION_ERROR,
        'shutdown is not available: Threds processes are managed by their supervisor',
      );
    },
  };

  const userOps: Record<string, Op> = {
    async getThreds({ values, principal }) {
      const records = await selectThreds(values, principal.id);
      const results = await Promise.all(
        records.map(async (r) => {
          const last = await store.events.latestForThred(r._id, principal.id);
          return { thred: originalThred(r), lastEvent: last ? eventRecord(last) : null };
        }),
      );
      const at = (x: (typeof results)[number]) => x.lastEvent?.timestamp ?? x.thred.lastUpdateTime;
      return { results: results.sort((a, b) => at(b) - at(a)) };
    },
    async getEvents({ values, principal }) {
      const thredId = stringArg(values, 'thredId', true)!;
      const events = await ops.events(asParticipant(principal), thredId);
      return { events: events.map(eventRecord) };
    },
    async getSystemSpec() {
      return { systemSpec: await systemSpec() };
    },
  };

  /** SystemSpec (reference §2.13): the agents as services, the participants and the groups of the sessions model. */
  async function systemSpec(): Promise<Values> {
    const participants = new Map<string, { id: string; name?: string }>();
    for (const p of await store.participants.list())
      participants.set(p.id, { id: p.id, ...(p.name !== undefined && { name: p.name }) });
    for (const id of [...Object.keys(directory.roles), ...Object.values(directory.groups).flat()]) {
      if (!participants.has(id)) participants.set(id, { id });
    }
    return {
      serviceSpecs: directory.agents.map((a) => ({
        name: a.name ?? a.nodeType,
        nodeType: a.nodeType,
        address: a.nodeType,
        ...(a.nodeIds && { nodeIds: a.nodeIds }),
        entitySpecs: [],
        outputSpecs: [{ eventType: a.nodeType, eventContentType: 'values', eventContentSpecs: [] }],
      })),
      addressSpec: {
        participants: [...participants.values()],
        groups: Object.entries(directory.groups).map(([name, ids]) => ({
          name,
          participants: ids.map((participantId) => ({ participantId })),
        })),
      },
    };
  }

  /** The op's result values, or a thrown failure. */
  async function execute(event: ThredsEvent, principal: Principal): Promise<Values> {
    if (event.thredId !== SYSTEM_THRED_ID)
      throw refusal(ErrorCodes.MISSING_ARGUMENT, `a control event needs thredId "${SYSTEM_THRED_ID}"`);
    if (event.type !== ControlTypes.user && !principal.admin) {
      throw refusal(ErrorCodes.UNAUTHORIZED, `${event.type} needs role admin`);
    }
    const content = event.data?.content;
    if (event.type === ControlTypes.data) {
      if (content?.tasks === undefined) throw missing('content.tasks');
      return { status: 'OK', ...(await data.run(content.tasks)) };
    }
    const values = (content?.values ?? {}) as Values;
    const holder = holderOf(values, 'op');
    const op = holder?.op;
    if (op === undefined || op === null || op === '') throw missing('op');
    const table = event.type === ControlTypes.sys ? sysOps : userOps;
    if (typeof op !== 'string' || !Object.hasOwn(table, op)) {
      throw refusal(
        ErrorCodes.ARGUMENT_VALIDATION_ERROR,
        `unknown ${event.type.split('.').pop()} op ${JSON.stringify(op)} (known: ${Object.keys(table).join(', ')})`,
      );
    }
    const result = await table[op]!({ event, values: holder!, principal });
    return { status: 'OK', op, ...result };
  }

  async function run(event: ThredsEvent, principal: Principal): Promise<void> {
    let message: Message;
    try {
      message = reply(event, await execute(event, principal));
    } catch (err) {
      const failure = controlFailure(err);
      if (failure.code === ErrorCodes.SERVER_ERROR) log.error({ err, eventId: event.id }, 'control op failed');
      message = errorReply(event, failure);
    }
    await send(message);
  }

  return {
    /** Whether `event` is a control event (whatever its thredId: a control type never reaches patterns). */
    handles(event: ThredsEvent): boolean {
      return CONTROL_TYPES.has(event.type);
    },
    /** Stores the request and starts its op; the answer arrives as a message. A re-sent id runs nothing again. */
    async handle(event: ThredsEvent, principal: Principal): Promise<RouteResult> {
      const result: RouteResult = { eventId: event.id, thredIds: [], started: [], refused: [] };
      if (!(await store.events.saveInbound(event, now()))) return result;
      const job = run(event, principal)
        .catch((err: unknown) => log.error({ err, eventId: event.id }, 'control reply not delivered'))
        .finally(() => inflight.delete(job));
      inflight.add(job);
      return result;
    },
    start(): void {
      watcher.start();
    },
    async close(): Promise<void> {
      await watcher.close();
      await Promise.all([...inflight]);
    },
    watcher,
  };
}

export type Control = ReturnType<typeof createControl>;
