/**
 * Look-back in the simulator and in validation (SPEC §15): on entering a reaction with `lookBack`, earlier events of
 * the window that the thred has not handled are offered again, oldest first, before the next input.
 */
import { describe, expect, it } from 'vitest';
import { simulate, validatePattern, type ThredsEvent } from '../../patterns/index';
import { askPattern, twicePattern } from '../fixtures/look-back-patterns';

const question = (time: number, pattern = 'ask'): ThredsEvent => ({
  id: 'q1',
  type: 'org.test.question',
  source: { id: 'asker' },
  time,
  data: { content: { values: { ticket: 't1', askee: 'bob', pattern } } },
});
const answer = (id: string, time: number, extra: Partial<ThredsEvent> = {}): ThredsEvent => ({
  id,
  type: 'org.test.answer',
  source: { id: 'bob' },
  time,
  data: { content: { values: { ticket: 't1' } } },
  ...extra,
});

describe('look-back in the simulator', () => {
  it('an answer that arrived before the question is offered on entering the reaction', async () => {
    const trace = await simulate(askPattern('ask', 5000), [answer('a1', 1000), question(3000)]);
    expect(trace.steps.map((s) => [s.event?.id, s.matched, s.from, s.to, s.note ?? null])).toEqual([
      ['a1', false, null, null, 'does not start a thred'],
      ['q1', true, 'ask', 'await', null],
      ['a1', true, 'await', 'done', 'look-back (arrived 2000 ms before)'],
    ]);
    expect(trace.final?.locals.answers).toEqual(['await:a1']);
  });

  it('an event older than the window is not offered', async () => {
    const trace = await simulate(askPattern('ask', 1000), [answer('a1', 1000), question(3000), answer('a2', 4000)]);
    expect(trace.steps.map((s) => s.event?.id)).toEqual(['a1', 'q1', 'a2']);
    expect(trace.final?.locals.answers).toEqual(['await:a2']);
  });

  it('an event the thred already handled is not handled twice; one it did not match is', async () => {
    const trace = await simulate(twicePattern('twice', 60_000), [
      question(1000, 'twice'),
      answer('a1', 2000),
      answer('a2', 2500, { data: { content: { values: { ticket: 'other' } } } }),
    ]);
    expect(trace.final?.reaction).toBe('await');
    expect(trace.final?.locals.answers).toEqual(['warm:a1']);

    const early = await simulate(twicePattern('twice', 60_000), [
      question(1000, 'twice'),
      answer('a0', 1500, { type: 'org.test.answer' }),
      answer('a1', 2000),
    ]);
    // a0 matched in warm (the first answer); a1 then arrives in await normally
    expect(early.final?.locals.answers).toEqual(['warm:a0', 'await:a1']);
  });

  it('an unmatched event from an earlier reaction is offered again on entry', async () => {
    // the answer is taken by `warm` only after a second event; `await` then sees the first unmatched one again
    const pattern = twicePattern('twice', 60_000);
    const trace = await simulate(pattern, [
      question(1000, 'twice'),
      answer('x', 1200, { type: 'org.test.other' }), // no match in warm
      answer('a1', 2000),
    ]);
    expect(trace.steps.map((s) => [s.event?.id, s.matched, s.note?.startsWith('look-back') ?? false])).toEqual([
      ['q1', true, false],
      ['x', false, false],
      ['a1', true, false],
      ['x', false, true],
    ]);
  });

  it('without lookBack nothing is offered again', async () => {
    const trace = await simulate(askPattern('ask', undefined), [answer('a1', 1000), question(3000)]);
    expect(trace.steps).toHaveLength(2);
    expect(trace.final?.reaction).toBe('await');
  });
});

describe('lookBack validation', () => {
  it.each([
    [0, 'must be >= 1'],
    [1.5, 'must be integer'],
    [8 * 24 * 3_600_000, 'must be <= 604800000'],
    ['1000', 'must be integer'],
  ])('interval %s is refused', (interval, reason) => {
    const report = validatePattern({
      name: 'x',
      reactions: [{ lookBack: { interval }, condition: { type: 'filter', xpr: 'true' } }],
    });
    expect(report.valid).toBe(false);
    expect(report.errors).toContainEqual({ path: '/reactions/0/lookBack/interval', reason });
  });

  it('a missing interval is refused, a good one accepted', () => {
    const bad = validatePattern({
      name: 'x',
      reactions: [{ lookBack: {}, condition: { type: 'filter', xpr: 'true' } }],
    });
    expect(bad.errors[0]?.path).toBe('/reactions/0/lookBack');
    expect(validatePattern(askPattern('ok', 5000)).valid).toBe(true);
  });
});
