/**
 * Serves the built web console (web/dist) at `/`. The gateway never builds it: set-up (`npm run setup`, npm's
 * pre-scripts), `npm run build:web` and the image's build stage do, so esbuild stays a build-time tool. Static files get exact routes (no wildcard), so API routes are never shadowed; a catch-all
 * `GET /*` returns index.html only to browser navigations (Accept: text/html, no file extension) and otherwise
 * hands over to the gateway's own 404 handler.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger'; // schema.hide: keep these routes out of the OpenAPI document

const webDist = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface WebConsoleOptions {
  /** Directory of the built console; default web/dist. */
  root?: string;
}

function wantsHtml(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0] ?? '';
  const last = path.slice(path.lastIndexOf('/') + 1);
  return (req.headers.accept ?? '').includes('text/html') && !last.includes('.');
}

export const webConsole: FastifyPluginAsync<WebConsoleOptions> = async (app, opts) => {
  const root = opts.root ?? webDist;
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) {
    app.log.error(`[web] no console in ${root}: run \`npm run build:web\` (the API is served regardless)`);
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
