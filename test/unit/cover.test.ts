/**
 * patterns/cover.ts: every transition of every library pattern is taken (100 %), each sequence really takes what it
 * claims when run through the simulator, unreachable transitions are reported with the condition that stopped them,
 * and the solver builds values for the supported JSONata shapes. Also: docs/patterns matches its generator.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cover, coverageLine } from '../../patterns/cover';
import { simulate } from '../../patterns/simulate';
import { docsDir, generatePatternDocs } from '../../scripts/gen-pattern-docs';

const ROOT = join(import.meta.dirname, '..', '..');
const LIBRARY = join(ROOT, 'patterns', 'library');
const library = readdirSync(LIBRARY)
  .filter((f) => f.endsWith('.json'))
  .sort();
const read = (f: string) => JSON.parse(readFileSync(join(LIBRARY, f), 'utf8')) as unknown;
const AGENTS = [{ nodeType: 'org.wt.persistence' }];

/** (from, to) of every matched/expired decision a sequence makes in the simulator. */
async function decisions(pattern: unknown, events: Parameters<typeof simulate>[1]): Promise<string[]> {
  const trace = await simulate(pattern, events, { agents: AGENTS });
  return trace.steps.flatMap((s) =>
    s.effects.flatMap((e) =>
      e.type === 'thred.log' && (e.kind === 'matched' || e.kind === 'expired') ? [`${e.from} -> ${e.to ?? '[*]'}`] : [],
    ),
  );
}

describe('cover: the library', () => {
  it.each(library)('%s: 100 %% of its transitions, every sequence checked in the simulator', async (file) => {
    const pattern = read(file);
    const report = await cover(pattern);
    expect(report.valid).toBe(true);
    expect(report.total).toBeGreaterThan(0);
    expect(report.transitions.filter((t) => !t.covered)).toEqual([]);
    expect(report.covered).toBe(report.total);
    expect(coverageLine(report)).toBe(`${report.total} / ${report.total} transitions covered (100 %)`);
    for (const s of report.sequences) {
      const made = await decisions(pattern, s.events);
      for (const id of s.covers) expect(made, `${s.name} takes ${id}`).toContain(id.replace(/ \(.*\)$/, ''));
    }
  });

  it('is deterministic', async () => {
    const a = await cover(read('and_or_chain.json'));
    const b = await cover(read('and_or_chain.json'));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('cover: what it cannot reach', () => {
  const orphan = {
    id: 'orphan',
    name: 'Orphan',
    reactions: [
      { name: 'ask', condition: { type: 'filter', xpr: "$event.type = 'q'", transition: { name: 'done' } } },
      { name: 'island', condition: { type: 'filter', xpr: 'true' } },
      {
        name: 'done',
        condition: {
          type: 'or',
          operands: [
            { type: 'filter', xpr: "$event.type = 'x' and $sum([1, 2]) = 3", transition: { name: '$terminate' } },
            { type: 'filter', xpr: "$isResponseFor('never')" },
          ],
        },
      },
    ],
  };

  it('reports an unreachable reaction and the conditions that stopped the rest', async () => {
    const report = await cover(orphan);
    expect(report.covered).toBe(1);
    expect(report.total).toBe(4);
    const byId = Object.fromEntries(report.transitions.map((t) => [t.id, t]));
    expect(byId['ask -> done (matched)']?.covered).toBe(true);
    expect(byId['island -> done ($next)']?.reason).toBe(
      "reaction 'island' is never reached (no transition leads to it)",
    );
    expect(byId['done -> [*] (or 1 · $terminate)']?.reason).toContain('$sum');
    expect(byId['done -> [*] (or 2 · $next)']?.reason).toContain("nothing was published under 'never'");
  });

  it('a contradictory filter is reported with its expression', async () => {
    const report = await cover({
      name: 'never',
      reactions: [{ name: 'a', condition: { type: 'filter', xpr: "$event.type = 'x' and $event.type = 'y'" } }],
    });
    expect(report.covered).toBe(0);
    expect(report.transitions[0]?.reason).toMatch(
      /`\$event\.type = 'x' and \$event\.type = 'y'`: type cannot be both "x" and "y"/,
    );
  });

  it('an invalid pattern gives valid: false and its errors', async () => {
    const report = await cover({ name: 'bad', reactions: [] });
    expect(report.valid).toBe(false);
    expect(report.errors.length).toBeGreaterThan(0);
  });
});

describe('cover: constructing values', () => {
  it('comparisons, in, $not, nested or/and, allowedSources ($group and /regex/), $exists', async () => {
    const pattern = {
      name: 'solver',
      reactions: [
        {
          name: 'start',
          allowedSources: ['$ops'],
          condition: {
            type: 'filter',
            xpr: "$event.type in ['go', 'run'] and $valueNamed('n') > 3 and $valueNamed('m') <= -2",
          },
        },
        {
          name: 'middle',
          allowedSources: '/^agent\\.x.*/',
          condition: {
            type: 'or',
            operands: [
              { type: 'filter', xpr: '$not($values.flag) and $exists($data.title)', transition: { name: 'last' } },
              {
                type: 'filter',
                xpr: "$values.flag = true or $values.other != 'a'",
                transition: { name: '$noTransition' },
              },
            ],
          },
        },
        {
          name: 'last',
          expiry: { interval: 1000, transition: { name: 'start' } },
          lookBack: { interval: 10_000 },
          condition: {
            type: 'and',
            operands: [
              { type: 'filter', xpr: "$event.type = 'one' and $event.source.id = $local('who')" },
              { type: 'filter', xpr: "$event.type = 'two' and $values.k >= 10" },
            ],
            transition: { name: '$terminate' },
          },
        },
      ],
    };
    // `who` is set by the start event's values through onTrue:
    (pattern.reactions[0]!.condition as Record<string, unknown>).onTrue = {
      xpr: "$setLocal('who', $valueNamed('who'))",
    };
    const report = await cover(pattern, { groups: { ops: ['op1'] } });
    expect(report.transitions.filter((t) => !t.covered)).toEqual([]);
    const first = report.sequences[0]!.events[0] as {
      type: string;
      source: { id: string };
      data: { content: { values: Record<string, unknown> } };
    };
    expect(first.type).toBe('go');
    expect(first.source.id).toBe('op1');
    expect(first.data.content.values.n).toBe(4);
    expect(first.data.content.values.m).toBe(-2);
    const all = report.sequences.flatMap((s) => s.events) as { source?: { id: string } }[];
    expect(all.some((e) => e.source?.id === 'agent.x')).toBe(true);
  });
});

describe('docs/patterns', () => {
  it('matches what scripts/gen-pattern-docs.ts generates (regenerate: npx tsx scripts/gen-pattern-docs.ts)', async () => {
    const files = await generatePatternDocs();
    const committed = readdirSync(docsDir).sort();
    expect(committed).toEqual([...files.keys()].sort());
    for (const [name, content] of files) expect(readFileSync(join(docsDir, name), 'utf8'), name).toBe(content);
  });
});
