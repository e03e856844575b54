// The HTTP door against hostile input, on the real engine (Temporal dev server + FerretDB): nesting limits, id
// charsets and bounds, framework errors in the one error shape, and the input decisions of the gateway README notes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';
import { EVENT_DATA_MAX_DEPTH, BODY_MAX_DEPTH } from '../../gateway/input-limits';
import { PATTERN_MAX_DEPTH } from '../../patterns/validate';

const hold = {
  name: 'In Hold',
  reactions: [
    {
      name: 'holding',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'in.hold'",
        transform: { eventDataTemplate: { title: 'held' } },
        publish: { to: '$thred' },
        transition: { name: '$noTransition' },
      },
    },
  ],
};
// The longest legal thred id: a 128-character pattern id, `_`, a 128-character event id.
const LONG_PATTERN_ID = 'p'.repeat(128);
const longIds = {
  ...hold,
  id: LONG_PATTERN_ID,
  name: 'Long Ids',
  reactions: [{ ...hold.reactions[0], condition: { ...hold.reactions[0]!.condition, xpr: "$event.type = 'in.long'" } }],
};

let g: GatewayEngine;
let gw: Gateway;
let admin: { authorization: string };
let sensor: { authorization: string };

beforeAll(async () => {
  g = await startGatewayEngine('gateway-input', { patterns: [hold, longIds] });
  gw = await g.gateway({}, false);
  admin = g.bearer('ops', ['admin']);
  sensor = g.bearer('sensor0');
});
afterAll(async () => g?.close());

type Headers = Record<string, string>;
const post = (url: string, payload: unknown, headers: Headers = sensor) =>
  gw.app.inject({ method: 'POST', url, payload: payload as object, headers });
const put = (url: string, payload: unknown, headers: Headers = admin) =>
  gw.app.inject({ method: 'PUT', url, payload: payload as object, headers });
const get = (url: string, headers: Headers = admin) => gw.app.inject({ method: 'GET', url, headers });
/** Raw bytes with a content type, as a client that is not a JS library would send them. */
const raw = (url: string, body: string | Buffer, contentType: string, headers: Headers = sensor) =>
  gw.app.inject({ method: 'POST', url, body, headers: { ...headers, 'content-type': contentType } });

const errorShape = (statusCode: number, code: string) => ({
  statusCode,
  code,
  error: expect.any(String),
  message: expect.any(String),
  details: expect.any(Array),
});

function deepObject(levels: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}
// Deep values are sent as text: JSON.stringify itself (the test client's too) overflows the stack long before 10,000.
const deepObjectJson = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const deepArrayJson = (levels: number): string => '['.repeat(levels) + '1' + ']'.repeat(levels);
/** `levels` nested `and` conditions around one filter, as JSON text. */
const deepConditionJson = (levels: number): string =>
  '{"type":"and","operands":['.repeat(levels) + '{"type":"filter","xpr":"true"}' + ']}'.repeat(levels);
const deepPatternJson = (levels: number): string =>
  `{"name":"Deep","reactions":[{"name":"r","condition":${deepConditionJson(levels)}}]}`;

async function holdThred(): Promise<string> {
  const res = await post('/events', { type: 'in.hold', source: { id: 'x' } });
  expect(res.statusCode).toBe(202);
  return res.json().results[0].started[0];
}

describe('nesting limits', () => {
  it('event data nested 10,000 levels (objects or arrays, unbound or bound) → 400, checked before anything recursive', async () => {
    const thredId = await holdThred();
    for (const data of [deepObjectJson(10_000), `{"content":{"values":${deepArrayJson(10_000)}}}`]) {
      for (const bound of ['', `"thredId":"${thredId}",`]) {
        const res = await raw(
          '/events',
          `{${bound}"type":"in.hold","source":{"id":"x"},"data":${data}}`,
          'application/json',
        );
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json()).toEqual(errorShape(400, 'THREDS_ERR_VALIDATION'));
      }
    }
  });

  it(`event data may nest ${EVENT_DATA_MAX_DEPTH} levels; one more is refused, naming the limit`, async () => {
    const ok = await post('/events', {
      type: 'in.nothing',
      source: { id: 'x' },
      data: deepObject(EVENT_DATA_MAX_DEPTH),
    });
    expect(ok.statusCode, ok.body).toBe(202);
    const res = await post('/events', {
      type: 'in.nothing',
      source: { id: 'x' },
      data: deepObject(EVENT_DATA_MAX_DEPTH + 1),
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toEqual(errorShape(400, 'THREDS_ERR_VALIDATION'));
    expect(body.details).toEqual([
      { path: expect.stringMatching(/^\/data(\/a)+$/), reason: `is nested deeper than ${EVENT_DATA_MAX_DEPTH} levels` },
    ]);
  });

  it('in a batch, an event over the event limit (but under the body limit) fails alone (its result carries the error)', async () => {
    const res = await raw(
      '/events',
      `{"events":[{"id":"deep-in-batch","type":"in.nothing","source":{"id":"x"},"data":${deepArrayJson(200)}},{"type":"in.nothing","source":{"id":"x"}}]}`,
      'application/json',
    );
    expect(res.statusCode).toBe(202);
    const [bad, good] = res.json().results;
    expect(bad).toMatchObject({ eventId: 'deep-in-batch', error: errorShape(400, 'THREDS_ERR_VALIDATION') });
    expect(bad.error.details[0].reason).toBe(`is nested deeper than ${EVENT_DATA_MAX_DEPTH} levels`);
    expect(good.error).toBeUndefined();
  });

  it(`any JSON body nested deeper than ${BODY_MAX_DEPTH} levels → 400 before validation`, async () => {
    for (const url of ['/login', '/refresh', '/patterns/validate', '/threds/x/transition']) {
      const res = await raw(url, deepObjectJson(20_000), 'application/json', admin);
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toEqual(errorShape(400, 'THREDS_ERR_VALIDATION'));
      expect(res.json().message).toContain(`${BODY_MAX_DEPTH} levels`);
    }
  });

  it('pattern conditions nested 500 or 2,000 levels → 400 on PUT, validate and simulate', async () => {
    for (const levels of [500, 2000]) {
      const pattern = deepPatternJson(levels);
      const putRes = await gw.app.inject({
        method: 'PUT',
        url: '/patterns/deep',
        body: pattern,
        headers: { ...admin, 'content-type': 'application/json' },
      });
      expect(putRes.statusCode, putRes.body).toBe(400);
      expect(putRes.json()).toEqual(errorShape(400, 'THREDS_ERR_VALIDATION'));
      const validate = await raw('/patterns/validate', pattern, 'application/json', admin);
      expect(validate.statusCode).toBe(400);
      const sim = await raw(
        '/patterns/simulate',
        `{"pattern":${pattern},"events":[{"type":"x","source":{"id":"a"}}]}`,
        'application/json',
        admin,
      );
      expect(sim.statusCode).toBe(400);
    }
    expect((await get('/patterns/deep')).statusCode).toBe(404);
  });

  it(`a pattern under the body limit but nested deeper than ${PATTERN_MAX_DEPTH} levels gets a validation report naming the limit`, async () => {
    const pattern = JSON.parse(deepPatternJson(PATTERN_MAX_DEPTH / 2)) as unknown;
    const putRes = await put('/patterns/deep', pattern);
    expect(putRes.statusCode).toBe(400);
    expect(putRes.json()).toMatchObject({
      code: 'THREDS_ERR_PATTERN_INVALID',
      details: [
        {
          path: expect.stringMatching(/^\/reactions\/0\/condition/),
          reason: `is nested deeper than ${PATTERN_MAX_DEPTH} levels`,
        },
      ],
    });
    const validate = await post('/patterns/validate', pattern, admin);
    expect(validate.statusCode).toBe(200);
    expect(validate.json()).toMatchObject({
      valid: false,
      errors: [{ reason: `is nested deeper than ${PATTERN_MAX_DEPTH} levels` }],
    });
    const sim = await post('/patterns/simulate', { pattern, events: [] }, admin);
    expect(sim.statusCode).toBe(200);
    expect(sim.json()).toMatchObject({ valid: false });
  });
});

describe('thredId and pattern ids', () => {
  it('thredId is checked like an event id (charset; 257 characters at most), before Temporal is asked', async () => {
    for (const thredId of ['has space', 'a/b', '', 'x'.repeat(258), 'x'.repeat(5_000), 'x'.repeat(100_000)]) {
      const res = await post('/events', { type: 'in.hold', source: { id: 'x' }, thredId });
      expect(res.statusCode, thredId.slice(0, 20)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'THREDS_ERR_VALIDATION', details: [{ path: '/thredId' }] });
    }
    const longest = await post('/events', { type: 'in.hold', source: { id: 'x' }, thredId: 'x'.repeat(257) });
    expect(longest.statusCode).toBe(404);
    expect(longest.json()).toMatchObject({ code: 'THREDS_ERR_THRED_NOT_FOUND' });
  });

  it('a thred with the longest legal id can be read, logged and terminated through its routes', async () => {
    const id = 'e'.repeat(128);
    const res = await post('/events', { id, type: 'in.long', source: { id: 'x' } });
    expect(res.statusCode, res.body).toBe(202);
    const thredId = `${LONG_PATTERN_ID}_${id}`;
    expect(thredId).toHaveLength(257);
    expect(res.json().results[0].started).toEqual([thredId]);
    await waitFor(async () => (await get(`/threds/${thredId}`)).statusCode === 200, 'the thred view');
    expect((await get(`/threds/${thredId}/log`)).statusCode).toBe(200);
    expect((await get(`/threds/${thredId}/events`)).statusCode).toBe(200);
    const term = await post(`/threds/${thredId}/terminate`, {}, admin);
    expect(term.statusCode, term.body).toBe(200);
  });

  it('route ids longer than any legal id answer 4xx in the error shape', async () => {
    for (const n of [258, 2_000, 20_000]) {
      const id = 'x'.repeat(n);
      for (const res of [
        await get(`/threds/${id}`),
        await get(`/threds/${id}/log`),
        await post(`/threds/${id}/terminate`, {}, admin),
        await get(`/patterns/${id}`),
      ]) {
        expect(res.statusCode, `${n}: ${res.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        expect(res.json()).toEqual(errorShape(res.statusCode, expect.stringMatching(/^THREDS_ERR_/)));
      }
    }
  });

  it('pattern ids need the event-id charset and may not be prototype names', async () => {
    for (const id of ['__proto__', 'constructor', 'prototype', '$where', 'a%20b', 'p'.repeat(129)]) {
      const res = await put(`/patterns/${id}`, hold);
      expect(res.statusCode, id).toBe(400);
      expect(res.json()).toMatchObject({
        statusCode: 400,
        code: expect.stringMatching(/^THREDS_ERR_/),
        details: [{ path: expect.stringMatching(/^\/id$/) }],
      });
    }
    const listed = (await get('/patterns')).json().patterns.map((p: { id: string }) => p.id);
    expect(listed).not.toContain('__proto__');
    expect(listed).not.toContain('constructor');
    expect(listed).not.toContain('$where');
    // A body id outside the charset is refused by the validator (the CLI's `threds validate` too).
    const report = (await post('/patterns/validate', { ...hold, id: 'has space' }, admin)).json();
    expect(report).toMatchObject({ valid: false, errors: [{ path: '/id' }] });
  });
});

describe('bound events', () => {
  it('with $-keys and dotted keys in data → 202 and stored intact', async () => {
    const thredId = await holdThred();
    const data = { content: { values: { $gt: 5, 'a.b': { $where: 'x' }, $xpr: '1' } } };
    const res = await post('/events', { id: 'dollar-keys-1', type: 'in.hold', source: { id: 'x' }, thredId, data });
    expect(res.statusCode, res.body).toBe(202);
    const stored = await g.e.store.events.get('dollar-keys-1');
    expect(stored?.event.data).toEqual(data);
  });

  it('to unknown threds, 40 at once → 404 each', async () => {
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post('/events', {
          type: 'in.hold',
          source: { id: 'x' },
          thredId: `no_such_thred_${i}`,
          data: { content: { values: { $gt: i } } },
        }),
      ),
    );
    expect(all.map((r) => r.statusCode)).toEqual(all.map(() => 404));
    for (const r of all) expect(r.json()).toEqual(errorShape(404, 'THREDS_ERR_THRED_NOT_FOUND'));
  });

  it('mixed with 65,536+-character thredIds, at once: bystanders still get 202 and 404, never 503', async () => {
    const thredId = await holdThred();
    const requests = Array.from({ length: 30 }, (_, i) => {
      if (i % 3 === 0)
        return post('/events', { type: 'in.hold', source: { id: 'x' }, thredId: 'h'.repeat(70_000 + i) });
      if (i % 3 === 1)
        return post('/events', {
          type: 'in.hold',
          source: { id: 'x' },
          thredId,
          data: { content: { values: { $in: [i] } } },
        });
      return post('/events', { type: 'in.hold', source: { id: 'x' }, thredId: `gone_${i}` });
    });
    const codes = (await Promise.all(requests)).map((r) => r.statusCode);
    expect(codes).toEqual(codes.map((_, i) => [400, 202, 404][i % 3]));
  });
});

describe('framework errors have the one shape', () => {
  it('404 route not found, 400 bad JSON, 413, 415, empty JSON body', async () => {
    expect((await get('/no/such/route')).json()).toEqual(errorShape(404, 'THREDS_ERR_NOT_FOUND'));
    expect((await raw('/events', '{"type": ', 'application/json')).json()).toEqual(
      errorShape(400, 'THREDS_ERR_INVALID_JSON'),
    );
    expect((await raw('/events', '', 'application/json')).json()).toEqual(errorShape(400, 'THREDS_ERR_INVALID_JSON'));
    const big = await raw(
      '/events',
      JSON.stringify({ type: 't', source: { id: 'x' }, data: { title: 'x'.repeat(300 * 1024) } }),
      'application/json',
    );
    expect(big.json()).toEqual(errorShape(413, 'THREDS_ERR_PAYLOAD_TOO_LARGE'));
    expect((await raw('/events', '<event/>', 'application/xml')).json()).toEqual(
      errorShape(415, 'THREDS_ERR_UNSUPPORTED_MEDIA_TYPE'),
    );
  });

  it('a body with a non-JSON content type → 415, even when the bytes are JSON', async () => {
    const body = JSON.stringify({ type: 'in.nothing', source: { id: 'x' } });
    for (const type of [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
    ]) {
      const res = await raw('/events', body, type);
      expect(res.statusCode, type).toBe(415);
      expect(res.json()).toEqual(errorShape(415, 'THREDS_ERR_UNSUPPORTED_MEDIA_TYPE'));
    }
  });

  it('prototype keys in a body → 400 INVALID_JSON in the shape', async () => {
    const res = await raw('/events', '{"type":"t","source":{"id":"x"},"__proto__":{"admin":true}}', 'application/json');
    expect(res.json()).toEqual(errorShape(400, 'THREDS_ERR_INVALID_JSON'));
  });
});

describe('input decisions', () => {
  it('time or timestamp of the wrong type → 400 naming the field', async () => {
    for (const [field, value] of [
      ['time', '2026-01-01'],
      ['time', true],
      ['timestamp', '1764300000000'],
      ['timestamp', null],
      ['time', -1],
      ['time', 1.5],
    ] as const) {
      const res = await post('/events', { type: 'in.nothing', source: { id: 'x' }, [field]: value });
      expect(res.statusCode, `${field}=${JSON.stringify(value)}`).toBe(400);
      expect(res.json().details).toEqual([expect.objectContaining({ path: `/${field}` })]);
    }
    const ok = await post('/events', { type: 'in.nothing', source: { id: 'x' }, timestamp: 1764300000000 });
    expect(ok.statusCode).toBe(202);
  });

  it('null (or other non-object) entries in a batch → that entry’s error; the others are routed', async () => {
    const res = await post('/events', { events: [null, { type: 'in.nothing', source: { id: 'x' } }, 7, 'x', []] });
    expect(res.statusCode).toBe(202);
    const results = res.json().results as { error?: unknown }[];
    expect(results).toHaveLength(5);
    expect(results[1]!.error).toBeUndefined();
    for (const i of [0, 2, 3, 4]) expect(results[i]!.error).toEqual(errorShape(400, 'THREDS_ERR_VALIDATION'));
  });

  it('invalid UTF-8 bytes → 400 INVALID_JSON', async () => {
    const body = Buffer.concat([
      Buffer.from('{"type":"in.nothing","source":{"id":"x"},"data":{"title":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}}'),
    ]);
    const res = await raw('/events', body, 'application/json');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(errorShape(400, 'THREDS_ERR_INVALID_JSON'));
  });

  it('lone surrogates (valid JSON escapes, not Unicode) → 400 naming the field; paired ones are fine', async () => {
    for (const body of [
      '{"type":"in.nothing","source":{"id":"x"},"data":{"title":"\\ud800"}}',
      '{"type":"in.nothing","source":{"id":"x"},"data":{"\\udfff":1}}',
      '{"type":"in.\\ud83d","source":{"id":"x"}}',
    ]) {
      const res = await raw('/events', body, 'application/json');
      expect(res.statusCode, body).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'THREDS_ERR_VALIDATION',
        details: [{ reason: expect.stringContaining('surrogate') }],
      });
    }
    const ok = await raw(
      '/events',
      '{"id":"emoji-1","type":"in.nothing","source":{"id":"x"},"data":{"title":"\\ud83d\\ude00 ok"}}',
      'application/json',
    );
    expect(ok.statusCode).toBe(202);
    expect((await g.e.store.events.get('emoji-1'))?.event.data?.title).toBe('😀 ok');
  });
});
