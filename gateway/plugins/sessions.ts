/**
 * WebSocket sessions, GET /ws (SPEC §9). Protocol:
 *   client `hello { token, since? }` (first frame, within helloTimeoutMs) → `welcome { participantId, sessionId }`,
 *   then the outbox since `since`, then live messages; client `event { event }` → `ack` or `error`;
 *   client `ping` → `pong` (application-level keep-alive for clients that cannot send protocol pings).
 * Every bad frame gets an error frame; authentication failures close with 4401 after the error frame.
 * Frames of one socket are handled in order (an event that starts a thred is routed before a bound event after it).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket, RawData } from 'ws';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { GatewayContext } from '../types';
import type { Session } from '../session-hub';
import type { Principal } from '../ingest';
import { newEventId } from '../ingest';
import { fail, summarize, toErrorBody, validationDetails, type ErrorBody } from '../errors';

export const WS_AUTH_FAILED = 4401;
/** Closed because the participant opened more than sessionsPerParticipant sessions on this instance. */
export const WS_TOO_MANY_SESSIONS = 4429;

const HelloSchema = Type.Object({
  type: Type.Literal('hello'),
  token: Type.String({ minLength: 1 }),
  since: Type.Optional(Type.Number({ minimum: 0, description: 'ms since epoch: replay the outbox from here' })),
});
const checkHello = Compile(HelloSchema);
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
    send(socket, { type: 'error', ...(re !== undefined && { re }), code: body.code, message: body.message, details: body.details });
    return body;
  }
  function refuse(socket: WebSocket, err: unknown): void {
    const body = sendError(socket, err);
    socket.close(WS_AUTH_FAILED, body.message.slice(0, 120));
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
    const s: Session = { id: randomUUID(), participantId: principal.id, socket, connectedAt: now, sent: new Set(), pending: [], alive: true };
    // Registered before the outbox is read: a message stored meanwhile is pushed here (and queued until the replay ends).
    hub.add(s);
    // Three heartbeats without an answer and the session is gone here too (the socket is terminated after one).
    const expiry = (at: number) => ({ lastSeen: at, expiresAt: at + 3 * limits.heartbeatMs });
    const record = { _id: s.id, participantId: s.participantId, gatewayId, gatewayUrl: gatewayUrl(), connectedAt: now, ...expiry(now) };
    const cleanup = () => {
      if (hub.remove(s)) store.sessions.remove(s.id).catch((err: unknown) => app.log.warn({ err }, 'session record not removed'));
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
          '{ type: "error", re, code, message, details }. Authentication failure or no hello: close code 4401.',
      },
    },
    (socket, _req) => {
      let session: Session | undefined;
      let authenticating = false;
      let isClosed = false;
      let chain: Promise<unknown> = Promise.resolve();
      const helloTimer = setTimeout(() => {
        if (!session && !authenticating) refuse(socket, fail('UNAUTHORIZED', `no hello frame within ${limits.helloTimeoutMs} ms`));
      }, limits.helloTimeoutMs);
      socket.on('close', () => {
        isClosed = true;
        clearTimeout(helloTimer);
      });

      async function onFrame(data: RawData, isBinary: boolean): Promise<void> {
        const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
        if (size > limits.frameBytes) return void sendError(socket, fail('PAYLOAD_TOO_LARGE', `frame is larger than ${limits.frameBytes} bytes`));
        if (isBinary) return void sendError(socket, fail('BAD_FRAME', 'frames must be JSON text'));
        let frame: unknown;
        try {
          frame = JSON.parse(data.toString());
        } catch {
          return void sendError(socket, fail('INVALID_JSON', 'frame is not valid JSON'));
        }
        const type = (frame as { type?: unknown } | null)?.type;
        if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || typeof type !== 'string') {
          const detail = { path: '/type', reason: 'is required' };
          return void sendError(socket, fail('BAD_FRAME', 'a frame is a JSON object with a string `type`', [detail]));
        }

        if (!session) {
          if (type !== 'hello') return refuse(socket, fail('UNAUTHORIZED', `the first frame must be hello, got "${type}"`));
          if (!checkHello.Check(frame)) {
            const details = validationDetails([...checkHello.Errors(frame)]);
            return refuse(socket, fail('UNAUTHORIZED', summarize('invalid hello', details), details));
          }
          let principal: Principal;
          try {
            principal = app.verifyAccessToken(frame.token);
          } catch (err) {
            return refuse(socket, err);
          }
          authenticating = true;
          clearTimeout(helloTimer);
          session = (await open(socket, principal, frame.since, () => isClosed)) ?? undefined;
          (socket as WebSocket & { principal?: Principal }).principal = principal;
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
            const principal = (socket as WebSocket & { principal?: Principal }).principal!;
            try {
              const r = await ctx.ingest.ingest(event, principal);
              return send(socket, { type: 'ack', eventId: r.eventId, thredIds: r.thredIds, started: r.started, refused: r.refused });
            } catch (err) {
              const body = sendError(socket, err, re);
              if (body.statusCode >= 500) app.log.error({ err }, 'WebSocket event failed');
              return;
            }
          }
          case 'ping':
            return send(socket, { type: 'pong' });
          case 'hello':
            return void sendError(socket, fail('BAD_FRAME', 'already authenticated: hello is only the first frame'));
          default:
            return void sendError(
              socket,
              fail('BAD_FRAME', `unknown frame type "${type}" (expected event or ping)`, [{ path: '/type', reason: 'must be one of "event", "ping"' }]),
            );
        }
      }

      socket.on('message', (data, isBinary) => {
        chain = chain
          .then(() => onFrame(data, isBinary))
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
    await store.sessions.removeGateway(gatewayId).catch((err: unknown) => app.log.warn({ err }, 'session records not removed'));
  });
};

export default sessions;
