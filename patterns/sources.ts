/**
 * `allowedSources` matching (SPEC §4): exact id, `$group` membership, `/regex/` (case-insensitive search).
 * Pure.
 */

/** True when `entry` is written as `/…/`. */
export function isRegexEntry(entry: string): boolean {
  return entry.length >= 2 && entry.startsWith('/') && entry.endsWith('/');
}

/** Compiles a `/…/` entry (text between the first and last char, flag `i`); null when invalid. */
export function compileSourceRegex(entry: string): RegExp | null {
  try {
    return new RegExp(entry.slice(1, -1), 'i');
  } catch {
    return null;
  }
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
