/**
 * Alias and default normalization for patterns and events (SPEC §2, §4, §5 *alias* entries).
 * Pure: always returns a fresh deep copy and never mutates its input.
 */
import type { ThredsEvent } from './model';
import { isRecord } from './json';

const CONDITION_TYPES = new Set(['filter', 'and', 'or']);

/** `"UAV Detection"` → `"uav_detection"` (SPEC §4: lower-cased, spaces → `_`). */
export function patternIdFromName(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '_');
}

/** Plain-JSON deep copy (drops undefined and functions, like a JSON round trip, but faster to read). */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function normalizeCondition(cond: unknown, broadcastAllowed: boolean): void {
  if (!isRecord(cond)) return;
  // Early SrvThreds files spell the node kind as `name` ("name": "filter"); the engine accepted them.
  if (cond.type === undefined && typeof cond.name === 'string' && CONDITION_TYPES.has(cond.name)) {
    cond.type = cond.name;
    delete cond.name;
  }
  const publish = cond.publish;
  if (isRecord(publish)) publish.to = normalizeAddresses(publish.to, broadcastAllowed);
  if (Array.isArray(cond.operands)) for (const op of cond.operands) normalizeCondition(op, broadcastAllowed);
}

/**
 * Address aliases (SPEC §5): `@group` → `$group`; `*` → `$all` only when the pattern has broadcastAllowed
 * (otherwise it stays a literal id and validation warns). `$xpr(…)` strings are left for evaluation.
 */
export function normalizeAddress(address: string, broadcastAllowed: boolean): string {
  if (address === '*' && broadcastAllowed) return '$all';
  if (address.startsWith('@') && address.length > 1) return `$${address.slice(1)}`;
  return address;
}

function normalizeAddresses(to: unknown, broadcastAllowed: boolean): unknown {
  if (typeof to === 'string') return normalizeAddress(to, broadcastAllowed);
  if (Array.isArray(to)) return to.map((a) => (typeof a === 'string' ? normalizeAddress(a, broadcastAllowed) : a));
  return to;
}

/**
 * Returns a normalized deep copy of a pattern-shaped value: `id` from `name`, reaction names
 * `<pattern name>_<index>`, `expiry.timeout` → `expiry.interval`, legacy `condition.name` → `type`,
 * publish address aliases. Does not validate; shapes it does not recognise are copied as they are.
 */
export function normalizePattern(input: unknown): unknown {
  const pattern = cloneJson(input);
  if (!isRecord(pattern)) return pattern;
  if ((pattern.id === undefined || pattern.id === '') && typeof pattern.name === 'string') {
    pattern.id = patternIdFromName(pattern.name);
  }
  const broadcastAllowed = pattern.broadcastAllowed === true;
  if (Array.isArray(pattern.reactions)) {
    pattern.reactions.forEach((reaction: unknown, index: number) => {
      if (!isRecord(reaction)) return;
      if (reaction.name === undefined && typeof pattern.name === 'string') {
        reaction.name = `${pattern.name}_${index}`;
      }
      const expiry = reaction.expiry;
      if (isRecord(expiry) && expiry.interval === undefined && expiry.timeout !== undefined) {
        expiry.interval = expiry.timeout;
        delete expiry.timeout;
      }
      normalizeCondition(reaction.condition, broadcastAllowed);
    });
  }
  return pattern;
}

/** Event aliases: `timestamp` → `time`. Returns the same object when nothing changes. */
export function normalizeEvent(event: ThredsEvent): ThredsEvent {
  const raw = event as ThredsEvent & { timestamp?: unknown };
  if (raw.time === undefined && typeof raw.timestamp === 'number') {
    const { timestamp, ...rest } = raw;
    return { ...rest, time: timestamp };
  }
  return event;
}
