// GET /events, the admin audit query, through HTTP on the real engine: filters by type, source, thred and time
// window, pages that together list every event exactly once, and the error answers (401, 403, 400 naming the field).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { eventId } from '../helpers/engine';

// Takes `aq.open` (starting a thred) and `aq.note` (bound) and stays; `aq.other` matches no pattern.
const notes = {
  id: 'aq_notes',
  name: 'Audit Notes',
  reactions: [
    {
      name: 'open',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'aq.open' or $event.type = 'aq.note'",
        transition: { name: '$noTransition' },
      },
    },
  ],
};

interface Listed {
  event: { id: string; type: string; source: { id: string }; time: number };
  direction: 'in' | 'out';
  thredIds: string[];
  outcome?: string;
}
interface Page {
  events: Listed[];
  nextCursor?: string;
}

let g: GatewayEngine;
let gw: Gateway;
const base = Date.UTC(2026, 0, 1);
const ids: Record<string, string> = {};
let thredA: string;
let thredB: string;

async function post(name: string, type: string, from: string, offset: number, thredId?: string): Promise<string[]> {
  const id = eventId(name);
  ids[name] = id;
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    headers: g.bearer(from),
    payload: { id, type, source: { id: from }, time: base + offset, ...(thredId && { thredId }) },
  });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json() as { results: { started: string[] }[] }).results[0]!.started;
}

async function query(qs: string, headers = g.bearer('ops', ['admin'])) {
  return gw.app.inject({ method: 'GET', url: `/events${qs}`, headers });
}

async function page(qs: string): Promise<Page> {
  const res = await query(qs);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Page;
}

const names = (p: Page) => p.events.map((e) => Object.keys(ids).find((k) => ids[k] === e.event.id) ?? e.event.id);

beforeAll(async () => {
  g = await startGatewayEngine('eventsquery', { patterns: [notes] });
  gw = await g.gateway({}, false);
  thredA = (await post('openA', 'aq.open', 'alice', 0))[0]!;
  await post('noteA1', 'aq.note', 'alice', 10, thredA);
  await post('noteA2', 'aq.note', 'bob', 20, thredA);
  // Two events at the same time: the page order (time, then id) must still be total.
  await post('noteA3', 'aq.note', 'alice', 30, thredA);
  await post('noteA4', 'aq.note', 'carol', 30, thredA);
  thredB = (await post('openB', 'aq.open', 'bob', 40))[0]!;
  await post('noteB1', 'aq.note', 'carol', 50, thredB);
  await post('stray', 'aq.other', 'carol', 60);
});
afterAll(async () => g?.close());

describe('GET /events', () => {
  it('lists every stored event oldest first, with the threds it went to', async () => {
    const all = await page('?limit=500');
    // noteA3 and noteA4 share a time: their ids (`noteA3-…` < `noteA4-…`) decide.
    expect(names(all)).toEqual(['openA', 'noteA1', 'noteA2', 'noteA3', 'noteA4', 'openB', 'noteB1', 'stray']);
    expect(all.nextCursor).toBeUndefined();
    const byName = Object.fromEntries(all.events.map((e, i) => [names(all)[i], e]));
    expect(byName.openA).toMatchObject({ direction: 'in', thredIds: [thredA] });
    expect(byName.noteB1).toMatchObject({ direction: 'in', thredIds: [thredB] });
    expect(byName.stray).toMatchObject({ thredIds: [], outcome: 'no_pattern' });
  });

  it('filters by type, source, thred and time window, alone and together', async () => {
    expect(names(await page('?type=aq.note')).sort()).toEqual(['noteA1', 'noteA2', 'noteA3', 'noteA4', 'noteB1']);
    expect(names(await page('?source=bob'))).toEqual(['noteA2', 'openB']);
    expect(names(await page(`?thredId=${thredA}`)).sort()).toEqual(['noteA1', 'noteA2', 'noteA3', 'noteA4', 'openA']);
    expect(names(await page(`?thredId=${thredB}&type=aq.note`))).toEqual(['noteB1']);
    // since ≤ time < until
    expect(names(await page(`?since=${base + 20}&until=${base + 50}`)).sort()).toEqual([
      'noteA2',
      'noteA3',
      'noteA4',
      'openB',
    ]);
    expect(names(await page(`?source=carol&since=${base + 30}&until=${base + 60}`)).sort()).toEqual([
      'noteA4',
      'noteB1',
    ]);
    expect((await page('?type=nothing.like.this')).events).toEqual([]);
  });

  it('pages through every event exactly once, ties on time included', async () => {
    const all = names(await page('?limit=500'));
    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const p = await page(`?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(p.events.length).toBeLessThanOrEqual(limit);
        seen.push(...names(p));
        cursor = p.nextCursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual(all);
      expect(pages).toBe(Math.ceil(all.length / limit));
    }
    // The cursor continues within the same filters.
    const first = await page('?type=aq.note&limit=2');
    const second = await page(`?type=aq.note&limit=2&cursor=${first.nextCursor}`);
    const third = await page(`?type=aq.note&limit=2&cursor=${second.nextCursor}`);
    expect([...names(first), ...names(second), ...names(third)].sort()).toEqual([
      'noteA1',
      'noteA2',
      'noteA3',
      'noteA4',
      'noteB1',
    ]);
    expect(third.nextCursor).toBeUndefined();
  });

  it('is for admins: 401 without a token, 403 for a participant; POST /events is unchanged', async () => {
    const anonymous = await gw.app.inject({ method: 'GET', url: '/events' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ statusCode: 401, code: 'THREDS_ERR_UNAUTHORIZED' });
    const participant = await query('', g.bearer('alice'));
    expect(participant.statusCode).toBe(403);
    expect(participant.json()).toMatchObject({ statusCode: 403, code: 'THREDS_ERR_FORBIDDEN' });
    // A participant still posts events (the route it shares the URL with).
    expect(await post('later', 'aq.other', 'alice', 70)).toEqual([]);
  });

  it('answers 400 naming the field for bad parameters', async () => {
    const cases: [string, string][] = [
      ['?since=yesterday', '/since'],
      ['?since=-5', '/since'],
      ['?until=1.5', '/until'],
      [`?since=${base + 50}&until=${base}`, '/until'],
      ['?limit=0', '/limit'],
      ['?limit=501', '/limit'],
      ['?cursor=not-a-cursor', '/cursor'],
      [`?cursor=${Buffer.from('[1,2]').toString('base64url')}`, '/cursor'],
      ['?thredId=' + 'x'.repeat(600), '/thredId'],
    ];
    for (const [qs, path] of cases) {
      const res = await query(qs);
      expect(res.statusCode, qs).toBe(400);
      const body = res.json() as { code: string; details: { path: string }[] };
      expect(body.code, qs).toBe('THREDS_ERR_VALIDATION');
      expect(
        body.details.map((d) => d.path),
        qs,
      ).toContain(path);
    }
  });

  // Last: it adds a record to thred A.
  it('still reads records stored before the audit columns (GET /threds/:id/events); GET /events skips them', async () => {
    const legacy = { id: eventId('legacy'), type: 'aq.note', source: { id: 'alice' }, thredId: thredA, time: base + 5 };
    await g.e.s.db
      .collection<{ _id: string; event: string; direction: string; thredId: string; storedAt: number }>('events')
      .insertOne({ _id: legacy.id, event: JSON.stringify(legacy), direction: 'in', thredId: thredA, storedAt: base });
    const res = await gw.app.inject({
      method: 'GET',
      url: `/threds/${thredA}/events`,
      headers: g.bearer('ops', ['admin']),
    });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { events: Listed[] }).events.map((e) => e.event.id)).toContain(legacy.id);
    expect(names(await page(`?thredId=${thredA}`))).not.toContain(legacy.id);
  });

  it('is in the OpenAPI document beside POST /events', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    expect(Object.keys(doc.paths['/events']!)).toEqual(expect.arrayContaining(['get', 'post']));
    expect(doc.paths['/events']!.get!.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['type', 'source', 'thredId', 'since', 'until', 'limit', 'cursor']),
    );
  });
});
