/**
 * The live side of the contract (SPEC §9): one WebSocket to /ws, `hello` with the token and `since` (the newest
 * message time seen, kept in localStorage per participant), dedupe by message id, reconnect with capped exponential
 * backoff (the server replays what was missed since `since`), and events sent as frames answered by ack/error.
 */
import { Api, ApiRequestError, jwtClaims } from './api';
import type { Message, ServerFrame, ThredsEvent } from './types';

export type LiveStatus = 'connecting' | 'live' | 'offline';

export interface Ack {
  eventId: string;
  thredIds: string[];
  started: string[];
  refused: unknown[];
}

export class SendError extends Error {
  constructor(
    message: string,
    readonly code?: string | number,
    readonly details?: { path?: string; reason?: string }[],
  ) {
    super(message);
  }
  describe(): string {
    const details = (this.details ?? []).map((d) => `${d.path ?? ''}: ${d.reason ?? ''}`).join('; ');
    return `${this.message}${this.code ? ` (${this.code})` : ''}${details ? ` — ${details}` : ''}`;
  }
}

/** Messages of one participant, newest last; persisted (capped) so a reload shows what was already received. */
export class MessageStore {
  private byId = new Map<string, Message>();
  private readonly key: string;
  private readonly sinceKey: string;

  constructor(
    readonly participantId: string,
    private readonly cap = 300,
  ) {
    this.key = `threds.messages.${participantId}`;
    this.sinceKey = `threds.since.${participantId}`;
    try {
      for (const m of JSON.parse(localStorage.getItem(this.key) ?? '[]') as Message[]) this.byId.set(m.id, m);
    } catch {
      /* a corrupt cache is dropped */
    }
  }

  get since(): number | undefined {
    const v = Number(localStorage.getItem(this.sinceKey));
    return Number.isFinite(v) && v > 0 ? v : undefined;
  }

  /** Adds a message; false when it was already there (a replay). */
  add(m: Message): boolean {
    if (!m?.id || this.byId.has(m.id)) return false;
    this.byId.set(m.id, m);
    const t = m.event?.time;
    if (typeof t === 'number' && t > (this.since ?? 0)) localStorage.setItem(this.sinceKey, String(t));
    this.persist();
    return true;
  }

  all(): Message[] {
    return [...this.byId.values()].sort((a, b) => (a.event.time ?? 0) - (b.event.time ?? 0));
  }

  private persist(): void {
    const list = this.all().slice(-this.cap);
    try {
      localStorage.setItem(this.key, JSON.stringify(list));
    } catch {
      /* storage full: the live view still works */
    }
  }
}

export function newEventId(): string {
  const rnd = crypto.getRandomValues(new Uint8Array(9));
  return `web-${Date.now().toString(36)}-${[...rnd].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

interface Pending {
  resolve: (ack: Ack) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Live {
  status: LiveStatus = 'offline';
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private pending = new Map<string, Pending>();

  constructor(
    private readonly api: Api,
    readonly store: MessageStore,
    private readonly on: {
      message: (m: Message) => void;
      status: (s: LiveStatus, detail?: string) => void;
      problem: (text: string) => void;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.ws?.close(1000, 'logout');
    this.ws = null;
    for (const [, p] of this.pending) p.reject(new SendError('connection closed'));
    this.pending.clear();
  }

  private setStatus(s: LiveStatus, detail?: string): void {
    this.status = s;
    this.on.status(s, detail);
  }

  private connect(): void {
    const token = this.api.session?.accessToken;
    if (!token || this.stopped) return;
    this.setStatus('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      const since = this.store.since;
      ws.send(JSON.stringify(since ? { type: 'hello', token, since } : { type: 'hello', token }));
    };
    ws.onmessage = (e) => this.onFrame(typeof e.data === 'string' ? e.data : '');
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const [, p] of this.pending) p.reject(new SendError('connection lost before the server answered'));
      this.pending.clear();
      if (this.stopped) return;
      if (e.code === 4401) {
        void this.api.refresh().then((ok) => {
          if (ok) this.scheduleReconnect('session renewed');
          else {
            this.on.problem('The server refused the session; please log in again.');
            this.api.logout();
          }
        });
        return;
      }
      if (e.code === 4429) {
        // Too many sessions of this participant: reconnecting would only close another tab's session.
        this.setStatus('offline', 'closed: too many open sessions for this participant; use "reconnect" to take over');
        return;
      }
      this.scheduleReconnect(e.reason || `closed (${e.code})`);
    };
  }

  private scheduleReconnect(why: string): void {
    const delay = Math.min(15_000, 500 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.setStatus('offline', `${why}; retrying in ${Math.round(delay / 1000)} s`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Reconnect now (the "retry" button), resetting the backoff. */
  reconnect(): void {
    this.attempt = 0;
    clearTimeout(this.retryTimer);
    if (!this.ws) this.connect();
  }

  private onFrame(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      this.on.problem('The server sent a frame that is not JSON.');
      return;
    }
    // The server warns before the access token expires (then closes with 4401): hand it a fresh token in time.
    const warning = frame as { type: string; expiresAt?: unknown };
    if (warning.type === 'expiring' && this.ws && typeof warning.expiresAt === 'number') {
      void this.renew(this.ws, warning.expiresAt);
      return;
    }
    switch (frame.type) {
      case 'welcome':
        this.attempt = 0;
        this.setStatus('live', `session ${frame.sessionId}`);
        return;
      case 'message':
        if (this.store.add(frame.message)) this.on.message(frame.message);
        return;
      case 'ack': {
        const p = this.pending.get(frame.eventId);
        if (!p) return;
        this.pending.delete(frame.eventId);
        clearTimeout(p.timer);
        p.resolve({
          eventId: frame.eventId,
          thredIds: frame.thredIds ?? [],
          started: frame.started ?? [],
          refused: frame.refused ?? [],
        });
        return;
      }
      case 'error': {
        const err = new SendError(frame.message ?? 'error', frame.code, frame.details);
        const p = frame.re ? this.pending.get(frame.re) : undefined;
        if (p && frame.re) {
          this.pending.delete(frame.re);
          clearTimeout(p.timer);
          p.reject(err);
        } else this.on.problem(`Server: ${err.describe()}`);
        return;
      }
      default:
        return;
    }
  }

  /** Sends the socket a `refresh` frame with a token that outlives `expiresAt`, refreshing the session if needed. */
  private async renew(ws: WebSocket, expiresAt: number): Promise<void> {
    const exp = (jwtClaims(this.api.session?.accessToken ?? '').exp ?? 0) * 1000;
    // Another call may have refreshed already; if refreshing fails, the 4401 at expiry leads to the login.
    if (exp <= expiresAt && !(await this.api.refresh())) return;
    const token = this.api.session?.accessToken;
    if (token && this.ws === ws && ws.readyState === WebSocket.OPEN)
      ws.send(JSON.stringify({ type: 'refresh', token }));
  }

  /** Sends an event over the socket (or POST /events when offline); resolves with the ack, rejects with the error. */
  async send(event: ThredsEvent): Promise<Ack> {
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN && this.status === 'live') {
      return new Promise<Ack>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(event.id);
          reject(new SendError('no answer from the server within 15 s'));
        }, 15_000);
        this.pending.set(event.id, { resolve, reject, timer });
        ws.send(JSON.stringify({ type: 'event', event }));
      });
    }
    try {
      const body = await this.api.call<{
        results?: (Partial<Ack> & { error?: { message?: string; code?: string } })[];
      }>('POST', '/events', event);
      const r = body.results?.[0] ?? {};
      if (r.error) throw new SendError(r.error.message ?? 'refused', r.error.code);
      return {
        eventId: r.eventId ?? event.id,
        thredIds: r.thredIds ?? [],
        started: r.started ?? [],
        refused: r.refused ?? [],
      };
    } catch (err) {
      if (err instanceof ApiRequestError) throw new SendError(err.message, err.body.code, err.body.details);
      throw err;
    }
  }
}
