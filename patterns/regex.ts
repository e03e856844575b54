/**
 * Regular expressions of patterns — JSONata regex literals (`/…/i` in $match, $contains, $replace, $split, …) and
 * `/…/` entries of `allowedSources` — run on RE2 (re2js, pure JavaScript, so it runs in the workflow sandbox): time
 * linear in the input whatever the expression, where JavaScript's backtracking engine takes exponential time on
 * patterns like `(a+)+$`. They are written in JavaScript syntax (JSONata parses them as JavaScript regexes) and must
 * also be RE2 syntax: no backreferences (`\1`, `\k<name>`) and no lookaround (`(?=…)`, `(?!…)`, `(?<=…)`, `(?<!…)`).
 * Flags: `i` and `m`. Pure and deterministic.
 */
import { RE2JS } from 're2js';

const REASON_SUFFIX = 'patterns use RE2 syntax, which runs in linear time: no backreferences, no lookaround';

/** A regex a pattern may not use: `reason` is for validation reports and error events. */
export class UnsupportedRegexError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super(`unsupported regular expression /${source}/: ${reason}`);
    this.name = 'UnsupportedRegexError';
  }
}

function re2Flags(flags: string): number {
  let out = 0;
  if (flags.includes('i')) out |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) out |= RE2JS.MULTILINE;
  return out;
}

// Compiled expressions by flags and source. Only a cost cache (a compiled RE2JS has no match state), bounded by
// dropping everything when full: patterns hold few distinct regexes.
const CACHE_LIMIT = 512;
const cache = new Map<string, RE2JS>();

/**
 * Compiles a regex written in JavaScript syntax (`flags`: any of `i`, `m`; others ignored) on RE2. Throws
 * `UnsupportedRegexError` when it is not valid JavaScript or uses syntax RE2 lacks.
 */
export function compileRegex(source: string, flags = ''): RE2JS {
  const key = `${flags.includes('i') ? 'i' : ''}${flags.includes('m') ? 'm' : ''}/${source}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  try {
    // Valid JavaScript first, so `/…/` means here what it means in JSONata (which parses it as JavaScript).
    new RegExp(source);
  } catch (err) {
    throw new UnsupportedRegexError(source, err instanceof Error ? err.message : String(err));
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(source), re2Flags(flags));
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    throw new UnsupportedRegexError(source, `${message} (${REASON_SUFFIX})`);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

/** Why `source` cannot be used (see `compileRegex`), or null when it can. */
export function regexProblem(source: string, flags = ''): string | null {
  try {
    compileRegex(source, flags);
    return null;
  } catch (err) {
    return err instanceof UnsupportedRegexError ? err.message : String(err);
  }
}

type ExecResult = (string | undefined)[] & { index: number; input: string };

/**
 * What JSONata 1.8 instantiates for a regex literal (its `RegexEngine` option: `new Engine(regExp)`), used the way
 * it uses a global RegExp: it sets `lastIndex`, calls `exec`, and reads `lastIndex` back to continue after a match.
 * Same contract as RegExp with the `g` flag: a match moves `lastIndex` to its end; no match resets it to 0.
 */
export class Re2RegexEngine {
  lastIndex = 0;
  private readonly re: RE2JS;

  constructor(regex: RegExp | string, flags?: string) {
    this.re =
      typeof regex === 'string' ? compileRegex(regex, flags ?? '') : compileRegex(regex.source, flags ?? regex.flags);
  }

  exec(input: string): ExecResult | null {
    const str = String(input);
    if (this.lastIndex > str.length) {
      this.lastIndex = 0;
      return null;
    }
    const m = this.re.matcher(str);
    if (!m.find(this.lastIndex)) {
      this.lastIndex = 0;
      return null;
    }
    const result = [] as unknown as ExecResult;
    for (let i = 0; i <= m.groupCount(); i++) {
      const group = m.group(i);
      result.push(group === null ? undefined : group);
    }
    result.index = m.start();
    result.input = str;
    this.lastIndex = m.end();
    return result;
  }

  test(input: string): boolean {
    return this.re.test(String(input));
  }
}
