/** GET /health (process up), GET /ready (Temporal and the store answer), GET /metrics (Prometheus). Unauthenticated. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Registry } from 'prom-client';
import type { GatewayContext } from '../types';
import { fail, type Detail } from '../errors';
import { errors } from '../schemas';
import { within } from '../within';

const READY_TIMEOUT_MS = 3000;

const withinReady = <T>(p: Promise<T>): Promise<T> =>
  within(p, READY_TIMEOUT_MS, (): never => {
    throw new Error(`no answer within ${READY_TIMEOUT_MS} ms`);
  });

const health: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['ops'];

  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags,
        summary: 'Readiness: Temporal and the store are reachable (503 names what is not)',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), temporal: Type.Literal('ok'), store: Type.Literal('ok') }),
          ...errors(503),
        },
      },
    },
    async () => {
      const checks = await Promise.allSettled([
        withinReady(ctx.deps.client.workflowService.getSystemInfo({})),
        withinReady(ctx.deps.store.ping()),
      ]);
      const details: Detail[] = [];
      checks.forEach((c, i) => {
        if (c.status === 'rejected') {
          details.push({
            path: i === 0 ? '/temporal' : '/store',
            reason: String((c.reason as Error)?.message ?? c.reason),
          });
        }
      });
      if (details.length > 0)
        throw fail('NOT_READY', `not ready: ${details.map((d) => d.path.slice(1)).join(', ')} unavailable`, details);
      return { status: 'ready' as const, temporal: 'ok' as const, store: 'ok' as const };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags,
        summary: 'Prometheus metrics (text exposition format)',
        response: { 200: Type.String({ description: 'text/plain; version=0.0.4' }) },
      },
    },
    async (_req, reply) => {
      // The router (shared by the apps of one process) counts in a registry of its own.
      const router = ctx.deps.router.metrics as Registry | undefined;
      const registry = router ? Registry.merge([ctx.metrics.registry, router]) : ctx.metrics.registry;
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
};

export default health;
