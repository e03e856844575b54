/**
 * `allowedSources` matching (SPEC §4): exact id, `$group` membership, `/regex/` (case-insensitive search).
 * Pure.
 */
import { compileRegex, regexProblem } from './regex';

/** True when `entry` is written as `/…/`. */
export function isRegexEntry(entry: string): boolean {
  return entry.length >= 2 && entry.startsWith('/') && entry.endsWith('/');
}

/**
 * Compiles a `/…/` entry (text between the first and last char, flag `i`) on RE2 (patterns/regex.ts: linear time
 * over the source id); null when invalid or unsupported (`sourceRegexProblem` says why).
 */
export function compileSourceRegex(entry: string): { test(input: string): boolean } | null {
  try {
    return compileRegex(entry.slice(1, -1), 'i');
  } catch {
    return null;
  }
}

/** Why a `/…/` entry cannot be used, or null. */
export function sourceRegexProblem(entry: string): string | null {
  return regexProblem(entry.slice(1, -1), 'i');
}

/**
 * Whether `sourceId` passes `allowedSources`. Absent = anyone. A source outside the list simply does not
 * match (no error); an empty list admits nobody; an unknown group admits nobody.
 */
export function sourceAllowed(
  allowed: string | string[] | undefined,
  sourceId: string,
  groups: Record<string, string[]> | undefined,
): boolean {
  if (allowed === undefined) return true;
  const entries = typeof allowed === 'string' ? [allowed] : allowed;
  return entries.some((entry) => {
    if (isRegexEntry(entry)) return compileSourceRegex(entry)?.test(sourceId) ?? false;
    if (entry.startsWith('$') && entry.length > 1) return groups?.[entry.slice(1)]?.includes(sourceId) ?? false;
    return entry === sourceId;
  });
}
