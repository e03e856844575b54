/**
 * A client of POST /events that behaves as SPEC §8 tells clients to: every event has an explicit id, and on a
 * connection error or a 503 it sends the same id again until it gets 202. Every response is recorded (when it was
 * sent and answered, its status and body) so a case can count 503s, check their shape, find requests that hung past
 * the gateway's deadline, and time the recovery.
 */

/** The gateway's routing deadline (gateway/types.ts DEFAULT_LIMITS.routeTimeoutMs). */
export const ROUTE_DEADLINE_MS = 10_000;
/** A request still unanswered this long after it was sent counts as a hang. */
export const CLIENT_TIMEOUT_MS = ROUTE_DEADLINE_MS + 2_000;

export interface Attempt {
  eventId: string;
  sentAt: number;
  doneAt: number;
  /** HTTP status, or 0 for a connection error, -1 for a request that hung past CLIENT_TIMEOUT_MS. */
  status: number;
  body?: unknown;
  error?: string;
}

export interface OutboundEvent {
  id: string;
  type: string;
  thredId?: string;
  data?: Record<string, unknown>;
}

export interface Tally {
  attempts: Attempt[];
  /** eventId → the 202 body's result. */
  accepted: Map<string, { thredIds: string[]; started: string[] }>;
  /** Events given up on (retries ran past the give-up time) or refused with a status other than 202/503. */
  failed: Map<string, Attempt>;
}

export const newTally = (): Tally => ({ attempts: [], accepted: new Map(), failed: new Map() });

/** The one error shape (SPEC §8) of a 503. */
export function is503Shape(body: unknown): boolean {
  const b = body as Record<string, unknown> | null;
  return (
    !!b &&
    b.statusCode === 503 &&
    typeof b.code === 'string' &&
    b.code.startsWith('THREDS_ERR_') &&
    typeof b.error === 'string' &&
    typeof b.message === 'string'
  );
}

export class EventsClient {
  constructor(
    private readonly baseUrl: () => string,
    private readonly token: string,
  ) {}

  /** One POST /events attempt. */
  async post(event: OutboundEvent): Promise<Attempt> {
    const sentAt = Date.now();
    try {
      const res = await fetch(`${this.baseUrl()}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...event, source: { id: 'ignored' } }),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text: a body that is not JSON fails the shape check.
      }
      return { eventId: event.id, sentAt, doneAt: Date.now(), status: res.status, body };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const hung = e.name === 'TimeoutError' || e.name === 'AbortError';
      return {
        eventId: event.id,
        sentAt,
        doneAt: Date.now(),
        status: hung ? -1 : 0,
        error: `${e.name}: ${e.cause?.code ?? e.message}`,
      };
    }
  }

  /** Sends `event` until 202 (retrying the same id on connection errors, hangs and 503s), or gives up. */
  async deliver(event: OutboundEvent, tally: Tally, giveUpMs = 120_000): Promise<boolean> {
    const until = Date.now() + giveUpMs;
    for (;;) {
      const a = await this.post(event);
      tally.attempts.push(a);
      if (a.status === 202) {
        const result = (a.body as { results: { thredIds: string[]; started: string[] }[] }).results[0]!;
        tally.accepted.set(event.id, { thredIds: result.thredIds, started: result.started });
        return true;
      }
      const retryable = a.status === 503 || a.status === 0 || a.status === -1;
      if (!retryable || Date.now() > until) {
        tally.failed.set(event.id, a);
        return false;
      }
      await new Promise((r) => setTimeout(r, a.status === 503 ? 200 : 100));
    }
  }
}

/** Delivers `events` with `concurrency` clients working through the list in order. */
export async function burst(
  client: EventsClient,
  events: OutboundEvent[],
  tally: Tally,
  concurrency: number,
  onAccepted?: (n: number) => void,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length) {
        const ev = events[next++]!;
        if (await client.deliver(ev, tally)) onAccepted?.(tally.accepted.size);
      }
    }),
  );
}

/**
 * Steady traffic: `clients` loops, each sending the next generated event (and retrying it until 202) with `pauseMs`
 * between events, until stopped. `stop()` lets the events in flight finish their retries.
 */
export function steadyTraffic(
  client: EventsClient,
  make: () => OutboundEvent,
  tally: Tally,
  { clients = 4, pauseMs = 50 }: { clients?: number; pauseMs?: number } = {},
): { stop(): Promise<void> } {
  let stopped = false;
  const loops = Array.from({ length: clients }, async () => {
    while (!stopped) {
      await client.deliver(make(), tally);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Polls GET /ready every `everyMs` while running; each answer (or hang) is recorded. */
export function readyProbe(baseUrl: () => string, everyMs = 500): { stop(): Promise<Attempt[]> } {
  const seen: Attempt[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const sentAt = Date.now();
      try {
        const res = await fetch(`${baseUrl()}/ready`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
        seen.push({
          eventId: '/ready',
          sentAt,
          doneAt: Date.now(),
          status: res.status,
          body: await res.json().catch(() => undefined),
        });
      } catch (err) {
        const e = err as Error;
        seen.push({
          eventId: '/ready',
          sentAt,
          doneAt: Date.now(),
          status: e.name === 'TimeoutError' ? -1 : 0,
          error: e.message,
        });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return seen;
    },
  };
}
