// Diagrams over HTTP on the real engine (SPEC §15 "Diagram"): GET /patterns/:id/diagram answers the Mermaid text
// (text/vnd.mermaid) of the stored pattern; GET /threds/:id/diagram the same with the thred's current reaction
// `current` and the reactions it went through `visited`, following the thred as it moves; errors keep the JSON shape.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternDiagram } from '../../patterns/diagram';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';

const flow = {
  id: 'diag_flow',
  name: 'diag_flow',
  reactions: [
    {
      name: 'opened',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'diag.open'",
        transform: { eventDataTemplate: { title: 'opened' } },
        publish: { to: '$xpr($event.source.id)' },
      },
    },
    {
      name: 'waiting',
      expiry: { interval: 600_000, transition: { name: '$terminate' } },
      condition: {
        type: 'or',
        operands: [
          { type: 'filter', xpr: "$event.type = 'diag.go'", transition: { name: 'closing' } },
          { type: 'filter', xpr: "$event.type = 'diag.stop'", transition: { name: '$terminate' } },
        ],
      },
    },
    { name: 'closing', condition: { type: 'filter', xpr: "$event.type = 'diag.close'" } },
  ],
};

let g: GatewayEngine;
let gw: Gateway;
const person = `diag-${randomBytes(3).toString('hex')}`;
const admin = () => g.bearer('ops', ['admin']);
const get = (url: string, headers: Record<string, string> = admin()) => gw.app.inject({ method: 'GET', url, headers });

beforeAll(async () => {
  g = await startGatewayEngine('diagram', { patterns: [flow] });
  gw = await g.gateway({}, false);
});
afterAll(async () => g?.close());

async function post(event: Record<string, unknown>): Promise<string> {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    payload: { source: { id: person }, ...event },
    headers: g.bearer(person),
  });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json() as { results: { thredIds: string[] }[] }).results[0]!.thredIds[0]!;
}

async function reactionIs(thredId: string, reaction: string | null): Promise<void> {
  await waitFor(async () => (await get(`/threds/${thredId}`)).json().reaction === reaction, `thred at ${reaction}`);
}

describe('GET /patterns/:id/diagram', () => {
  it('answers the stored pattern as text/vnd.mermaid', async () => {
    const res = await get('/patterns/diag_flow/diagram');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/vnd\.mermaid/);
    expect(res.body).toBe(patternDiagram(flow));
    expect(res.body).toContain('  [*] --> opened\n');
    expect(res.body).toContain('  waiting --> closing : or 1\n');
    expect(res.body).toContain('  waiting --> [*] : or 2 · $terminate\n');
    expect(res.body).toContain('  waiting --> [*] : expiry 10min · $terminate\n');
    expect(res.body).not.toContain('class ');
  });

  it('404 for an unknown pattern, 403 for a non-admin, 401 without a token (JSON errors)', async () => {
    const missing = await get('/patterns/no_such_pattern/diagram');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ statusCode: 404, code: 'THREDS_ERR_PATTERN_NOT_FOUND' });
    expect((await get('/patterns/diag_flow/diagram', g.bearer(person))).statusCode).toBe(403);
    const anonymous = await get('/patterns/diag_flow/diagram', {});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toHaveProperty('code');
  });
});

describe('OpenAPI', () => {
  it('documents both diagram routes as text/vnd.mermaid', async () => {
    const doc = (await get('/docs/json', {})).json() as {
      paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>;
    };
    for (const path of ['/patterns/{id}/diagram', '/threds/{id}/diagram']) {
      const content = doc.paths[path]?.get?.responses['200']?.content ?? {};
      expect(Object.keys(content), path).toEqual(['text/vnd.mermaid; charset=utf-8']);
    }
  });
});

describe('GET /threds/:id/diagram', () => {
  it('marks the current reaction and the visited ones, following the thred', async () => {
    const thredId = await post({ type: 'diag.open' });
    await reactionIs(thredId, 'waiting');
    const first = await get(`/threds/${thredId}/diagram`);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/vnd\.mermaid/);
    expect(first.body).toContain('  class opened visited\n');
    expect(first.body).toContain('  class waiting current\n');
    expect(first.body).not.toContain('class closing');

    // The participant sees their own thred's diagram too.
    const mine = await get(`/threds/${thredId}/diagram`, g.bearer(person));
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toBe(first.body);

    await post({ type: 'diag.go', thredId });
    await reactionIs(thredId, 'closing');
    const second = (await get(`/threds/${thredId}/diagram`)).body;
    expect(second).toContain('  class opened visited\n  class waiting visited\n  class closing current\n');

    await post({ type: 'diag.close', thredId });
    await reactionIs(thredId, null);
    const ended = (await get(`/threds/${thredId}/diagram`)).body;
    expect(ended).toContain('  class closing visited\n');
    expect(ended).not.toMatch(/class \w+ current/);
  });

  it("404 for an unknown thred and for someone else's (JSON errors)", async () => {
    const thredId = await post({ type: 'diag.open' });
    await reactionIs(thredId, 'waiting');
    const other = await get(`/threds/${thredId}/diagram`, g.bearer('someone-else'));
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ code: 'THREDS_ERR_THRED_NOT_FOUND' });
    const missing = await get('/threds/no_such_thred/diagram');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'THREDS_ERR_THRED_NOT_FOUND' });
  });
});
