/**
 * Outbound event rendering (SPEC §4 "Directives"): `eventDataTemplate` walking, `templateXpr`, `meta.reXpr`,
 * and publish `to` evaluation. Values produced by `$xpr` are never walked again, so data arriving in events
 * cannot inject expressions (SPEC §12). Deterministic.
 */
import { canonicalAddress } from './addresses';
import { ThredError } from './errors';
import { xprBody } from './expressions';
import type { EventData, Publish, Transform } from './model';
import { isRecord } from './json';

export type Run = (source: string, where: string) => unknown;

/** Walks a template: `$xpr(…)` string leaves → value of any JSON type; `$xpr` keys spread; null/undefined drop. */
export function renderTemplate(node: unknown, path: string, run: Run): unknown {
  if (typeof node === 'string') {
    const body = xprBody(node);
    return body === null ? node : run(body, path);
  }
  if (node === null || node === undefined) return undefined;
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (const [i, item] of node.entries()) {
      const v = renderTemplate(item, `${path}/${i}`, run);
      if (v !== undefined && v !== null) out.push(v);
    }
    return out;
  }
  if (isRecord(node)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(node)) {
      const value = node[key];
      const keyPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key === '$xpr') {
        if (typeof value !== 'string') throw new ThredError(5000, 'Invalid template', `${keyPath} must be a string`);
        const spread = run(xprBody(value) ?? value, keyPath);
        if (spread === undefined || spread === null) continue;
        if (!isRecord(spread)) {
          throw new ThredError(5000, 'Invalid template', `${keyPath} must evaluate to an object to spread`);
        }
        Object.assign(out, spread);
        continue;
      }
      const v = renderTemplate(value, keyPath, run);
      if (v !== undefined && v !== null) out[key] = v;
    }
    return out;
  }
  return node;
}

/** Renders a transform into the outbound `data` and optional `re`. `path` points at the transform. */
export function renderTransform(transform: Transform, path: string, run: Run): { data: EventData; re?: string } {
  let data: unknown;
  if (transform.eventDataTemplate !== undefined) {
    data = renderTemplate(transform.eventDataTemplate, `${path}/eventDataTemplate`, run);
  } else if (transform.templateXpr !== undefined) {
    data = run(transform.templateXpr, `${path}/templateXpr`);
  } else {
    throw new ThredError(5000, 'Invalid transform', `${path} has neither eventDataTemplate nor templateXpr`);
  }
  if (data === undefined || data === null) data = {};
  if (!isRecord(data)) throw new ThredError(5000, 'Invalid transform', `${path} must produce an object for data`);
  const result: { data: EventData; re?: string } = { data: data as EventData };
  if (transform.meta?.reXpr !== undefined) {
    const re = run(transform.meta.reXpr, `${path}/meta/reXpr`);
    if (typeof re === 'string' || typeof re === 'number') result.re = String(re);
  }
  return result;
}

/**
 * Evaluates publish `to`: `$xpr(…)` elements are evaluated (arrays flattened one level), every address written in
 * its canonical spelling (patterns/addresses.ts: `@g` → `$g`, `*` → `$all` only when broadcastAllowed, else it
 * stays `*` and resolves to nobody), null/empty dropped, duplicates removed.
 */
export function renderAddresses(publish: Publish, path: string, run: Run, broadcastAllowed: boolean): string[] {
  const raw = typeof publish.to === 'string' ? [publish.to] : publish.to;
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'number') v = String(v);
    if (typeof v === 'string' && v.length > 0) out.push(canonicalAddress(v, broadcastAllowed));
  };
  for (const [i, entry] of raw.entries()) {
    const body = xprBody(entry);
    if (body === null) {
      add(entry);
      continue;
    }
    const where = typeof publish.to === 'string' ? `${path}/to` : `${path}/to/${i}`;
    const value = run(body, where);
    if (Array.isArray(value)) value.forEach(add);
    else add(value);
  }
  return [...new Set(out)];
}
