// Pattern versions (SPEC §15) through HTTP on the real engine: every PUT stores a new version; a thred records the
// version it runs and keeps its behaviour after an edit, a new thred takes the new version; GET ?version=N,
// GET /patterns/:id/versions, the thred diagram of the version it runs, what-if replay of a stored version, and a
// delete that keeps the versions for the threds that ran them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';

/** A thred of this pattern starts on pv.start and, on pv.next, records which version it ran in a local. */
const version = (which: string, extraReaction?: string) => ({
  name: 'pv_flow',
  reactions: [
    { name: 'begin', condition: { type: 'filter', xpr: "$event.type = 'pv.start'" } },
    {
      name: which === 'v1' ? 'next' : 'next_v2',
      condition: { type: 'filter', xpr: "$event.type = 'pv.next'", onTrue: { xpr: `$setLocal('which', '${which}')` } },
    },
    ...(extraReaction ? [{ name: extraReaction, condition: { type: 'filter', xpr: "$event.type = 'pv.never'" } }] : []),
    { name: 'hold', condition: { type: 'filter', xpr: "$event.type = 'pv.never'" } },
  ],
});

let g: GatewayEngine;
let gw: Gateway;
const admin = () => g.bearer('ops', ['admin']);

beforeAll(async () => {
  g = await startGatewayEngine('pattern-versions', { patterns: [] });
  gw = await g.gateway({}, false);
});
afterAll(async () => g?.close());

const api = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown, headers = admin()) =>
  gw.app.inject({ method, url, headers, ...(payload !== undefined && { payload: payload as object }) });

async function startThred(): Promise<string> {
  const res = await api('POST', '/events', { type: 'pv.start', source: { id: 'sensor0' } }, g.bearer('sensor0'));
  expect(res.statusCode).toBe(202);
  const started = (res.json() as { results: { started: string[] }[] }).results[0]!.started;
  expect(started).toHaveLength(1);
  return started[0]!;
}

async function next(thredId: string): Promise<Record<string, unknown>> {
  const res = await api(
    'POST',
    '/events',
    { type: 'pv.next', thredId, source: { id: 'sensor0' } },
    g.bearer('sensor0'),
  );
  expect(res.statusCode).toBe(202);
  return waitFor(async () => {
    const view = (await api('GET', `/threds/${thredId}`)).json();
    return view.reaction === 'hold' ? view : undefined;
  }, `thred ${thredId} to take pv.next`);
}

describe('pattern versions', () => {
  it('a running thred keeps the version it started with; a new thred takes the newest', async () => {
    const v1 = await api('PUT', '/patterns/pv_flow', { ...version('v1'), version: 7 });
    expect(v1.statusCode).toBe(200);
    expect(v1.json().pattern.version).toBe(1); // assigned by the store, whatever the body said

    const old = await startThred();
    await waitFor(async () => (await api('GET', `/threds/${old}`)).json().reaction === 'next', 'the v1 thred');
    expect((await api('GET', `/threds/${old}`)).json().patternVersion).toBe(1);

    const v2 = await api('PUT', '/patterns/pv_flow', version('v2'));
    expect(v2.json().pattern.version).toBe(2);
    expect((await api('GET', '/patterns/pv_flow')).json()).toMatchObject({ version: 2 });

    const fresh = await startThred();
    const oldView = await next(old);
    const freshView = await next(fresh);
    expect(oldView).toMatchObject({ patternVersion: 1, locals: { which: 'v1' } });
    expect(freshView).toMatchObject({ patternVersion: 2, locals: { which: 'v2' } });
    expect((await api('GET', `/threds/${fresh}?live=true`)).json().patternVersion).toBe(2);

    // The thred diagram is drawn from the version the thred runs.
    const oldDiagram = (await api('GET', `/threds/${old}/diagram`)).body;
    expect(oldDiagram).toContain('next');
    expect(oldDiagram).not.toContain('next_v2');
    expect((await api('GET', `/threds/${fresh}/diagram`)).body).toContain('next_v2');

    // What-if: the new thred's events through version 1 end in the same reaction with the v1 local.
    const replay = await api('POST', `/threds/${fresh}/replay`, { patternId: 'pv_flow', version: 1 });
    expect(replay.statusCode).toBe(200);
    expect(replay.json().final).toMatchObject({ reaction: 'hold', locals: { which: 'v1' } });
  });

  it('lists versions, serves ?version=N, and keeps versions after a delete', async () => {
    await api('PUT', '/patterns/pv_flow', version('v3', 'extra'));
    const listed = await api('GET', '/patterns/pv_flow/versions');
    expect(listed.statusCode).toBe(200);
    const body = listed.json();
    expect(body.id).toBe('pv_flow');
    expect(body.current).toBe(3);
    expect(body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    expect(body.versions[0]).toMatchObject({ name: 'pv_flow', active: true, createdAt: expect.any(Number) });

    const first = await api('GET', '/patterns/pv_flow?version=1');
    expect(first.statusCode).toBe(200);
    expect(first.json().version).toBe(1);
    expect(first.json().reactions.map((r: { name: string }) => r.name)).toEqual(['begin', 'next', 'hold']);
    expect((await api('GET', '/patterns/pv_flow/diagram?version=3')).body).toContain('extra');

    expect((await api('GET', '/patterns/pv_flow?version=9')).statusCode).toBe(404);
    const bad = await api('GET', '/patterns/pv_flow?version=0');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('THREDS_ERR_VALIDATION');
    expect((await api('GET', '/patterns/no_such/versions')).statusCode).toBe(404);
    expect((await api('GET', '/patterns/pv_flow/versions', undefined, g.bearer('someone'))).statusCode).toBe(403);

    expect((await api('DELETE', '/patterns/pv_flow')).statusCode).toBe(200);
    expect((await api('GET', '/patterns/pv_flow')).statusCode).toBe(404);
    const after = (await api('GET', '/patterns/pv_flow/versions')).json();
    expect(after).toMatchObject({ current: null });
    expect(after.versions).toHaveLength(3);
    expect((await api('GET', '/patterns/pv_flow?version=2')).json().reactions[1].name).toBe('next_v2');

    // Saving again continues the numbering: version 2 keeps naming what the threds of version 2 ran.
    expect((await api('PUT', '/patterns/pv_flow', version('v4'))).json().pattern.version).toBe(4);
  });

  it('two concurrent saves take two numbers; the higher one is current', async () => {
    const [a, b] = await Promise.all([
      api('PUT', '/patterns/pv_race', { ...version('v1'), name: 'pv_race' }),
      api('PUT', '/patterns/pv_race', { ...version('v2'), name: 'pv_race' }),
    ]);
    const numbers = [a.json().pattern.version, b.json().pattern.version].sort();
    expect(numbers).toEqual([1, 2]);
    const current = (await api('GET', '/patterns/pv_race')).json();
    expect(current.version).toBe(2);
    const winner = a.json().pattern.version === 2 ? 'next' : 'next_v2';
    expect(current.reactions[1].name).toBe(winner);
  });
});
