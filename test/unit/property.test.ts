/**
 * Property tests: react/expire/startsThred never throw on arbitrary (even malformed) input, always return
 * a schema-valid plain-JSON state, and are deterministic given the same ctx.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import {
  EFFECT_TYPES,
  expire,
  react,
  start,
  startsThred,
  ThredStateSchema,
  type Ctx,
  type Pattern,
  type Step,
  type ThredsEvent,
  type ThredState,
} from '../../patterns/index';

const ROOT = join(import.meta.dirname, '..', '..');
const load = (file: string): Pattern => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Pattern;
const scenarioPattern = (file: string): Pattern =>
  (JSON.parse(readFileSync(join(ROOT, 'test/fixtures/scenarios', file), 'utf8')) as { pattern: Pattern }).pattern;

const patterns: Pattern[] = [
  load('patterns/library/uav_detect.json'),
  load('patterns/library/echo.json'),
  load('patterns/library/and_or_chain.json'),
  scenarioPattern('and.json'),
  scenarioPattern('chain.json'),
  scenarioPattern('broadcast.json'),
  scenarioPattern('spawn.json'),
];

const types = [
  'org.wt.sensor.detectionEvent',
  'org.wt.persistence',
  'org.wt.client.tell',
  'org.wt.client.broadcast',
  'org.wt.echo',
  'org.acme.fault.report',
  'org.acme.fault.confirm',
  'a',
  'b',
  'c',
  'd',
  'kick',
  'sib',
  'report',
  'replay',
  'spin',
  'end',
];
const sources = ['sensor_agent0', 'org.wt.persistence', 'participant0', 'alice', 'bob', 'supervisor', 'SYSTEM', ''];

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const eventArb: fc.Arbitrary<ThredsEvent> = fc.record(
  {
    id: fc.stringMatching(/^[a-z0-9_]{1,12}$/),
    type: fc.constantFrom(...types),
    source: fc.record({ id: fc.constantFrom(...sources) }),
    re: fc.option(fc.constantFrom('id_1', 'id_2', 'id_3', 'zzz'), { nil: undefined }),
    data: fc.option(
      fc.record(
        {
          title: fc.option(fc.string(), { nil: undefined }),
          content: fc.record(
            {
              values: fc.oneof(
                fc.dictionary(
                  fc.constantFrom(
                    'message',
                    'video_stream_request',
                    'contactId',
                    'echoTo',
                    'echoTitle',
                    'echoContent',
                    'priority',
                    'approved',
                    'x',
                  ),
                  jsonValue,
                ),
                fc.array(jsonValue, { maxLength: 3 }),
              ),
              error: fc.option(fc.record({ message: fc.string(), code: fc.integer() }), { nil: undefined }),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['id', 'type', 'source'] },
) as fc.Arbitrary<ThredsEvent>;

function ctxFor(now: number): Ctx {
  let n = 0;
  return { now, newId: () => `id_${++n}`, agents: [{ nodeType: 'org.wt.persistence' }], groups: { oncall: ['bob'] } };
}

async function run(pattern: Pattern, events: unknown[]): Promise<{ steps: Step[]; state: ThredState }> {
  let state = start(pattern, 'p_1', ctxFor(0));
  const steps: Step[] = [];
  for (const [i, event] of events.entries()) {
    const step = await react(pattern, state, event as ThredsEvent, ctxFor(i + 1));
    steps.push(step);
    state = step.state;
    if (state.reaction !== null && i % 3 === 2) {
      const timed = await expire(
        pattern,
        state,
        { reaction: state.reaction, generation: state.reactionGeneration },
        ctxFor(i + 1),
      );
      steps.push(timed);
      state = timed.state;
    }
  }
  return { steps, state };
}

describe('react properties', () => {
  it('never throws, keeps a schema-valid JSON state, and emits only known effects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...patterns), fc.array(eventArb, { maxLength: 8 }), async (pattern, events) => {
        const { steps } = await run(pattern, events);
        for (const step of steps) {
          expect(Value.Check(ThredStateSchema, step.state)).toBe(true);
          expect(JSON.parse(JSON.stringify(step.state))).toEqual(step.state);
          for (const effect of step.effects) expect(EFFECT_TYPES).toContain(effect.type);
          if (step.error) expect(step.effects.some((e) => e.type === 'error')).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic given the same ctx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...patterns), fc.array(eventArb, { maxLength: 6 }), async (pattern, events) => {
        const a = await run(pattern, events);
        const b = await run(pattern, structuredClone(events));
        expect(b).toEqual(a);
      }),
      { numRuns: 100 },
    );
  });

  it('survives malformed input (arbitrary JSON as the event)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...patterns), fc.anything(), async (pattern, junk) => {
        const state = start(pattern, 'p_1', ctxFor(0));
        const step = await react(pattern, state, junk as ThredsEvent, ctxFor(1));
        expect(step.state).toBeDefined();
        expect(await startsThred(pattern, junk as ThredsEvent, ctxFor(1))).toBeTypeOf('boolean');
      }),
      { numRuns: 150 },
    );
  });
});
