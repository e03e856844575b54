/**
 * Opening a session after a valid hello: registered in the hub and in store.sessions (so other processes can push to
 * it), older sessions of the participant beyond sessionsPerParticipant closed, then welcome and the outbox replay.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Store } from '../../../store';
import type { GatewayLimits } from '../../types';
import type { Session, SessionHub } from '../../session-hub';
import type { Principal } from '../../ingest';
import { send, sendError } from './frames';

/** Closed because the participant opened more than sessionsPerParticipant sessions on this instance. */
export const WS_TOO_MANY_SESSIONS = 4429;
const OUTBOX_PAGE = 1000;

export interface SessionOpener {
  store: Store;
  hub: SessionHub;
  limits: Pick<GatewayLimits, 'heartbeatMs' | 'sessionsPerParticipant'>;
  gatewayId: string;
  /** Where other processes push to this instance's sessions (POST /internal/deliver). */
  gatewayUrl: () => string;
  now: () => number;
  log: FastifyBaseLogger;
}

async function replay(store: Store, hub: SessionHub, s: Session, since: number): Promise<void> {
  for (let page = 0, from = since; page < 50; page++) {
    const entries = await store.outbox.since(s.participantId, from);
    const fresh = entries.filter((e) => !s.sent.has(e.message.id));
    fresh.forEach((e) => hub.send(s, e.message));
    if (entries.length < OUTBOX_PAGE || fresh.length === 0) return;
    from = entries[entries.length - 1]!.createdAt; // $gte: same-ms entries come again and are skipped above
  }
}

/** The open session, or undefined when the socket closed meanwhile or the session could not be registered. */
export async function openSession(
  o: SessionOpener,
  socket: WebSocket,
  principal: Principal,
  since: number | undefined,
  closed: () => boolean,
): Promise<Session | undefined> {
  const { store, hub, limits } = o;
  const now = o.now();
  const s: Session = {
    id: randomUUID(),
    participantId: principal.id,
    socket,
    connectedAt: now,
    sent: new Set(),
    pending: [],
    alive: true,
  };
  // Registered before the outbox is read: a message stored meanwhile is pushed here (and queued until the replay ends).
  hub.add(s);
  // Three heartbeats without an answer and the session is gone here too (the socket is terminated after one).
  const expiry = (at: number) => ({ lastSeen: at, expiresAt: at + 3 * limits.heartbeatMs });
  const record = {
    _id: s.id,
    participantId: s.participantId,
    gatewayId: o.gatewayId,
    gatewayUrl: o.gatewayUrl(),
    connectedAt: now,
    ...expiry(now),
  };
  const cleanup = () => {
    if (hub.remove(s))
      store.sessions.remove(s.id).catch((err: unknown) => o.log.warn({ err }, 'session record not removed'));
  };
  socket.on('close', cleanup);
  socket.on('pong', () => {
    s.alive = true;
    store.sessions.add({ ...record, ...expiry(o.now()) }).catch(() => undefined);
  });
  const others = hub.sessionsOf(s.participantId).filter((x) => x !== s);
  for (const old of others.slice(0, Math.max(0, others.length + 1 - limits.sessionsPerParticipant))) {
    old.socket.close(WS_TOO_MANY_SESSIONS, `more than ${limits.sessionsPerParticipant} sessions`);
  }
  try {
    await store.sessions.add(record);
    if (closed()) return void cleanup();
    send(socket, { type: 'welcome', participantId: s.participantId, sessionId: s.id });
    if (since !== undefined) await replay(store, hub, s, since);
  } catch (err) {
    sendError(socket, err);
    socket.close(1011, 'session could not be registered');
    return void cleanup();
  }
  const pending = s.pending ?? [];
  s.pending = null;
  pending.forEach((m) => hub.send(s, m));
  return s;
}
