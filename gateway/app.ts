/**
 * `buildApp(deps)`: the gateway as a fastify instance, one plugin per concern; it never listens (bin/gateway.ts does,
 * tests use inject() or listen on port 0). Validation is TypeBox's, from the route schemas; responses are written
 * with JSON.stringify — response schemas document the API but must not strip the extra fields events may carry.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyWebsocket from '@fastify/websocket';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DEFAULT_LIMITS, type GatewayContext, type GatewayDeps } from './types';
import { fail, installErrorHandlers, toErrorBody } from './errors';
import { installBodyParsers, MAX_PARAM_LENGTH } from './input-limits';
import { createMetrics } from './metrics';
import { createIngest } from './ingest';
import { backpressureLimits, createBackpressure } from './backpressure';
import { flushTracing, initTracing } from '../telemetry/tracing';
import { SessionHub } from './session-hub';
import { createControl } from './control';
import authPlugin from './plugins/auth';
import ingestPlugin from './plugins/ingest';
import eventsQueryPlugin from './plugins/events-query';
import sessionsPlugin from './plugins/sessions';
import thredsPlugin from './plugins/threds';
import adminPlugin from './plugins/admin';
import batchPlugin from './plugins/batch';
import deadLettersPlugin from './plugins/dead-letters';
import patternsPlugin from './plugins/patterns';
import replayPlugin from './plugins/replay';
import healthPlugin from './plugins/health';
import deliveryPlugin from './plugins/delivery';

export type { GatewayDeps, GatewayLimits } from './types';

export function buildApp(deps: GatewayDeps): FastifyInstance {
  initTracing('threds-gateway'); // once per process, and only with OTEL_EXPORTER_OTLP_ENDPOINT set (SPEC §13)
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const now = deps.now ?? Date.now;
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: limits.bodyBytes,
    // fastify's own 503-while-closing body is not our error shape; in-flight requests finish instead.
    return503OnClosing: false,
    // Above the longest legal thred id (THRED_ID_MAX_LENGTH), so a longer id gets a 400 from its params schema.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own failures (bad URL encoding, a parameter over maxParamLength) in the one error shape too.
    frameworkErrors: (err, _req, reply) => {
      const body = toErrorBody(err);
      return (reply as FastifyReply).code(body.statusCode).type('application/json').send(body);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // A missing body is validated as null, so "must be object" names the problem instead of a crash downstream.
  app.setValidatorCompiler((req) => {
    const validate = TypeBoxValidatorCompiler(req);
    return req.httpPart === 'body' ? (value: unknown) => validate(value === undefined ? null : value) : validate;
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installErrorHandlers(app);
  installBodyParsers(app);

  const metrics = createMetrics();
  const hub = new SessionHub(metrics);
  const control = createControl({ deps, hub, limits, now, log: app.log });
  app.addHook('onReady', async () => control.start());
  app.addHook('preClose', async () => control.close());
  app.addHook('onClose', async () => flushTracing()); // the last requests' spans leave before the process does
  app.addHook('onResponse', async (req, reply) => {
    // The route template keeps the label set bounded (unmatched URLs count as one).
    metrics.httpRequests.inc({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });
  const backpressure = createBackpressure({
    limits: { ...backpressureLimits(), ...limits.backpressure },
    read: (thredId) => deps.store.threds.backlog(thredId),
    metrics,
  });
  const ctx: GatewayContext = {
    deps,
    limits,
    metrics,
    now,
    hub,
    ingest: createIngest({
      control,
      router: deps.router,
      client: deps.client,
      metrics,
      backpressure,
      maxEventBytes: limits.bodyBytes,
      routeTimeoutMs: limits.routeTimeoutMs,
      now,
      log: app.log,
    }),
  };

  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Threds gateway',
        version: '1',
        description:
          'Events in, messages out. Every error has the shape { statusCode, code: "THREDS_ERR_…", error, message, ' +
          'details: [{ path, reason }] }. WebSocket protocol: see GET /ws.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          internal: { type: 'http', scheme: 'bearer', description: 'the internal delivery token of thred workers' },
        },
      },
    },
  });
  void app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  void app.register(fastifyRateLimit, {
    global: false,
    // After authentication (onRequest), so the limit is per principal rather than per client address.
    hook: 'preHandler',
    keyGenerator: (req) => (req.principal ? `p:${req.principal.id}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, rc) =>
      fail('RATE_LIMITED', `rate limit exceeded: ${rc.max} requests per minute; retry in ${rc.after}`),
  });
  void app.register(fastifyWebsocket, {
    options: { maxPayload: limits.frameBytes * 4 },
    // Replaces the plugin's default (a bare close(), code 1005): clients learn why they were dropped.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.close(1001, 'gateway shutting down');
      this.websocketServer.close(() => done());
    },
  });

  void app.register(authPlugin, ctx);
  void app.register(healthPlugin, ctx);
  void app.register(ingestPlugin, ctx);
  void app.register(eventsQueryPlugin, ctx);
  void app.register(sessionsPlugin, ctx);
  void app.register(thredsPlugin, ctx);
  void app.register(adminPlugin, ctx);
  void app.register(batchPlugin, ctx);
  void app.register(deadLettersPlugin, ctx);
  void app.register(patternsPlugin, ctx);
  void app.register(replayPlugin, ctx);
  void app.register(deliveryPlugin, ctx);
  return app;
}
