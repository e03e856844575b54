/**
 * WebSocket sessions, GET /ws (SPEC §9). Protocol:
 *   client `hello { token, since? }` (first frame, within helloTimeoutMs) → `welcome { participantId, sessionId }`,
 *   then the outbox since `since`, then live messages; client `event { event }` → `ack` or `error`;
 *   client `ping` → `pong` (application-level keep-alive for clients that cannot send protocol pings);
 *   client `refresh { token }` → `refreshed { expiresAt }` (a fresh access token of the same participant).
 * A session lives as long as its access token: `expiring { expiresAt }` is sent TOKEN_WARNING_MS before the
 * expiry, and at the expiry the socket gets a TOKEN_EXPIRED error frame and is closed with 4401 — unless a refresh
 * frame moved the expiry on. A refused refresh (invalid, expired, another participant's token) gets an error frame
 * and leaves the session as it was.
 * Every bad frame gets an error frame; authentication failures close with 4401 after the error frame.
 * Frames of one socket are handled in order (an event that starts a thred is routed before a bound event after it),
 * except refresh, which overtakes frames still waiting for routing so that a slow event cannot let the token lapse.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket, RawData } from 'ws';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { GatewayContext } from '../types';
import { TokenClock, type Session } from '../session-hub';
import type { Principal } from '../ingest';
import { newEventId } from '../ingest';
import { fail, summarize, toErrorBody, validationDetails, type ErrorBody } from '../errors';

export const WS_AUTH_FAILED = 4401;
/** Closed because the participant opened more than sessionsPerParticipant sessions on this instance. */
export const WS_TOO_MANY_SESSIONS = 4429;
/** How long before its token's expiry a session is told (`expiring`), so the client can refresh in time. */
export const TOKEN_WARNING_MS = 60_000;

const HelloSchema = Type.Object({
  type: Type.Literal('hello'),
  token: Type.String({ minLength: 1 }),
  since: Type.Optional(Type.Number({ minimum: 0, description: 'ms since epoch: replay the outbox from here' })),
});
const checkHello = Compile(HelloSchema);
const RefreshSchema = Type.Object({
  type: Type.Literal('refresh'),
  token: Type.String({ minLength: 1, description: 'a fresh access token of the same participant' }),
});
const checkRefresh = Compile(RefreshSchema);
/** Longest part of a client's frame type echoed in an error message. */
const ECHO_CHARS = 64;

type Frame = Record<string, unknown> & { type: string };
/** A frame read off the socket: a JSON object with a string type, or the error that answers it. */
type Parsed = { frame: Frame } | { error: Error };
const OUTBOX_PAGE = 1000;

const sessions: FastifyPluginAsync<GatewayContext> = async (app, ctx) => {
  const { store, gatewayId } = ctx.deps;
  const { hub, limits } = ctx;
  const gatewayUrl = () => `${ctx.deps.publicUrl ?? app.listeningOrigin}/internal/deliver`;

  function send(socket: WebSocket, frame: Record<string, unknown>): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
  }
  function sendError(socket: WebSocket, err: unknown, re?: string): ErrorBody {
    const body = toErrorBody(err);
    send(socket, {
      type: 'error',
      ...(re !== undefined && { re }),
      code: body.code,
      message: body.message,
      details: body.details,
    });
    return body;
  }
  function refuse(socket: WebSocket, err: unknown): void {
    const body = sendError(socket, err);
    socket.close(WS_AUTH_FAILED, body.message.slice(0, 120));
  }

  /** A verified access token: who it is for and when it expires (ms; undefined for a token without `exp`). */
  function authenticate(token: string): { principal: Principal; expiresAt: number | undefined } {
    const principal = app.verifyAccessToken(token);
    const exp = app.jwt.decode<{ exp?: unknown }>(token)?.exp;
    return { principal, expiresAt: typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined };
  }

  function parseFrame(data: RawData, isBinary: boolean): Parsed {
    const size = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : (data as Buffer | ArrayBuffer).byteLength;
    if (size > limits.frameBytes)
      return { error: fail('PAYLOAD_TOO_LARGE', `frame is larger than ${limits.frameBytes} bytes`) };
    if (isBinary) return { error: fail('BAD_FRAME', 'frames must be JSON text') };
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return { error: fail('INVALID_JSON', 'frame is not valid JSON') };
    }
    if (
      typeof frame !== 'object' ||
      frame === null ||
      Array.isArray(frame) ||
      typeof (frame as { type?: unknown }).type !== 'string'
    ) {
      const detail = { path: '/type', reason: 'is required' };
      return { error: fail('BAD_FRAME', 'a frame is a JSON object with a string `type`', [detail]) };
    }
    return { frame: frame as Frame };
  }

  async function replay(s: Session, since: number): Promise<void> {
    for (let page = 0, from = since; page < 50; page++) {
      const entries = await store.outbox.since(s.participantId, from);
      const fresh = entries.filter((e) => !s.sent.has(e.message.id));
      fresh.forEach((e) => hub.send(s, e.message));
      if (entries.length < OUTBOX_PAGE || fresh.length === 0) return;
      from = entries[entries.length - 1]!.createdAt; // $gte: same-ms entries come again and are skipped above
    }
  }

  async function open(
    socket: WebSocket,
    principal: Principal,
    since: number | undefined,
    closed: () => boolean,
  ): Promise<Session | undefined> {
    const now = ctx.now();
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
      gatewayId,
      gatewayUrl: gatewayUrl(),
      connectedAt: now,
      ...expiry(now),
    };
    const cleanup = () => {
      if (hub.remove(s))
        store.sessions.remove(s.id).catch((err: unknown) => app.log.warn({ err }, 'session record not removed'));
    };
    socket.on('close', cleanup);
    socket.on('pong', () => {
      s.alive = true;
      store.sessions.add({ ...record, ...expiry(ctx.now()) }).catch(() => undefined);
    });
    const others = hub.sessionsOf(s.participantId).filter((o) => o !== s);
    for (const old of others.slice(0, Math.max(0, others.length + 1 - limits.sessionsPerParticipant))) {
      old.socket.close(WS_TOO_MANY_SESSIONS, `more than ${limits.sessionsPerParticipant} sessions`);
    }
    try {
      await store.sessions.add(record);
      if (closed()) return void cleanup();
      send(socket, { type: 'welcome', participantId: s.participantId, sessionId: s.id });
      if (since !== undefined) await replay(s, since);
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

  app.get(
    '/ws',
    {
      websocket: true,
      // @fastify/websocket hides its routes from the OpenAPI document; the protocol is part of the API (SPEC §9).
      config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, hide: false }, url }) },
      schema: {
        tags: ['sessions'],
        summary: 'WebSocket: hello → welcome, outbox replay, messages; event → ack | error',
        description:
          'Frames are JSON text. First frame within 5 s: { type: "hello", token, since? } → { type: "welcome", ' +
          'participantId, sessionId }, then { type: "message", message } for every outbox message with createdAt >= since, ' +
          'then live messages. { type: "event", event } → { type: "ack", eventId, thredIds, started, refused } or ' +
          '{ type: "error", re, code, message, details }. { type: "refresh", token } (a fresh access token of the same ' +
          'participant) → { type: "refreshed", expiresAt }, or an error frame with the session unchanged. ' +
          '{ type: "expiring", expiresAt } comes 60 s before the access token expires; at the expiry the socket is closed ' +
          'with 4401 unless a refresh came first. Authentication failure or no hello: close code 4401. ' +
          'A frame over 4× the frame limit: close code 1009.',
      },
    },
    (socket, _req) => {
      let session: Session | undefined;
      let principal: Principal | undefined;
      let authenticating = false;
      let isClosed = false;
      let chain: Promise<unknown> = Promise.resolve();
      const helloTimer = setTimeout(() => {
        if (!session && !authenticating)
          refuse(socket, fail('UNAUTHORIZED', `no hello frame within ${limits.helloTimeoutMs} ms`));
      }, limits.helloTimeoutMs);
      const clock = new TokenClock(ctx.now, TOKEN_WARNING_MS, {
        warn: (expiresAt) => send(socket, { type: 'expiring', expiresAt }),
        expire: () =>
          refuse(
            socket,
            fail('TOKEN_EXPIRED', 'access token has expired; send a refresh frame with a fresh token before expiresAt'),
          ),
      });
      socket.on('close', () => {
        isClosed = true;
        clearTimeout(helloTimer);
        clock.disarm();
      });
      // Replaces @fastify/websocket's listener, which logs every socket error at level error and terminates the
      // socket: a client's protocol violation (a frame over maxPayload, invalid UTF-8) is the client's fault, and ws
      // is already closing the socket with the code that says why (1009, 1007) — terminating could cut that frame off.
      socket.removeAllListeners('error');
      socket.on('error', (err: Error & { code?: unknown }) => {
        if (typeof err.code === 'string' && err.code.startsWith('WS_ERR_')) {
          return void app.log.info({ code: err.code, reason: err.message }, 'WebSocket closed: client protocol error');
        }
        app.log.error({ err }, 'WebSocket error');
        socket.terminate();
      });

      function refresh(frame: Frame): void {
        if (!checkRefresh.Check(frame)) {
          const details = validationDetails([...checkRefresh.Errors(frame)]);
          return void sendError(socket, fail('VALIDATION', summarize('invalid refresh frame', details), details));
        }
        let next: ReturnType<typeof authenticate>;
        try {
          next = authenticate(frame.token);
        } catch (err) {
          return void sendError(socket, err); // the current token still holds until its own expiry
        }
        if (next.principal.id !== principal!.id) {
          const message = `the token is for participant ${next.principal.id}, this session belongs to ${principal!.id}`;
          return void sendError(
            socket,
            fail('TOKEN_PARTICIPANT_MISMATCH', message, [
              { path: '/token', reason: 'must be for the session participant' },
            ]),
          );
        }
        // The new token's roles apply from now on (a role change takes effect at the next refresh, as over HTTP).
        principal = next.principal;
        clock.arm(next.expiresAt);
        send(socket, { type: 'refreshed', ...(next.expiresAt !== undefined && { expiresAt: next.expiresAt }) });
      }

      async function onFrame(parsed: Parsed): Promise<void> {
        if ('error' in parsed) return void sendError(socket, parsed.error);
        const { frame } = parsed;
        const { type } = frame;

        if (!session) {
          if (type !== 'hello') {
            return refuse(
              socket,
              fail('UNAUTHORIZED', `the first frame must be hello, got "${type.slice(0, ECHO_CHARS)}"`),
            );
          }
          if (!checkHello.Check(frame)) {
            const details = validationDetails([...checkHello.Errors(frame)]);
            return refuse(socket, fail('UNAUTHORIZED', summarize('invalid hello', details), details));
          }
          let auth: ReturnType<typeof authenticate>;
          try {
            auth = authenticate(frame.token);
          } catch (err) {
            return refuse(socket, err);
          }
          authenticating = true;
          clearTimeout(helloTimer);
          principal = auth.principal;
          session = (await open(socket, auth.principal, frame.since, () => isClosed)) ?? undefined;
          if (session) clock.arm(auth.expiresAt);
          return;
        }

        switch (type) {
          case 'event': {
            const raw = (frame as { event?: unknown }).event;
            if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
              const detail = { path: '/event', reason: 'is required and must be an object' };
              return void sendError(socket, fail('VALIDATION', 'invalid frame: /event is required', [detail]));
            }
            // Assign the id here, so even a refused event's error frame carries `re`.
            const event = 'id' in raw ? raw : { ...raw, id: newEventId() };
            const re = typeof (event as { id?: unknown }).id === 'string' ? (event as { id: string }).id : undefined;
            try {
              const r = await ctx.ingest.ingest(event, principal!);
              return send(socket, {
                type: 'ack',
                eventId: r.eventId,
                thredIds: r.thredIds,
                started: r.started,
                refused: r.refused,
              });
            } catch (err) {
              const body = sendError(socket, err, re);
              if (body.statusCode >= 500) app.log.error({ err }, 'WebSocket event failed');
              return;
            }
          }
          case 'refresh':
            return refresh(frame);
          case 'ping':
            return send(socket, { type: 'pong' });
          case 'hello':
            return void sendError(socket, fail('BAD_FRAME', 'already authenticated: hello is only the first frame'));
          default:
            return void sendError(
              socket,
              fail('BAD_FRAME', `unknown frame type "${type.slice(0, ECHO_CHARS)}" (expected event, refresh or ping)`, [
                { path: '/type', reason: 'must be one of "event", "refresh", "ping"' },
              ]),
            );
        }
      }

      socket.on('message', (data, isBinary) => {
        const parsed = parseFrame(data, isBinary);
        if (session && 'frame' in parsed && parsed.frame.type === 'refresh') return refresh(parsed.frame);
        chain = chain
          .then(() => onFrame(parsed))
          .catch((err: unknown) => {
            app.log.error({ err }, 'WebSocket frame handling failed');
            sendError(socket, err);
          });
      });
    },
  );

  // Heartbeat: a socket that did not answer the previous ping is dead (half-open TCP); drop it so its session goes.
  // Each beat also sweeps session records left by gateways that died (theirs are no longer refreshed).
  const heartbeat = setInterval(() => {
    store.sessions
      .sweep(ctx.now())
      .then((n) => n > 0 && app.log.info({ removed: n }, 'swept session records of gateways that stopped'))
      .catch((err: unknown) => app.log.warn({ err }, 'session sweep failed'));
    for (const s of hub.all()) {
      if (!s.alive) {
        s.socket.terminate();
        continue;
      }
      s.alive = false;
      s.socket.ping();
    }
  }, limits.heartbeatMs);
  heartbeat.unref();

  // The sockets themselves are closed (1001) by the websocket plugin's preClose (app.ts).
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    await store.sessions
      .removeGateway(gatewayId)
      .catch((err: unknown) => app.log.warn({ err }, 'session records not removed'));
  });
};

export default sessions;
