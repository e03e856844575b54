/**
 * Push of stored messages to the gateway instances holding the recipients' live sessions. Best effort by design:
 * the outbox (store/outbox.ts) already holds every message, and a client that reconnects with `since` gets what a
 * failed push missed — so a dead gateway costs latency, never a message. Pushes are HTTP calls to each gateway's
 * internal endpoint, made from the same local activity that stores the messages (no extra workflow history).
 */
import type { Message } from '../patterns';
import type { SessionRecord } from '../store';

export interface Push {
  gatewayUrl: string;
  deliveries: { participantId: string; message: Message }[];
}

export type Pusher = (push: Push) => Promise<void>;

/** Groups deliveries by the gateway that holds each recipient's sessions. */
export function planPushes(messages: { message: Message; recipients: string[] }[], sessions: SessionRecord[]): Push[] {
  const byGateway = new Map<string, Push>();
  for (const { message, recipients } of messages) {
    const wanted = new Set(recipients);
    const seen = new Set<string>();
    for (const s of sessions) {
      const key = `${s.gatewayUrl}|${s.participantId}|${message.id}`;
      if (!wanted.has(s.participantId) || seen.has(key)) continue;
      seen.add(key);
      let push = byGateway.get(s.gatewayUrl);
      if (!push) byGateway.set(s.gatewayUrl, (push = { gatewayUrl: s.gatewayUrl, deliveries: [] }));
      push.deliveries.push({ participantId: s.participantId, message });
    }
  }
  return [...byGateway.values()];
}

/** The default pusher: POST to `<gatewayUrl>` with a shared internal token; 2 s timeout. */
export function httpPusher(internalToken: string): Pusher {
  return async (push) => {
    const res = await fetch(push.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${internalToken}` },
      body: JSON.stringify({ deliveries: push.deliveries }),
      signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) throw new Error(`push to ${push.gatewayUrl} failed: HTTP ${res.status}`);
  };
}
