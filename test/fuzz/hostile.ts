/**
 * fast-check arbitraries of hostile request bodies, and the checks every response must pass. Bodies are sent as
 * text: some hostile values (10,000 levels of nesting, own `__proto__` keys) cannot pass through JSON.stringify or
 * a JS object literal, so they travel as `Raw` JSON fragments spliced into the serialized body.
 */
import fc from 'fast-check';
import { expect } from 'vitest';

/** A JSON fragment sent verbatim. */
export class Raw {
  constructor(readonly text: string) {}
  // Counterexamples print this instead of 10,000 levels of braces.
  [fc.toStringMethod](): string {
    return `Raw(${this.text.length} chars: ${this.text.slice(0, 60)}…)`;
  }
}

/** A path segment of `id`; a lone surrogate (which encodeURIComponent refuses) travels as its invalid UTF-8 bytes. */
export const segment = (id: string): string =>
  Array.from(id, (ch) => (ch.length === 1 && /[\ud800-\udfff]/.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch))).join(
    '',
  );

/** JSON text of `value`, with every `Raw` fragment spliced in. */
export function toBody(value: unknown): string {
  const fragments: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Raw) {
      fragments.push(v.text);
      return `\u0000raw${fragments.length - 1}\u0000`;
    }
    return v;
  });
  if (text === undefined) return 'null';
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => fragments[Number(i)]!);
}

const deepObject = (n: number) => new Raw('{"a":'.repeat(n) + '1' + '}'.repeat(n));
const deepArray = (n: number) => new Raw('['.repeat(n) + '"x"' + ']'.repeat(n));
const depth = fc.constantFrom(2, 63, 64, 65, 66, 127, 129, 255, 257, 1000, 10_000);

/** Keys that mean something to a store, a template or a JS object. */
export const hostileKey = fc.oneof(
  fc.constantFrom(
    '$gt',
    '$where',
    '$xpr',
    '$set',
    'a.b',
    '.',
    '..',
    '$',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '',
    ' ',
    '\u0000',
    'id',
    'type',
    'thredId',
    '\ud800',
    '\udfff',
    '😀',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '\ud800',
      'a\udc00b',
      '😀',
      '\u202e\u202d',
      '$where',
      '{"$gt":""}',
      '../../etc/passwd',
      '<script>alert(1)</script>',
      "'; DROP TABLE events; --",
      '$event.data ~> $string',
      'a'.repeat(129),
      'x'.repeat(258),
    ),
    weight: 6,
  },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 6 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 6 },
  // Rare: big bodies cost time, and one is enough to cross the 256 KiB limit.
  { arbitrary: fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'y'.repeat(n)), weight: 1 },
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, -1, 1.5, Number.MAX_SAFE_INTEGER, 1e308, -1e308, 8.64e15, 8.64e15 + 1),
);

const rawFragment = fc.oneof(
  depth.map(deepObject),
  depth.map(deepArray),
  fc.constantFrom(
    new Raw('{"__proto__":{"admin":true}}'),
    new Raw('{"constructor":{"prototype":{"polluted":1}}}'),
    new Raw('"\\ud800"'),
    new Raw('{"\\udfff":1}'),
    new Raw('1e999'),
    new Raw('-0'),
    new Raw('{"a":1,"a":2}'),
  ),
);

/** Any JSON value, biased to what breaks servers. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{
  value: unknown;
  array: unknown[];
  object: Record<string, unknown>;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    hostileNumber,
    hostileString,
    rawFragment,
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
})).value;

export const validId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/);
/** An id for a path segment: legal, illegal, long, or empty. */
export const pathId = fc.oneof(
  validId,
  hostileString,
  fc.integer({ min: 100, max: 30_000 }).map((n) => 'z'.repeat(n)),
);

/** Events: every field absent, plausible or hostile; `thredIds` are running threds some bound events go to. */
export function eventArb(thredIds: string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(wildEventArb(thredIds), plausibleEventArb(thredIds));
}

/** Valid envelopes with hostile data, so the cases reach the store and Temporal (bound to running or missing threds). */
function plausibleEventArb(thredIds: string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      id: validId,
      type: fc.constantFrom('fuzz.nothing', 'fuzz.hold'),
      source: fc.record({ id: validId }),
      thredId: fc.oneof(fc.constantFrom(...thredIds), validId),
      time: fc.integer({ min: 0, max: 8.64e15 }),
      data: fc.record(
        {
          title: hostileString,
          content: fc.record({ values: fc.dictionary(hostileKey, hostileValue, { maxKeys: 5 }) }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['type', 'source'] },
  );
}

function wildEventArb(thredIds: string[]): fc.Arbitrary<Record<string, unknown>> {
  const thredId = fc.oneof(fc.constantFrom(...thredIds), validId, hostileString, hostileValue);
  return fc.record(
    {
      id: fc.oneof(validId, hostileValue),
      type: fc.oneof(fc.constantFrom('fuzz.nothing', 'fuzz.hold'), hostileValue),
      source: fc.oneof(
        fc.record({ id: fc.oneof(validId, hostileValue), name: hostileValue }, { requiredKeys: [] }),
        hostileValue,
      ),
      thredId,
      re: fc.oneof(validId, hostileValue),
      time: fc.oneof(fc.integer({ min: 0, max: 2e12 }), hostileValue),
      timestamp: hostileValue,
      data: fc.oneof(
        fc.record(
          {
            title: hostileValue,
            description: hostileValue,
            content: fc.record(
              { values: hostileValue, items: hostileValue, error: hostileValue },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        hostileValue,
      ),
      extra: hostileValue,
    },
    { requiredKeys: [] },
  );
}

const expression = fc.oneof(
  fc.constantFrom(
    'true',
    "$event.type = 'fuzz.hold'",
    '(',
    ')',
    '$$$',
    '$string(',
    '[1..10000000]',
    '$count([1..10000000])',
    '$map([1..100000], function($v){$v})',
    '$eval("1+1")',
    '$sum($event.data.content.values)',
    '('.repeat(3000) + '1' + ')'.repeat(3000),
    '$valueNamed("x")',
    '{}.constructor',
    '$event.__proto__',
    '$event.type ~> /^a/',
  ),
  fc.string({ maxLength: 30 }),
  hostileValue,
);

const transition = fc.oneof(
  fc.record(
    {
      name: fc.oneof(fc.constantFrom('$next', '$terminate', '$noTransition', 'r0', 'nope'), hostileValue),
      input: hostileValue,
      localName: hostileValue,
    },
    { requiredKeys: [] },
  ),
  hostileValue,
);

const condition: fc.Arbitrary<unknown> = fc.letrec<{ condition: unknown }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small' },
    fc.record(
      {
        type: fc.oneof(fc.constantFrom('filter', 'and', 'or'), hostileValue),
        xpr: expression,
        operands: fc.oneof(fc.array(tie('condition'), { maxLength: 3 }), hostileValue),
        onTrue: fc.oneof(fc.record({ xpr: expression }), hostileValue),
        transform: fc.oneof(
          fc.record({ eventDataTemplate: hostileValue, templateXpr: expression }, { requiredKeys: [] }),
          hostileValue,
        ),
        publish: fc.oneof(
          fc.record(
            { to: fc.oneof(fc.constantFrom('$thred', '*', '$all', 'p0'), hostileValue), name: hostileValue },
            { requiredKeys: [] },
          ),
          hostileValue,
        ),
        transition,
        spawn: hostileValue,
      },
      { requiredKeys: ['type'] },
    ),
    depth.map(
      (n) => new Raw('{"type":"and","operands":['.repeat(n) + '{"type":"filter","xpr":"true"}' + ']}'.repeat(n)),
    ),
    hostileValue,
  ),
})).condition;

/** Patterns: plausible shapes with hostile parts, raw deep conditions, or anything at all. */
export const patternArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      id: fc.oneof(validId, hostileValue),
      name: fc.oneof(fc.constantFrom('Fuzz', 'Fuzz Pattern'), hostileValue),
      maxInstances: hostileValue,
      instanceInterval: hostileValue,
      broadcastAllowed: hostileValue,
      meta: fc.oneof(fc.constant({ active: false }), hostileValue),
      reactions: fc.oneof(
        fc.array(
          fc.record(
            {
              name: fc.oneof(fc.constantFrom('r0', 'r1'), hostileValue),
              allowedSources: fc.oneof(fc.constantFrom('/^a.*$/', '/(/', '*'), hostileValue),
              allowUnboundEvents: hostileValue,
              expiry: fc.oneof(fc.record({ interval: hostileNumber, transition }), hostileValue),
              condition,
            },
            { requiredKeys: ['condition'] },
          ),
          { maxLength: 3 },
        ),
        hostileValue,
      ),
    },
    { requiredKeys: ['name', 'reactions'] },
  ),
  hostileValue,
);

export interface Response {
  statusCode: number;
  body: string;
}

/** A 4xx/5xx body in the one error shape (SPEC §8). */
export function expectErrorShape(body: unknown, statusCode: number, context: string): void {
  expect(body, context).toEqual({
    statusCode,
    code: expect.stringMatching(/^THREDS_ERR_/),
    error: expect.any(String),
    message: expect.any(String),
    details: expect.any(Array),
  });
  for (const d of (body as { details: unknown[] }).details) {
    expect(d, context).toEqual({ path: expect.any(String), reason: expect.any(String) });
  }
}

/** Below 500; errors in the shape; batch results' errors in the shape too. */
export function checkResponse(res: Response, context: () => string): void {
  if (res.statusCode >= 500)
    throw new Error(`${res.statusCode} ${res.body.slice(0, 500)} for ${context().slice(0, 2000)}`);
  if (res.statusCode < 400) {
    const body =
      res.body === '' ? undefined : (JSON.parse(res.body) as { results?: { error?: { statusCode: number } }[] });
    for (const r of body?.results ?? []) {
      if (r.error === undefined) continue;
      if (r.error.statusCode >= 500)
        throw new Error(`batch entry ${JSON.stringify(r.error)} for ${context().slice(0, 2000)}`);
      expectErrorShape(r.error, r.error.statusCode, context().slice(0, 2000));
    }
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    throw new Error(`${res.statusCode} with a non-JSON body ${res.body.slice(0, 300)} for ${context().slice(0, 2000)}`);
  }
  expectErrorShape(parsed, res.statusCode, context().slice(0, 2000));
}
