/**
 * Expression layer: bindings, $valueNamed search order, pinned clock, plain-JSON results, truthiness,
 * and the guards (length, syntax) — independent of the machine.
 */
import { describe, expect, it } from 'vitest';
import {
  checkExpression,
  compileExpression,
  evaluateExpression,
  ExpressionError,
  MAX_EXPRESSION_LENGTH,
  truthy,
  valueNamed,
  type EvalScope,
  type ThredsEvent,
} from '../../patterns/index';

const event: ThredsEvent = {
  id: 'e1',
  type: 'org.test',
  thredId: 'th1',
  re: 'out1',
  source: { id: 'alice' },
  data: {
    title: 'T',
    advice: { eventType: 'org.wt.client.tell' },
    content: { values: { a: 1, nested: { k: 'deep' } } },
  },
};

const scope = (over: Partial<EvalScope> = {}): EvalScope => ({
  event,
  thredId: 'th1',
  locals: {},
  outIds: {},
  now: 86_400_000,
  logs: [],
  ...over,
});

describe('valueNamed', () => {
  const cases: [string, unknown, string, unknown][] = [
    ['own key first', { x: 1, inner: { x: 2 } }, 'x', 1],
    ['then property values in key order', { first: { x: 'a' }, second: { x: 'b' } }, 'x', 'a'],
    ['depth-first before later siblings', { first: { deeper: { x: 'deep' } }, second: { x: 'shallow' } }, 'x', 'deep'],
    ['arrays element by element', [{ y: 1 }, { x: 'in array' }], 'x', 'in array'],
    ['skips null values', { x: null, inner: { x: 'found' } }, 'x', 'found'],
    ['missing → undefined', { a: 1 }, 'x', undefined],
    ['scalars → undefined', 'text', 'x', undefined],
  ];
  it.each(cases)('%s', (_t, values, name, expected) => {
    expect(valueNamed(values, name)).toEqual(expected);
  });
});

describe('bindings', () => {
  const cases: [string, string, unknown][] = [
    ['$event', '$event.id', 'e1'],
    ['$thredId', '$thredId', 'th1'],
    ['$data', '$data.title', 'T'],
    ['$advice', '$advice.eventType', 'org.wt.client.tell'],
    ['$content', '$content.values.a', 1],
    ['$values', '$values.a', 1],
    ['$valueNamed', "$valueNamed('k')", 'deep'],
    ['$valueNamed on another event', "$valueNamed('z', { 'data': { 'content': { 'values': { 'z': 9 } } } })", 9],
    ['input document', 'event.type', 'org.test'],
    ['$millis pinned to ctx', '$millis()', 86_400_000],
    ['$now pinned to ctx', '$now()', '1970-01-02T00:00:00.000Z'],
    ['$now with a picture', "$now('[Y0001]-[M01]-[D01]')", '1970-01-02'],
    ['$toMillis uses the real parser', "$toMillis('1970-01-01T00:00:01Z')", 1000],
    ['$outboundEvent only when bound', '$outboundEvent', undefined],
  ];
  it.each(cases)('%s', async (_t, src, expected) => {
    expect(await evaluateExpression(src, scope())).toEqual(expected);
  });

  it('$setLocal writes plain JSON to the scope; $local reads it', async () => {
    const s = scope();
    await evaluateExpression("$setLocal('k', { 'ev': $event, 'n': [1, 2] })", s);
    expect(await evaluateExpression("$local('k').ev.id & $string($count($local('k').n))", s)).toBe('e12');
    expect(s.locals.k).toEqual({ ev: event, n: [1, 2] });
    // no aliasing: the stored copy is independent of the event
    expect((s.locals.k as { ev: unknown }).ev).not.toBe(event);
  });

  it('$isResponseFor compares event.re with the stored publish id (also the legacy out_id_ local)', async () => {
    expect(await evaluateExpression("$isResponseFor('q')", scope({ outIds: { q: 'out1' } }))).toBe(true);
    expect(await evaluateExpression("$isResponseFor('q')", scope({ outIds: { q: 'other' } }))).toBe(false);
    expect(await evaluateExpression("$isResponseFor('q')", scope({ locals: { out_id_q: 'out1' } }))).toBe(true);
    expect(await evaluateExpression("$isResponseFor('q')", scope())).toBe(false);
  });

  it('$log collects lines instead of doing I/O', async () => {
    const s = scope();
    await evaluateExpression("($log('one'); $log({ 'two': 2 }))", s);
    expect(s.logs).toEqual(['one', '{"two":2}']);
  });

  it('results are plain JSON (sequences become arrays, functions and lambdas vanish)', async () => {
    expect(
      await evaluateExpression("{ 'seq': [1,2,3].($ * 2), 'fn': function($x){ $x }, 'native': $string }", scope()),
    ).toEqual({
      seq: [2, 4, 6],
    });
  });

  it('$setLocal of a lambda stores nothing', async () => {
    const s = scope();
    await evaluateExpression("$setLocal('f', function($x){ $x })", s);
    expect(s.locals).toEqual({});
  });
});

describe('guards', () => {
  it('rejects over-long expressions at compile time', () => {
    expect(() => compileExpression('1'.repeat(MAX_EXPRESSION_LENGTH + 1))).toThrow(ExpressionError);
  });
  it('reports syntax errors without throwing', () => {
    expect(checkExpression('$a + ')).toMatch(/syntax error/);
    expect(checkExpression('$a + 1')).toBeNull();
  });
  it('$base64encode may be unavailable in the sandbox; either way it never throws past evaluateExpression', () => {
    let r: unknown;
    try {
      r = evaluateExpression("$base64encode('x')", scope());
    } catch (e) {
      r = e;
    }
    expect(r === 'eA==' || r instanceof ExpressionError).toBe(true);
  });
});

describe('truthy (JSONata $boolean)', () => {
  const cases: [unknown, boolean][] = [
    [undefined, false],
    [null, false],
    [false, false],
    [0, false],
    ['', false],
    [[], false],
    [{}, false],
    [true, true],
    [1, true],
    ['x', true],
    [[0, 1], true],
    [[0], false],
    [{ a: 1 }, true],
  ];
  it.each(cases)('%j → %s', (value, expected) => {
    expect(truthy(value)).toBe(expected);
  });
});
