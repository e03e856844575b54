/**
 * Regexes of patterns run on RE2 (patterns/regex.ts): linear time over event data, JSONata's semantics for
 * $match/$replace/$split/$contains kept, unsupported syntax refused with a reason; and the expression budget bounds
 * hostile expressions (recursion, ranges, string growth) with an error instead of a hang.
 */
import { describe, expect, it } from 'vitest';
import { checkExpression, evaluateExpression, type EvalScope, type ThredsEvent } from '../../patterns/index';
import { sourceAllowed } from '../../patterns/sources';
import { validatePattern } from '../../patterns/validate';

const scope = (data: Record<string, unknown> = {}): EvalScope => ({
  event: { id: 'e1', type: 't', source: { id: 'alice' }, data: data as ThredsEvent['data'] },
  thredId: 'th1',
  locals: {},
  outIds: {},
  now: 86_400_000,
  logs: [],
});
const run = (xpr: string, data: Record<string, unknown> = {}) => evaluateExpression(xpr, scope(data));
const failure = (xpr: string, data: Record<string, unknown> = {}): string => {
  try {
    run(xpr, data);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`expected ${xpr} to fail`);
};

describe('regex time is linear in the event data', () => {
  // On JavaScript's backtracking engine this takes exponential time (27 characters: ~0.7 s; 5,000: forever).
  it('(a+)+$ over 5,000 characters of event data', () => {
    const s = 'a'.repeat(5000) + '!';
    expect(run('$match($event.data.s, /(a+)+$/)', { s })).toBeUndefined();
    expect(run('$contains($event.data.s, /(a+)+$/)', { s })).toBe(false);
    expect(run('$replace($event.data.s, /(a|aa)+!/, "x")', { s })).toBe('x');
  });

  it('allowedSources /regex/ entries too', () => {
    expect(sourceAllowed(['/^(a+)+$/'], 'a'.repeat(5000) + '!', undefined)).toBe(false);
    expect(sourceAllowed(['/^SENSOR_[0-9]+$/'], 'sensor_12', undefined)).toBe(true); // case-insensitive
    expect(sourceAllowed(['/agent/'], 'my-agent-0', undefined)).toBe(true); // a search, not a full match
  });
});

describe('JSONata regex semantics on RE2', () => {
  it('$match: every match with index and groups; ^ anchors at the start only; \\b; limit', () => {
    expect(run('$match("ab ab aab", /\\bab/)')).toEqual([
      { match: 'ab', index: 0, groups: [] },
      { match: 'ab', index: 3, groups: [] },
    ]);
    expect(run('$match("aaa", /^a/)')).toEqual({ match: 'a', index: 0, groups: [] });
    expect(run('$match("k1=v1;k2=v2", /(\\w+)=(\\w+)/, 1)')).toEqual({
      match: 'k1=v1',
      index: 0,
      groups: ['k1', 'v1'],
    });
    expect(run('$count($match("k1=v1;k2=v2", /(\\w+)=(\\w+)/))')).toBe(2);
    expect(run('$match("x😀b", /b/).index')).toBe(3); // UTF-16 indexes, like JavaScript
  });

  it('flags i and m', () => {
    expect(run('$contains("ABC", /b/i)')).toBe(true);
    expect(run('$contains("ABC", /b/)')).toBe(false);
    expect(run('$match("one\\ntwo", /^t\\w+$/m).match')).toBe('two');
    expect(run('$match("one\\ntwo", /^t\\w+$/)')).toBeUndefined();
  });

  it('$replace with $n groups, $0, $$ and a limit', () => {
    expect(run('$replace("John Smith", /(\\w+)\\s(\\w+)/, "$2, $1")')).toBe('Smith, John');
    expect(run('$replace("abc", /b/, "[$0$$]")')).toBe('a[b$]c');
    expect(run('$replace("a1b2c3", /\\d/, "#", 2)')).toBe('a#b#c3');
    expect(run('$replace("ab", /(x)?b/, "[$1]")')).toBe('a[]'); // an unmatched group is empty
  });

  it('$split and $contains', () => {
    expect(run('$split("a1b22c", /\\d+/)')).toEqual(['a', 'b', 'c']);
    expect(run('$split("a1b22c", /\\d+/, 2)')).toEqual(['a', 'b']);
    expect(run('$contains("hello world", /o\\sw/)')).toBe(true);
  });

  it('a regex matching the empty string is JSONata error D1004, not a loop', () => {
    expect(failure('$match("abc", /x*/)')).toContain('D1004');
  });

  it('a regex inside a lambda and in a ~> chain', () => {
    expect(run('["a1", "b", "c2"] ~> $filter(function($v) { $contains($v, /\\d/) })')).toEqual(['a1', 'c2']);
  });
});

describe('syntax RE2 lacks is refused with a reason', () => {
  it.each([
    ['backreference', '$match("aa", /(a)\\1/)'],
    ['lookahead', '$match("ab", /a(?=b)/)'],
    ['negative lookahead', '$match("ab", /a(?!b)/)'],
    ['lookbehind', '$match("ab", /(?<=a)b/)'],
  ])('%s: a compile error (validation) and an evaluation error (run time)', (_name, xpr) => {
    expect(checkExpression(xpr)).toMatch(/unsupported regular expression .*RE2/);
    expect(failure(xpr)).toMatch(/unsupported regular expression/);
  });

  it('validation reports path and reason, for expressions and allowedSources', () => {
    const report = validatePattern({
      name: 'rx',
      reactions: [
        { allowedSources: ['/(a)\\1/'], condition: { type: 'filter', xpr: '$contains($event.type, /(?=x)/)' } },
      ],
    });
    expect(report.valid).toBe(false);
    expect(report.errors).toContainEqual({
      path: '/reactions/0/condition/xpr',
      reason: expect.stringContaining('unsupported regular expression /(?=x)/'),
    });
    expect(report.errors).toContainEqual({
      path: '/reactions/0/allowedSources/0',
      reason: expect.stringContaining('no backreferences'),
    });
  });
});

describe('hostile expressions are bounded', () => {
  it('deep recursion', () => {
    expect(failure('($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))')).toContain('D1011');
  });

  it('huge ranges are refused before they are built, literal or from data', () => {
    expect(failure('$count([1..10000000])')).toContain('THREDS_RANGE');
    expect(failure('$count([1..$event.data.n])', { n: 20_000_000 })).toContain('THREDS_RANGE');
    expect(run('$sum([1..100000])')).toBe(5000050000);
  });

  it('ranges multiplied by a path', () => {
    expect(failure('$count([1..99999].[1..99999])')).toContain('THREDS_BUDGET');
  });

  it('strings that double or pad to any size', () => {
    expect(failure('($f := function($s, $n) { $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f("a", 40)))')).toContain(
      'THREDS_STRING',
    );
    expect(failure('$length($pad("", 1000000000))')).toContain('THREDS_STRING');
    expect(failure('$join([1..2000].$pad("", 100000), "")')).toMatch(/THREDS_(STRING|BUDGET)/);
    expect(run('$length($pad("x", 10))')).toBe(10);
  });

  it('regex matches per evaluation', () => {
    expect(failure('$count($match($event.data.s, /a/))', { s: 'a'.repeat(200_000) })).toContain('THREDS_BUDGET');
  });

  it('$now() stays pinned to the caller time', () => {
    expect(run('$millis()')).toBe(86_400_000);
    expect(run('$now()')).toBe('1970-01-02T00:00:00.000Z');
  });
});

describe('pattern size limit', () => {
  const withTitle = (title: string) => ({
    name: 'big',
    reactions: [
      {
        condition: {
          type: 'filter',
          xpr: 'true',
          transform: { eventDataTemplate: { title } },
          publish: { to: 'bob' },
        },
      },
    ],
  });

  it('a 10 MB string literal is refused at validation, with the limit in the reason', () => {
    const report = validatePattern(withTitle('x'.repeat(10_000_000)));
    expect(report.valid).toBe(false);
    expect(report.errors).toEqual([{ path: '/', reason: expect.stringContaining('at most 1048576 bytes') }]);
  });

  it('counts UTF-8 bytes; a pattern under the limit is valid', () => {
    expect(validatePattern(withTitle('é'.repeat(600_000))).valid).toBe(false); // 1.2 MB of UTF-8
    expect(validatePattern(withTitle('x'.repeat(600_000))).valid).toBe(true);
  });
});
