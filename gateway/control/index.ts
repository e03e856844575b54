/**
 * Control events (SPEC §14; reference/srvthreds-behaviour.md §4.14): `org.wt.control.sysControl` / `dataControl` /
 * `userControl` events never reach patterns. The ingest path (gateway/ingest.ts) hands them here after the usual
 * validation; the request is stored, the 202/ack answers at once, and the op runs in the background. Its answer is a
 * message to the sender — an `org.wt.tell` with `thredId` SYSTEM, `re` = the request id and `content.values` = the
 * op's result — or an error event (SPEC §9) with the op's SPEC §7 code. Both are stored (events, outbox) like every
 * message, so a sender offline at that moment gets them on its next hello, and pushed to its live sessions on every
 * gateway (replies.ts). The ops are those of the admin REST API (operations.ts): one implementation, two doors.
 */
import type { Message, ThredsEvent } from '../../patterns';
import { ErrorCodes } from '../../patterns/effects';
import type { GatewayDeps, GatewayLimits } from '../types';
import type { SessionHub } from '../session-hub';
import type { Principal } from '../ingest';
import type { RouteResult } from '../routing';
import { createOperations } from './operations';
import { createDataControl } from './data';
import { createWatcher } from './watch';
import { createReplies } from './replies';
import { createOpTables } from './op-tables';
import { ControlTypes, SYSTEM_THRED_ID, controlFailure, holderOf, missing, refusal, type Values } from './protocol';

export { ControlTypes, SYSTEM_THRED_ID, controlFailure };

const CONTROL_TYPES = new Set<string>(Object.values(ControlTypes));

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
  const { sysOps, userOps } = createOpTables({ store, directory, ops, limits: opts.limits, now });
  const { send, reply, errorReply, watchPush } = createReplies({ deps, hub, now, log });
  const watcher = createWatcher({ store, hub, now, pollMs: opts.limits.watchPollMs, push: watchPush, log });
  const inflight = new Set<Promise<void>>();

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
