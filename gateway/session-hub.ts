/**
 * This instance's live WebSocket sessions, by participant. Pushes from thred workers (POST /internal/deliver) and the
 * outbox replay after `hello` both go through `send`, which drops a message a session already got (clients also
 * dedupe by message id; this keeps the replay/live overlap off the wire).
 */
import type { WebSocket } from 'ws';
import type { Message } from '../patterns';
import type { GatewayMetrics } from './metrics';

export interface Session {
  id: string;
  participantId: string;
  socket: WebSocket;
  connectedAt: number;
  /** Message ids already written (bounded: oldest forgotten first). */
  sent: Set<string>;
  /** Live messages that arrived while the outbox replay was running; flushed after it. */
  pending: Message[] | null;
  alive: boolean;
}

const SENT_MEMORY = 2000;
/** setTimeout's largest delay; a token living longer is re-checked at this interval. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A session's access-token deadline: `warn` once when `warnMs` or less is left, `expire` at the expiry. One timer at
 * a time, re-checked against `now()` whenever it fires (a timer may fire early; a long-lived token outlasts
 * setTimeout's range). `arm` again after a refresh; `disarm` when the session ends, so no timer outlives it.
 */
export class TokenClock {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private warned = false;
  private expiresAt: number | undefined;

  constructor(
    private readonly now: () => number,
    private readonly warnMs: number,
    private readonly on: { warn(expiresAt: number): void; expire(): void },
  ) {}

  /** Starts counting down to `expiresAt` (ms); undefined: the token does not expire. */
  arm(expiresAt: number | undefined): void {
    this.disarm();
    this.expiresAt = expiresAt;
    this.warned = false;
    this.check();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }

  private check(): void {
    this.timer = undefined;
    if (this.expiresAt === undefined) return;
    const left = this.expiresAt - this.now();
    if (left <= 0) return this.on.expire();
    if (!this.warned && left <= this.warnMs) {
      this.warned = true;
      this.on.warn(this.expiresAt);
    }
    const wait = this.warned ? left : left - this.warnMs;
    this.timer = setTimeout(() => this.check(), Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }
}

export class SessionHub {
  private readonly byParticipant = new Map<string, Set<Session>>();

  constructor(private readonly metrics: GatewayMetrics) {}

  add(s: Session): void {
    let set = this.byParticipant.get(s.participantId);
    if (!set) this.byParticipant.set(s.participantId, (set = new Set()));
    set.add(s);
    this.metrics.sessions.inc();
  }

  remove(s: Session): boolean {
    const set = this.byParticipant.get(s.participantId);
    if (!set?.delete(s)) return false;
    if (set.size === 0) this.byParticipant.delete(s.participantId);
    this.metrics.sessions.dec();
    return true;
  }

  sessionsOf(participantId: string): Session[] {
    return [...(this.byParticipant.get(participantId) ?? [])];
  }

  all(): Session[] {
    return [...this.byParticipant.values()].flatMap((s) => [...s]);
  }

  /** Queues during replay, else writes; returns whether the message went (or will go) out. */
  deliver(s: Session, message: Message): boolean {
    if (s.pending) {
      s.pending.push(message);
      return true;
    }
    return this.send(s, message);
  }

  /** Writes `{ type: 'message', message }` once per session. */
  send(s: Session, message: Message): boolean {
    if (s.sent.has(message.id)) return true;
    if (s.socket.readyState !== s.socket.OPEN) {
      this.metrics.deliveryFailures.inc();
      return false;
    }
    s.socket.send(JSON.stringify({ type: 'message', message }));
    s.sent.add(message.id);
    if (s.sent.size > SENT_MEMORY) s.sent.delete(s.sent.values().next().value!);
    this.metrics.deliveries.inc();
    return true;
  }
}
