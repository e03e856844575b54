/**
 * Table-driven scenarios: every test/fixtures/scenarios/*.json is a pattern (inline or a library file),
 * a context and a list of steps; each step is applied in order through the public API and expands into
 * one `it` checking the state fragment and effects expected after it.
 *
 * Step kinds: `event` (react), `expire` (timer), `terminate` / `transition` (admin), `agentFailure`,
 * `addParticipants` (what the workflow does after address resolution), `startsThred`, `acceptsUnbound`,
 * `initial` (the state from start + initialEffects). `re: "$outIds.<name>"` in an event is replaced by the
 * id the thred stored for that publish name.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  acceptsUnbound,
  addParticipants,
  agentFailure,
  expire,
  forceTransition,
  initialEffects,
  react,
  start,
  startsThred,
  terminateThred,
  type Ctx,
  type Effect,
  type Pattern,
  type StartOptions,
  type Step,
  type ThredsEvent,
  type ThredState,
  type Transition,
} from '../../patterns/index';
import { mismatch } from './helpers/fragment';

const ROOT = join(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'test', 'fixtures', 'scenarios');

interface Expect {
  matched?: boolean;
  state?: unknown;
  unchanged?: boolean;
  effectTypes?: string[];
  effects?: unknown[];
  noEffects?: unknown[];
  error?: unknown;
  starts?: boolean;
  accepts?: boolean;
}

interface Row {
  it: string;
  now?: number;
  initial?: true;
  event?: ThredsEvent;
  expire?: { reaction: string; generation: number };
  terminate?: string;
  transition?: Transition;
  agentFailure?: { event: ThredsEvent; error: string };
  addParticipants?: string[];
  startsThred?: ThredsEvent;
  acceptsUnbound?: ThredsEvent;
  expect: Expect;
}

interface Scenario {
  name: string;
  construct: string;
  pattern?: Pattern;
  patternFile?: string;
  ctx?: Omit<Ctx, 'newId'>;
  start?: StartOptions & { thredId?: string };
  steps: Row[];
}

interface Outcome {
  before: ThredState;
  state: ThredState;
  matched?: boolean;
  effects: Effect[];
  error?: Step['error'];
  starts?: boolean;
  accepts?: boolean;
}

async function runScenario(s: Scenario): Promise<Outcome[]> {
  const pattern: Pattern =
    s.pattern ?? (JSON.parse(readFileSync(join(ROOT, s.patternFile as string), 'utf8')) as Pattern);
  let counter = 0;
  let now = s.ctx?.now ?? 1_000_000;
  const ctx = (): Ctx => ({ ...s.ctx, now, newId: () => `id_${++counter}` });
  const { thredId = 't1', ...startOpts } = s.start ?? {};
  let state = start(pattern, thredId, ctx(), startOpts);
  const out: Outcome[] = [];
  for (const row of s.steps) {
    if (row.now !== undefined) now = row.now;
    const before = state;
    let step: Step | undefined;
    const o: Partial<Outcome> = {};
    if (row.initial) {
      o.effects = initialEffects(pattern, state);
    } else if (row.event) {
      let event = row.event;
      const ref = typeof event.re === 'string' ? /^\$outIds\.(.+)$/.exec(event.re) : null;
      if (ref) event = { ...event, re: state.outIds[ref[1] as string] ?? 'missing' };
      step = await react(pattern, state, event, ctx());
    } else if (row.expire) {
      step = await expire(pattern, state, row.expire, ctx());
    } else if (row.terminate !== undefined) {
      step = terminateThred(pattern, state, row.terminate, ctx());
    } else if (row.transition) {
      step = await forceTransition(pattern, state, row.transition, ctx());
    } else if (row.agentFailure) {
      step = agentFailure(pattern, state, { event: row.agentFailure.event }, row.agentFailure.error, ctx());
    } else if (row.addParticipants) {
      state = addParticipants(state, row.addParticipants);
    } else if (row.startsThred) {
      o.starts = await startsThred(pattern, row.startsThred, ctx());
    } else if (row.acceptsUnbound) {
      o.accepts = await acceptsUnbound(pattern, state, row.acceptsUnbound, ctx());
    } else {
      throw new Error(`${s.name}: step "${row.it}" has no action`);
    }
    if (step) {
      state = step.state;
      o.matched = step.matched;
      o.effects = step.effects;
      if (step.error) o.error = step.error;
    }
    // the state must stay plain JSON after every step (it crosses signals and continueAsNew)
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    out.push({ before, state, effects: o.effects ?? [], ...o });
  }
  return out;
}

function check(o: Outcome, e: Expect): void {
  if (e.matched !== undefined) expect(o.matched, 'matched').toBe(e.matched);
  if (e.starts !== undefined) expect(o.starts, 'startsThred').toBe(e.starts);
  if (e.accepts !== undefined) expect(o.accepts, 'acceptsUnbound').toBe(e.accepts);
  if (e.unchanged) expect(o.state, 'state unchanged').toBe(o.before);
  if (e.state !== undefined) expect(mismatch(o.state, e.state, '/state')).toBeNull();
  if (e.effectTypes !== undefined) expect(o.effects.map((x) => x.type)).toEqual(e.effectTypes);
  for (const frag of e.effects ?? []) {
    const hit = o.effects.some((x) => mismatch(x, frag) === null);
    if (!hit) {
      const closest = o.effects
        .filter((x) => x.type === (frag as { type?: string }).type)
        .map((x) => mismatch(x, frag))
        .join('\n  ');
      expect.fail(
        `no effect matches ${JSON.stringify(frag)}\n  ${closest || JSON.stringify(o.effects.map((x) => x.type))}`,
      );
    }
  }
  for (const frag of e.noEffects ?? []) {
    expect(
      o.effects.some((x) => mismatch(x, frag) === null),
      `unexpected effect ${JSON.stringify(frag)}`,
    ).toBe(false);
  }
  if (e.error !== undefined) expect(mismatch(o.error, e.error, '/error')).toBeNull();
  else if (o.error !== undefined && !e.unchanged) expect.fail(`unexpected error ${JSON.stringify(o.error)}`);
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe.each(files)('scenario %s', (file) => {
  const scenario = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Scenario;
  let outcomes: Outcome[] = [];
  beforeAll(async () => {
    outcomes = await runScenario(scenario);
  });
  it.each(scenario.steps.map((row, i) => [i + 1, row.it, row] as const))(
    `${scenario.construct}: %i. %s`,
    (i, _title, row) => {
      const o = outcomes[i - 1];
      expect(o, 'outcome recorded').toBeDefined();
      check(o as Outcome, row.expect);
    },
  );
});
