/**
 * The answers of control events: a reply (`org.wt.tell`, `re` = the request id, `content.values` = the op's result),
 * an error event with the op's SPEC §7 code, and watchThreds pushes. A reply is stored (events, outbox) like every
 * message, so a sender offline at that moment gets it on its next hello, and is pushed to its live sessions on every
 * gateway.
 */
import type { Message, ThredsEvent } from '../../patterns';
import type { EventData } from '../../patterns/model';
import { systemEvent } from '../../patterns/effects';
import type { ThredRecord, WatchRecord } from '../../store';
import type { GatewayDeps } from '../types';
import type { SessionHub } from '../session-hub';
import { newEventId } from '../ingest';
import { originalThred } from './views';
import { SYSTEM_THRED_ID, type Values } from './protocol';

export function createReplies(opts: {
  deps: Pick<GatewayDeps, 'store' | 'gatewayId' | 'internalToken'>;
  hub: SessionHub;
  now: () => number;
  log: { warn(fields: Record<string, unknown>, msg: string): void };
}) {
  const { deps, hub, now, log } = opts;
  const { store } = deps;

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

  /** A SYSTEM-thred message to one participant, answering `re`. */
  function answer(id: string, to: string, re: string, data: EventData): Message {
    const event = systemEvent({ now: now(), newId: () => id }, SYSTEM_THRED_ID, data, { re });
    return { id, to: [to], event };
  }

  function reply(request: ThredsEvent, values: Values): Message {
    return answer(`${request.id}:reply`, request.source.id, request.id, {
      title: title(request.id),
      content: { values },
    });
  }

  function errorReply(request: ThredsEvent, failure: { code: number; message: string }): Message {
    return answer(`${request.id}:error`, request.source.id, request.id, {
      title: `Failure processing Event ${request.id} : ${failure.message}`,
      content: { error: failure },
    });
  }

  function watchPush(w: WatchRecord, record: ThredRecord): Message {
    // Pushes are live only: a fresh id, nothing to keep idempotent.
    return answer(newEventId(), w.participantId, w.requestId, {
      title: title(w.requestId),
      content: { values: { threds: [originalThred(record)] } },
    });
  }

  return { send, reply, errorReply, watchPush };
}
