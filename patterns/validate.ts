/**
 * Pattern validation report (SPEC §8 `POST /patterns/validate`): schema errors plus semantic checks, every
 * finding a `{ path, reason }` with a JSON pointer into the submitted pattern. Pure; never throws.
 *
 * Errors: schema violations, JSONata syntax of every expression (filter/onTrue/templateXpr/reXpr/onPublish,
 * `$xpr(…)` strings and `$xpr` keys, publish `to`), unknown transition targets, duplicate reaction names,
 * `local` input without `localName`, filters without `xpr`, `and`/`or` without operands, transforms without
 * a template, invalid `/regex/` sources. Warnings: unreachable reactions, a transform without publish (or the
 * reverse, which sends nothing), an address that resolves to nobody (`*` without broadcastAllowed, a bare `$`),
 * an empty allowedSources list.
 */
import { Value } from 'typebox/value';
import { classifyAddress } from './addresses';
import { checkExpression, xprBody } from './expressions';
import { inspectJson } from './json-limits';
import type { Pattern, ReportItem } from './model';
import { normalizePattern } from './normalize';
import { PatternSchema } from './schema';
import { isRegexEntry, sourceRegexProblem } from './sources';
import { isRecord } from './json';
import { isKnownTarget } from './transitions';

export interface ValidationReport {
  valid: boolean;
  errors: ReportItem[];
  warnings: ReportItem[];
  /** The normalized pattern (aliases resolved, ids and reaction names filled in), when valid. */
  pattern?: Pattern;
}

type Json = Record<string, unknown>;

/** JSON levels a pattern may nest (the pattern object is level 1): ~60 levels of `and`/`or` conditions. */
export const PATTERN_MAX_DEPTH = 128;

/**
 * Largest pattern document (UTF-8 bytes of its JSON): a pattern travels in every thred's workflow input and history,
 * and its literals are copied into outbound events, so a multi-megabyte literal would cost every thred.
 */
export const PATTERN_MAX_BYTES = 1_048_576;

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function pointerKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Schema errors, one item per instance path (union branches collapsed into one reason). */
function schemaErrors(value: unknown): ReportItem[] {
  const byPath = new Map<string, string[]>();
  for (const err of Value.Errors(PatternSchema, value)) {
    if (err.keyword === 'anyOf' || err.keyword === 'oneOf') continue;
    const path = err.instancePath === '' ? '/' : err.instancePath;
    let reason = err.message;
    if (err.keyword === 'required') {
      const missing = (err.params as { requiredProperties?: string[] }).requiredProperties;
      if (missing !== undefined) reason = `missing required property ${missing.map((m) => `'${m}'`).join(', ')}`;
    }
    if (err.keyword === 'enum') {
      const allowed = (err.params as { allowedValues?: unknown[] }).allowedValues;
      if (allowed !== undefined) reason = `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
    }
    const reasons = byPath.get(path) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
    byPath.set(path, reasons);
  }
  return [...byPath].map(([path, reasons]) => ({ path, reason: reasons.join(' or ') }));
}

interface Result {
  transform?: unknown;
  publish?: unknown;
  transition?: Json;
  /** JSON pointer of the node the transition came from (for messages). */
  transitionAt?: string;
}

class Checker {
  readonly errors: ReportItem[] = [];
  readonly warnings: ReportItem[] = [];
  constructor(
    private readonly pattern: Json,
    private readonly names: Map<string, number>,
  ) {}

  error(path: string, reason: string): void {
    this.errors.push({ path, reason });
  }
  warn(path: string, reason: string): void {
    this.warnings.push({ path, reason });
  }

  expression(value: unknown, path: string): void {
    if (typeof value !== 'string') return;
    const problem = checkExpression(value);
    if (problem !== null) this.error(path, `invalid JSONata: ${problem}`);
  }

  /** `$xpr(…)` string leaves and `$xpr` spread keys inside a template. */
  template(node: unknown, path: string): void {
    if (typeof node === 'string') {
      const body = xprBody(node);
      if (body !== null) this.expression(body, path);
      return;
    }
    if (Array.isArray(node)) return node.forEach((item, i) => this.template(item, `${path}/${i}`));
    if (!isRecord(node)) return;
    for (const [key, value] of Object.entries(node)) {
      const p = `${path}/${pointerKey(key)}`;
      if (key === '$xpr') {
        if (typeof value !== 'string') this.error(p, '$xpr spread key must hold an expression string');
        else this.expression(xprBody(value) ?? value, p);
      } else {
        this.template(value, p);
      }
    }
  }

  transition(transition: unknown, path: string): void {
    if (!isRecord(transition)) return;
    const name = transition.name;
    if (typeof name === 'string' && !isKnownTarget(name, this.names)) {
      this.error(`${path}/name`, `unknown transition target '${name}'`);
    }
    if (transition.input === 'local' && typeof transition.localName !== 'string') {
      this.error(`${path}/localName`, "input 'local' needs a localName");
    }
  }

  directives(node: Json, path: string): void {
    const transform = node.transform;
    if (isRecord(transform)) {
      if (transform.eventDataTemplate === undefined && transform.templateXpr === undefined) {
        this.error(`${path}/transform`, 'transform needs an eventDataTemplate or a templateXpr');
      }
      this.template(transform.eventDataTemplate, `${path}/transform/eventDataTemplate`);
      this.expression(transform.templateXpr, `${path}/transform/templateXpr`);
      if (isRecord(transform.meta)) this.expression(transform.meta.reXpr, `${path}/transform/meta/reXpr`);
    }
    const publish = node.publish;
    if (isRecord(publish)) {
      const to = publish.to;
      const entries =
        typeof to === 'string'
          ? [[`${path}/publish/to`, to]]
          : Array.isArray(to)
            ? to.map((a, i) => [`${path}/publish/to/${i}`, a])
            : [];
      for (const [p, address] of entries as [string, unknown][]) {
        if (typeof address !== 'string') continue;
        const body = xprBody(address);
        if (body !== null) this.expression(body, p);
        else {
          const kind = classifyAddress(address, this.pattern.broadcastAllowed === true);
          if (kind.kind === 'nobody') this.warn(p, kind.reason);
        }
      }
      if (isRecord(publish.onPublish)) this.expression(publish.onPublish.xpr, `${path}/publish/onPublish/xpr`);
    }
    this.transition(node.transition, `${path}/transition`);
    const spawn = node.spawn;
    if (isRecord(spawn) && spawn.input === 'local' && typeof spawn.localName !== 'string') {
      this.error(`${path}/spawn/localName`, "input 'local' needs a localName");
    }
  }

  /** Checks a condition node and returns the directive sets it can produce when it matches. */
  condition(node: unknown, path: string): Result[] {
    if (!isRecord(node)) return [];
    this.directives(node, path);
    if (isRecord(node.onTrue)) this.expression(node.onTrue.xpr, `${path}/onTrue/xpr`);
    const own: Result = { transform: node.transform, publish: node.publish };
    if (isRecord(node.transition)) {
      own.transition = node.transition;
      own.transitionAt = `${path}/transition`;
    }
    const operands = Array.isArray(node.operands) ? node.operands : undefined;
    if (node.type === 'filter') {
      if (typeof node.xpr !== 'string') this.error(`${path}/xpr`, 'a filter needs an xpr');
      else this.expression(node.xpr, `${path}/xpr`);
      if (operands !== undefined) this.warn(`${path}/operands`, 'operands of a filter are ignored');
      return [own];
    }
    if (node.type !== 'and' && node.type !== 'or') return [own];
    if (operands === undefined || operands.length === 0) {
      this.error(`${path}/operands`, `an '${node.type}' condition needs at least one operand`);
      return [own];
    }
    if (node.xpr !== undefined) this.warn(`${path}/xpr`, `xpr of an '${node.type}' condition is ignored`);
    const nested = operands.map((op, i) => this.condition(op, `${path}/operands/${i}`));
    // and = own directives only; or = the winning operand's directives over the node's, field by field.
    if (node.type === 'and') return [own];
    return nested.flat().map((r) => ({
      transform: r.transform ?? own.transform,
      publish: r.publish ?? own.publish,
      ...(r.transition !== undefined
        ? { transition: r.transition, transitionAt: r.transitionAt }
        : own.transition !== undefined
          ? { transition: own.transition, transitionAt: own.transitionAt }
          : {}),
    }));
  }
}

function targetIndex(transition: Json | undefined, from: number, names: Map<string, number>): number | undefined {
  const name = transition?.name;
  if (name === undefined || name === '$next') return from + 1;
  if (name === '$noTransition') return from;
  if (name === '$terminate' || typeof name !== 'string') return undefined;
  return names.get(name);
}

/**
 * Validates and normalizes a pattern-shaped value. `valid` is true when there are no errors (warnings
 * allowed); `pattern` is then the normalized pattern. Pure; never throws.
 */
export function validatePattern(input: unknown): ValidationReport {
  if (!isRecord(input)) {
    return { valid: false, errors: [{ path: '/', reason: 'a pattern must be a JSON object' }], warnings: [] };
  }
  // Before anything recursive (normalization, the schema check, the checker) can overflow the stack on it.
  const tooDeep = inspectJson(input, PATTERN_MAX_DEPTH, { unicode: false });
  if (tooDeep) return { valid: false, errors: [tooDeep], warnings: [] };
  const bytes = utf8Length(JSON.stringify(input));
  if (bytes > PATTERN_MAX_BYTES) {
    const reason = `a pattern may be at most ${PATTERN_MAX_BYTES} bytes of JSON; this one is ${bytes}`;
    return { valid: false, errors: [{ path: '/', reason }], warnings: [] };
  }
  let normalized: Json;
  try {
    normalized = normalizePattern(input) as Json;
  } catch (err) {
    return { valid: false, errors: [{ path: '/', reason: `not plain JSON: ${String(err)}` }], warnings: [] };
  }
  const errors = schemaErrors(normalized);
  const reactions = Array.isArray(normalized.reactions) ? normalized.reactions : [];

  const names = new Map<string, number>();
  reactions.forEach((reaction: unknown, i: number) => {
    if (!isRecord(reaction) || typeof reaction.name !== 'string') return;
    const first = names.get(reaction.name);
    if (first !== undefined) {
      errors.push({
        path: `/reactions/${i}/name`,
        reason: `duplicate reaction name '${reaction.name}' (first at /reactions/${first})`,
      });
    } else {
      names.set(reaction.name, i);
    }
  });

  const checker = new Checker(normalized, names);
  const edges: number[][] = reactions.map(() => []);
  reactions.forEach((reaction: unknown, i: number) => {
    if (!isRecord(reaction)) return;
    const base = `/reactions/${i}`;
    const sources = reaction.allowedSources;
    const list = typeof sources === 'string' ? [sources] : Array.isArray(sources) ? sources : [];
    if (Array.isArray(sources) && sources.length === 0)
      checker.warn(`${base}/allowedSources`, 'an empty allowedSources admits no source');
    list.forEach((entry: unknown, j: number) => {
      const problem = typeof entry === 'string' && isRegexEntry(entry) ? sourceRegexProblem(entry) : null;
      if (problem !== null) {
        const p = typeof sources === 'string' ? `${base}/allowedSources` : `${base}/allowedSources/${j}`;
        checker.error(p, `invalid regular expression ${String(entry)}: ${problem}`);
      }
    });
    const results = checker.condition(reaction.condition, `${base}/condition`);
    for (const r of results) {
      const hasTransform = isRecord(r.transform);
      const hasPublish = isRecord(r.publish);
      if (hasTransform !== hasPublish) {
        checker.warn(
          `${base}/condition`,
          hasTransform ? 'a transform without a publish sends nothing' : 'a publish without a transform sends nothing',
        );
      }
      const t = targetIndex(r.transition, i, names);
      if (t !== undefined) edges[i]?.push(t);
    }
    const expiry = reaction.expiry;
    if (isRecord(expiry)) {
      checker.transition(expiry.transition, `${base}/expiry/transition`);
      const t = targetIndex(isRecord(expiry.transition) ? expiry.transition : undefined, i, names);
      if (t !== undefined) edges[i]?.push(t);
    }
  });

  // Reachability from the initial reaction (warnings only: a reaction may be reached by an admin transition).
  const seen = new Set<number>();
  const stack = reactions.length > 0 ? [0] : [];
  while (stack.length > 0) {
    const i = stack.pop() as number;
    if (seen.has(i) || i >= reactions.length) continue;
    seen.add(i);
    stack.push(...(edges[i] ?? []));
  }
  reactions.forEach((reaction: unknown, i: number) => {
    if (!seen.has(i)) {
      const name = isRecord(reaction) ? String(reaction.name) : String(i);
      checker.warn(`/reactions/${i}`, `reaction '${name}' is unreachable from the initial reaction`);
    }
  });

  const allErrors = [...errors, ...checker.errors];
  const report: ValidationReport = { valid: allErrors.length === 0, errors: allErrors, warnings: checker.warnings };
  if (report.valid) report.pattern = normalized as unknown as Pattern;
  return report;
}
