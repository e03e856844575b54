/**
 * validatePattern: each semantic error and warning is reported with the right JSON-pointer path; aliases
 * and defaults are normalized; the library patterns are valid.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePattern } from '../../patterns/index';

const LIB = join(import.meta.dirname, '..', '..', 'patterns', 'library');

const base = () => ({
  name: 'Val Test',
  reactions: [
    { name: 'one', condition: { type: 'filter', xpr: "$event.type = 'a'" } },
    { name: 'two', condition: { type: 'filter', xpr: 'true' } },
  ],
});

type Case = [title: string, pattern: unknown, path: string, reason: string];

const errors: Case[] = [
  ['not an object', 'nope', '/', 'JSON object'],
  ['missing name', { reactions: base().reactions }, '/', "missing required property 'name'"],
  ['no reactions', { name: 'x', reactions: [] }, '/reactions', 'must'],
  [
    'bad condition type',
    { name: 'x', reactions: [{ condition: { type: 'xor', xpr: 'true' } }] },
    '/reactions/0/condition/type',
    'must be one of "filter", "and", "or"',
  ],
  [
    'missing condition',
    { name: 'x', reactions: [{ name: 'r' }] },
    '/reactions/0',
    "missing required property 'condition'",
  ],
  [
    'publish.to not a string',
    { name: 'x', reactions: [{ condition: { type: 'filter', xpr: 'true', publish: { to: 5 } } }] },
    '/reactions/0/condition/publish/to',
    'must be',
  ],
  [
    'filter JSONata syntax',
    { name: 'x', reactions: [{ condition: { type: 'filter', xpr: '$event.type = ' } }] },
    '/reactions/0/condition/xpr',
    'invalid JSONata',
  ],
  [
    'onTrue syntax',
    { name: 'x', reactions: [{ condition: { type: 'filter', xpr: 'true', onTrue: { xpr: '$setLocal(' } } }] },
    '/reactions/0/condition/onTrue/xpr',
    'invalid JSONata',
  ],
  [
    '$xpr leaf syntax',
    {
      name: 'x',
      reactions: [
        {
          condition: {
            type: 'filter',
            xpr: 'true',
            transform: { eventDataTemplate: { content: { values: { a: ['ok', '$xpr( 1 + )'] } } } },
            publish: { to: 'a' },
          },
        },
      ],
    },
    '/reactions/0/condition/transform/eventDataTemplate/content/values/a/1',
    'invalid JSONata',
  ],
  [
    '$xpr spread key syntax',
    {
      name: 'x',
      reactions: [
        {
          condition: {
            type: 'filter',
            xpr: 'true',
            transform: { eventDataTemplate: { $xpr: '$xpr({ )' } },
            publish: { to: 'a' },
          },
        },
      ],
    },
    '/reactions/0/condition/transform/eventDataTemplate/$xpr',
    'invalid JSONata',
  ],
  [
    'templateXpr syntax',
    {
      name: 'x',
      reactions: [
        { condition: { type: 'filter', xpr: 'true', transform: { templateXpr: '{' }, publish: { to: 'a' } } },
      ],
    },
    '/reactions/0/condition/transform/templateXpr',
    'invalid JSONata',
  ],
  [
    'reXpr syntax',
    {
      name: 'x',
      reactions: [
        {
          condition: {
            type: 'filter',
            xpr: 'true',
            transform: { templateXpr: '{}', meta: { reXpr: '$event.' } },
            publish: { to: 'a' },
          },
        },
      ],
    },
    '/reactions/0/condition/transform/meta/reXpr',
    'invalid JSONata',
  ],
  [
    'publish $xpr syntax',
    {
      name: 'x',
      reactions: [
        {
          condition: {
            type: 'filter',
            xpr: 'true',
            transform: { templateXpr: '{}' },
            publish: { to: ['a', '$xpr( $local( )'] },
          },
        },
      ],
    },
    '/reactions/0/condition/publish/to/1',
    'invalid JSONata',
  ],
  [
    'onPublish syntax',
    {
      name: 'x',
      reactions: [
        {
          condition: {
            type: 'filter',
            xpr: 'true',
            transform: { templateXpr: '{}' },
            publish: { to: 'a', onPublish: { xpr: '(' } },
          },
        },
      ],
    },
    '/reactions/0/condition/publish/onPublish/xpr',
    'invalid JSONata',
  ],
  [
    'expression too long',
    { name: 'x', reactions: [{ condition: { type: 'filter', xpr: `true or ${'1 = 1 or '.repeat(1200)}true` } }] },
    '/reactions/0/condition/xpr',
    'longer than 10000',
  ],
  [
    'unknown transition target',
    {
      name: 'x',
      reactions: [{ name: 'r', condition: { type: 'filter', xpr: 'true', transition: { name: 'ghost' } } }],
    },
    '/reactions/0/condition/transition/name',
    "unknown transition target 'ghost'",
  ],
  [
    'unknown target inside an or operand',
    {
      name: 'x',
      reactions: [
        {
          condition: {
            type: 'or',
            operands: [
              { type: 'filter', xpr: 'true' },
              { type: 'filter', xpr: 'true', transition: { name: 'ghost' } },
            ],
          },
        },
      ],
    },
    '/reactions/0/condition/operands/1/transition/name',
    'unknown transition target',
  ],
  [
    'unknown expiry target',
    {
      name: 'x',
      reactions: [
        { expiry: { interval: 5, transition: { name: 'ghost' } }, condition: { type: 'filter', xpr: 'true' } },
      ],
    },
    '/reactions/0/expiry/transition/name',
    'unknown transition target',
  ],
  [
    'duplicate reaction names',
    {
      name: 'x',
      reactions: [
        { name: 'r', condition: { type: 'filter', xpr: 'true' } },
        { name: 'r', condition: { type: 'filter', xpr: 'true' } },
      ],
    },
    '/reactions/1/name',
    "duplicate reaction name 'r' (first at /reactions/0)",
  ],
  [
    'local input without localName',
    {
      name: 'x',
      reactions: [{ condition: { type: 'filter', xpr: 'true', transition: { name: '$next', input: 'local' } } }],
    },
    '/reactions/0/condition/transition/localName',
    "input 'local' needs a localName",
  ],
  [
    'spawn local without localName',
    { name: 'x', reactions: [{ condition: { type: 'filter', xpr: 'true', spawn: { names: ['p'], input: 'local' } } }] },
    '/reactions/0/condition/spawn/localName',
    "input 'local' needs a localName",
  ],
  [
    'filter without xpr',
    { name: 'x', reactions: [{ condition: { type: 'filter' } }] },
    '/reactions/0/condition/xpr',
    'a filter needs an xpr',
  ],
  [
    'and without operands',
    { name: 'x', reactions: [{ condition: { type: 'and', operands: [] } }] },
    '/reactions/0/condition/operands',
    "an 'and' condition needs at least one operand",
  ],
  [
    'transform without a template',
    { name: 'x', reactions: [{ condition: { type: 'filter', xpr: 'true', transform: {}, publish: { to: 'a' } } }] },
    '/reactions/0/condition/transform',
    'needs an eventDataTemplate or a templateXpr',
  ],
  [
    'invalid source regex',
    { name: 'x', reactions: [{ allowedSources: ['a', '/([/'], condition: { type: 'filter', xpr: 'true' } }] },
    '/reactions/0/allowedSources/1',
    'invalid regular expression',
  ],
  [
    'bad transition input',
    {
      name: 'x',
      reactions: [{ condition: { type: 'filter', xpr: 'true', transition: { name: '$next', input: 'sideways' } } }],
    },
    '/reactions/0/condition/transition/input',
    'must be one of',
  ],
];

const warnings: Case[] = [
  [
    'unreachable reaction',
    {
      name: 'x',
      reactions: [
        { name: 'a', condition: { type: 'filter', xpr: 'true', transition: { name: '$terminate' } } },
        { name: 'b', condition: { type: 'filter', xpr: 'true' } },
      ],
    },
    '/reactions/1',
    "reaction 'b' is unreachable",
  ],
  [
    'transform without publish',
    { name: 'x', reactions: [{ condition: { type: 'filter', xpr: 'true', transform: { templateXpr: '{}' } } }] },
    '/reactions/0/condition',
    'a transform without a publish sends nothing',
  ],
  [
    'publish without transform',
    { name: 'x', reactions: [{ condition: { type: 'filter', xpr: 'true', publish: { to: 'a' } } }] },
    '/reactions/0/condition',
    'a publish without a transform sends nothing',
  ],
  [
    "'*' without broadcastAllowed",
    {
      name: 'x',
      reactions: [
        { condition: { type: 'filter', xpr: 'true', transform: { templateXpr: '{}' }, publish: { to: '*' } } },
      ],
    },
    '/reactions/0/condition/publish/to',
    "'*' means $all only when broadcastAllowed",
  ],
  [
    'empty allowedSources',
    { name: 'x', reactions: [{ allowedSources: [], condition: { type: 'filter', xpr: 'true' } }] },
    '/reactions/0/allowedSources',
    'admits no source',
  ],
];

describe('validatePattern errors', () => {
  it.each(errors)('%s', (_title, pattern, path, reason) => {
    const report = validatePattern(pattern);
    expect(report.valid).toBe(false);
    expect(report.pattern).toBeUndefined();
    expect(report.errors).toContainEqual({ path, reason: expect.stringContaining(reason) });
  });
});

describe('validatePattern warnings', () => {
  it.each(warnings)('%s', (_title, pattern, path, reason) => {
    const report = validatePattern(pattern);
    expect(report.errors).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.warnings).toContainEqual({ path, reason: expect.stringContaining(reason) });
  });
});

describe('validatePattern normalization', () => {
  it('fills id from name, reaction names, timeout → interval, legacy condition name → type, address aliases', () => {
    const report = validatePattern({
      name: 'UAV  Detection Two',
      broadcastAllowed: true,
      reactions: [
        {
          expiry: { timeout: 10 },
          condition: {
            name: 'filter',
            xpr: 'true',
            transform: { templateXpr: '{}' },
            publish: { to: ['*', '@ops', 'bob'] },
          },
        },
        { name: 'b', condition: { type: 'filter', xpr: 'true' } },
      ],
    });
    expect(report.errors).toEqual([]);
    expect(report.pattern).toMatchObject({
      id: 'uav_detection_two',
      reactions: [
        {
          name: 'UAV  Detection Two_0',
          expiry: { interval: 10 },
          condition: { type: 'filter', publish: { to: ['$all', '$ops', 'bob'] } },
        },
        { name: 'b' },
      ],
    });
    expect(report.pattern?.reactions[0]?.expiry).not.toHaveProperty('timeout');
  });

  it('reachability follows or operands, expiry transitions, self loops and $next', () => {
    const report = validatePattern({
      name: 'x',
      reactions: [
        {
          name: 'a',
          expiry: { interval: 1, transition: { name: 'c' } },
          condition: {
            type: 'or',
            operands: [
              { type: 'filter', xpr: 'true', transition: { name: 'a' } },
              { type: 'filter', xpr: 'true', transition: { name: 'b' } },
            ],
          },
        },
        { name: 'b', condition: { type: 'filter', xpr: 'true', transition: { name: '$terminate' } } },
        { name: 'c', condition: { type: 'filter', xpr: 'true', transition: { name: '$next' } } },
        { name: 'd', condition: { type: 'filter', xpr: 'true' } },
      ],
    });
    expect(report.warnings).toEqual([]);
  });

  it('does not mutate its input', () => {
    const input = base();
    const copy = structuredClone(input);
    validatePattern(input);
    expect(input).toEqual(copy);
  });

  it.each(readdirSync(LIB).filter((f) => f.endsWith('.json')))('library %s is valid without warnings', (file) => {
    const report = validatePattern(JSON.parse(readFileSync(join(LIB, file), 'utf8')));
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.valid).toBe(true);
  });
});
