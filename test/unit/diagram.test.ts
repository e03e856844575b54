/**
 * patterns/diagram.ts: the Mermaid stateDiagram-v2 of a pattern — every reaction, named/$next/expiry/or-branch
 * transitions, [*] for start and end, spawns and look-back as notes, and a thred's current/visited marks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patternDiagram, visitedReactions } from '../../patterns/diagram';
import { patternEdges } from '../../patterns/transitions';

const ROOT = join(import.meta.dirname, '..', '..');
const lib = (f: string) => JSON.parse(readFileSync(join(ROOT, 'patterns', 'library', f), 'utf8')) as unknown;

describe('patternDiagram', () => {
  it('draws uav_detect: start, $next, expiry with its interval, both or-branches to the end', () => {
    const text = patternDiagram(lib('uav_detect.json'));
    expect(text.split('\n')[0]).toBe('stateDiagram-v2');
    expect(text).toContain('  [*] --> lookup_contact\n');
    expect(text).toContain('  lookup_contact --> notify_contact : $next\n');
    expect(text).toContain('  notify_contact --> [*] : expiry 1min · $terminate\n');
    expect(text).toContain('  send_video --> [*] : or 1 · $next\n');
    expect(text).toContain('  send_video --> [*] : or 2 · $terminate\n');
    expect(text).not.toContain('classDef');
  });

  it('draws and/or chains: forward and local inputs, or-branches to different targets, hour expiry', () => {
    const text = patternDiagram(lib('and_or_chain.json'));
    for (const line of [
      'collect --> await_ticket : and · $next',
      'await_ticket --> route : forward',
      'route --> [*] : or 1 · $terminate',
      'route --> decide : or 2',
      'decide --> close : or 1 · local report',
      'decide --> [*] : expiry 1h · $terminate',
      'close --> [*] : $next',
    ])
      expect(text).toContain(`  ${line}\n`);
  });

  it('self-loops, $noTransition, spawns and look-back as notes, odd reaction names get safe ids', () => {
    const pattern = {
      name: 'Odd',
      reactions: [
        {
          name: 'first step',
          lookBack: { interval: 5000 },
          condition: {
            type: 'or',
            operands: [
              { type: 'filter', xpr: "$event.type = 'a'", transition: { name: '$noTransition' } },
              {
                type: 'filter',
                xpr: "$event.type = 'b'",
                spawn: { names: ['kid'], type: 'sibling' },
                transition: { name: 'end' },
              },
            ],
          },
        },
        { name: 'end', condition: { type: 'filter', xpr: 'true', transition: { name: 'end' } } },
      ],
    };
    const text = patternDiagram(pattern);
    expect(text).toContain('  state "first step" as r0_first_step\n');
    expect(text).toContain('  state "end" as r1_end\n'); // `end` is a Mermaid keyword
    expect(text).toContain('  r0_first_step --> r0_first_step : or 1 · $noTransition\n');
    expect(text).toContain('  r0_first_step --> r1_end : or 2\n');
    expect(text).toContain('  r1_end --> r1_end : matched\n');
    expect(text).toMatch(
      /note right of r0_first_step\n {4}spawns sibling kid \(or 2\)\n {4}look-back 5s\n {2}end note/,
    );
    expect(patternDiagram(pattern)).toBe(text); // deterministic
  });

  it('marks a thred: class <name> current, visited ones visited (not the current one)', () => {
    const text = patternDiagram(lib('uav_detect.json'), {
      current: 'send_video',
      visited: ['notify_contact', 'lookup_contact', 'send_video'],
    });
    const tail = text.trimEnd().split('\n').slice(-4);
    expect(tail).toEqual([
      expect.stringMatching(/^ {2}classDef visited /),
      '  class lookup_contact visited',
      '  class notify_contact visited',
      '  class send_video current',
    ]);
    expect(text).toMatch(/ {2}classDef current fill:/);
    // An ended thred (no current reaction) still shows where it went; unknown names are ignored.
    const ended = patternDiagram(lib('uav_detect.json'), { current: null, visited: ['lookup_contact', 'nope'] });
    expect(ended).toContain('  class lookup_contact visited\n');
    expect(ended).not.toContain('current\n');
    expect(ended).not.toContain('nope');
  });

  it('visitedReactions reads the from/to of transition records', () => {
    expect(
      visitedReactions([
        { kind: 'matched', from: 'a', to: 'b' },
        { kind: 'log', from: 'z', to: 'z' },
        { kind: 'expired', from: 'b', to: null },
      ]),
    ).toEqual(['a', 'b']);
  });

  it('draws every edge patternEdges lists (diagram and coverage count the same transitions)', () => {
    for (const f of ['uav_detect.json', 'and_or_chain.json', 'echo.json']) {
      const arrows = patternDiagram(lib(f))
        .split('\n')
        .filter((l) => l.includes(' --> ') && !l.includes('[*] -->'));
      expect(arrows).toHaveLength(patternEdges(lib(f)).length);
    }
  });
});
