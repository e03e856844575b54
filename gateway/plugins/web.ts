/**
 * Serves the web console (web/dist) at `/`. Built on registration when dist is missing or older than web/src
 * (esbuild, ~50 ms). Static files get exact routes (no wildcard), so API routes are never shadowed; a catch-all
 * `GET /*` returns index.html only to browser navigations (Accept: text/html, no file extension) and otherwise
 * hands over to the gateway's own 404 handler.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger'; // schema.hide: keep these routes out of the OpenAPI document
import { ensureWebBuilt, webDist } from '../../web/build';

export interface WebConsoleOptions {
  /** Directory of the built console; default web/dist. */
  root?: string;
  /** Build (if stale) on registration; default true. */
  build?: boolean;
}

function wantsHtml(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0] ?? '';
  const last = path.slice(path.lastIndexOf('/') + 1);
  return (req.headers.accept ?? '').includes('text/html') && !last.includes('.');
}

export const webConsole: FastifyPluginAsync<WebConsoleOptions> = async (app, opts) => {
  const root = opts.root ?? webDist;
  if (opts.build !== false) {
    try {
      await ensureWebBuilt((msg) => app.log.info(msg));
    } catch (err) {
      app.log.error({ err }, '[web] console build failed; run `npm run build:web`');
    }
  }
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/plain').send('The web console is not built: run `npm run build:web`.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false, // one route per built file, registered now: nothing else is matched
    index: false,
    maxAge: '1d', // index.html references app.js / app.css with a content hash
    schemaHide: true,
  });
  const sendIndex = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(readFileSync(indexFile));
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    if (wantsHtml(req)) return sendIndex(req, reply);
    return reply.callNotFound();
  });
};

export default webConsole;
