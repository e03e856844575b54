// The gateway serves the built console and never builds it: without web/dist it says how to build and the API
// stays up; with a build it serves index.html to browser navigations only.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { webConsole } from '../../gateway/plugins/web';

async function app(root: string) {
  const errors: string[] = [];
  const fastify = Fastify({ logger: false });
  fastify.log.error = ((msg: string) => void errors.push(msg)) as typeof fastify.log.error;
  fastify.get('/health', async () => ({ ok: true }));
  await fastify.register(webConsole, { root });
  await fastify.ready();
  return { fastify, errors };
}

describe('web console plugin', () => {
  it('without a build: 503 naming `npm run build:web`, an error logged, the API still served', async () => {
    const { fastify, errors } = await app(mkdtempSync(join(tmpdir(), 'threds-noweb-')));
    const res = await fastify.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(503);
    expect(res.body).toBe('The web console is not built: run `npm run build:web`.\n');
    expect(errors.join('\n')).toContain('npm run build:web');
    expect((await fastify.inject({ url: '/health' })).json()).toEqual({ ok: true });
    await fastify.close();
  });

  it('with a build: index.html at / and for deep links, files by exact route, the rest 404', async () => {
    const root = mkdtempSync(join(tmpdir(), 'threds-web-'));
    mkdirSync(join(root, 'chunks'));
    writeFileSync(join(root, 'index.html'), '<title>Threds console</title>');
    writeFileSync(join(root, 'app.js'), 'console.log(1)');
    const { fastify, errors } = await app(root);
    expect((await fastify.inject({ url: '/', headers: { accept: 'text/html' } })).body).toContain('Threds console');
    expect((await fastify.inject({ url: '/a/route', headers: { accept: 'text/html' } })).body).toContain('Threds');
    expect((await fastify.inject({ url: '/app.js' })).body).toBe('console.log(1)');
    expect((await fastify.inject({ url: '/a/route', headers: { accept: 'application/json' } })).statusCode).toBe(404);
    expect(errors).toEqual([]);
    await fastify.close();
  });
});
