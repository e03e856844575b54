/**
 * One event under construction: what each field must be or must not be. Solving writes constraints here; an
 * impossible constraint throws `Unsolvable`, whose message is the reason a transition is reported as not taken.
 */

export class Unsolvable extends Error {}

export interface Slot {
  path: string[];
  set: boolean;
  value?: unknown;
  not: unknown[];
  absent?: boolean;
}

/** What one event must look like: field assignments by path, plus negative constraints. */
export class Draft {
  slots = new Map<string, Slot>();

  slot(path: string[]): Slot {
    const key = path.join('\u0000');
    let s = this.slots.get(key);
    if (s === undefined) {
      s = { path, set: false, not: [] };
      this.slots.set(key, s);
    }
    return s;
  }

  snapshot(): Map<string, Slot> {
    return new Map([...this.slots].map(([k, s]) => [k, { ...s, not: [...s.not] }]));
  }

  restore(snap: Map<string, Slot>): void {
    this.slots = snap;
  }

  assign(path: string[], value: unknown): void {
    const s = this.slot(path);
    if (s.set) {
      if (!same(s.value, value))
        throw new Unsolvable(`${path.join('.')} cannot be both ${show(s.value)} and ${show(value)}`);
      return;
    }
    if (s.absent === true || s.not.some((v) => same(v, value)))
      throw new Unsolvable(`${path.join('.')} cannot be ${show(value)}`);
    s.set = true;
    s.value = value;
  }

  forbid(path: string[], value: unknown): void {
    const s = this.slot(path);
    if (s.set && same(s.value, value)) throw new Unsolvable(`${path.join('.')} must be ${show(value)}`);
    s.not.push(value);
  }

  /** The value a slot ends with: its assignment, or one that avoids every forbidden value. */
  static final(s: Slot, fallback: unknown): unknown {
    if (s.set) return s.value;
    if (s.absent === true) return undefined;
    if (fallback !== undefined && !s.not.some((v) => same(v, fallback))) return fallback;
    const first = s.not[0];
    if (s.not.length === 0) return fallback;
    if (typeof first === 'boolean') return s.not.includes(!first) ? 'cover_other' : !first;
    if (typeof first === 'number') {
      let n = first + 1;
      while (s.not.includes(n)) n += 1;
      return n;
    }
    let text = 'cover_other';
    for (let i = 2; s.not.includes(text); i++) text = `cover_other_${i}`;
    return text;
  }
}

export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
