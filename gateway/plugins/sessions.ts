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
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../types';
import { TokenClock, type Session } from '../session-hub';
import type { Principal } from '../ingest';
import { newEventId } from '../ingest';
import { fail, summarize, validationDetails } from '../errors';
import {
  ECHO_CHARS,
  checkHello,
  checkRefresh,
  parseFrame,
  refuse,
  send,
  sendError,
  type Frame,
  type Parsed,
} from './sessions/frames';
import { openSession, type SessionOpener } from './sessions/open';

export { WS_AUTH_FAILED } from './sessions/frames';
export { WS_TOO_MANY_SESSIONS } from './sessions/open';
/** How long before its token's expiry a session is told (`expiring`), so the client can refresh in time. */
export const TOKEN_WARNING_MS = 60_000;

const sessions: FastifyPluginAsync<GatewayContext> = async (app, ctx) => {
  const { store, gatewayId } = ctx.deps;
  const { hub, limits } = ctx;
  const opener: SessionOpener = {
    store,
    hub,
    limits,
    gatewayId,
    gatewayUrl: () => `${ctx.deps.publicUrl ?? app.listeningOrigin}/internal/deliver`,
    now: ctx.now,
    log: app.log,
  };

  /** A verified access token: who it is for and when it expires (ms; undefined for a token without `exp`). */
  function authenticate(token: string): { principal: Principal; expiresAt: number | undefined } {
    const principal = app.verifyAccessToken(token);
    const exp = app.jwt.decode<{ exp?: unknown }>(token)?.exp;
    return { principal, expiresAt: typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined };
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
          session = (await openSession(opener, socket, auth.principal, frame.since, () => isClosed)) ?? undefined;
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
        const parsed = parseFrame(data, isBinary, limits.frameBytes);
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
