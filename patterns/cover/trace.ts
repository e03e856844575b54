/** Reading a simulation trace back: the decisions it took, its first failure, and where a prefix's steps end. */
import type { SimulationTrace } from '../simulate';

export function decisions(
  trace: SimulationTrace,
  fromStep: number,
): { kind: 'event' | 'expiry'; from: string | null; to: string | null }[] {
  const out: { kind: 'event' | 'expiry'; from: string | null; to: string | null }[] = [];
  for (const step of trace.steps.slice(fromStep)) {
    for (const e of step.effects) {
      if (e.type !== 'thred.log') continue;
      if (e.kind === 'matched' && e.detail !== 'broadcast') out.push({ kind: 'event', from: e.from, to: e.to });
      if (e.kind === 'expired') out.push({ kind: 'expiry', from: e.from, to: e.to });
    }
  }
  return out;
}

export function firstFailure(trace: SimulationTrace, fromStep: number): string | undefined {
  for (const step of trace.steps.slice(fromStep)) {
    if (step.error !== undefined) return `error ${step.error.code}: ${step.error.message}`;
    if (step.note === 'does not start a thred') return 'the event does not start a thred';
  }
  return undefined;
}

/** Steps of a trace produced by the first `inputs` inputs (advances make no step unless a timer fires). */
export function countSteps(trace: SimulationTrace, inputs: number): number {
  // Steps carry the delivered event; count those whose event id is one of the first inputs' ids, plus expiries before.
  if (inputs === 0) return 0;
  const ids = new Set<string>();
  let n = 0;
  for (let i = 1; i <= inputs; i++) ids.add(`e${i}`);
  trace.steps.forEach((s, i) => {
    if (s.kind === 'event' && s.event !== undefined && ids.has(s.event.id) && s.note?.startsWith('look-back') !== true)
      n = i + 1;
  });
  return n;
}
