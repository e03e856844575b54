/**
 * Every metric the Grafana dashboards and Prometheus rules of deploy/ query is one that Threds exports: threds_* names
 * from the registries of the code (worker/agent processes, gateway, router), temporal_* names from the metric names
 * compiled into Temporal's core bridge (the SDK's Prometheus exporter adds the `temporal_` prefix). The live values
 * after a flow are checked by test/integration/telemetry.test.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createThredsMetrics, exportedNames } from '../../telemetry/metrics';
import { createMetrics, createRouterMetrics } from '../../gateway/metrics';

const ROOT = join(import.meta.dirname, '..', '..');
const DASHBOARDS = join(ROOT, 'deploy', 'grafana', 'dashboards');
const RULES = join(ROOT, 'deploy', 'prometheus', 'rules');

/** Every `expr` string anywhere in a parsed document. */
function exprs(doc: unknown, out: string[] = []): string[] {
  if (Array.isArray(doc)) doc.forEach((d) => exprs(d, out));
  else if (doc && typeof doc === 'object')
    for (const [k, v] of Object.entries(doc)) {
      if (k === 'expr' && typeof v === 'string') out.push(v);
      else exprs(v, out);
    }
  return out;
}

function queries(): { file: string; expr: string }[] {
  const list = (dir: string, ext: RegExp) =>
    readdirSync(dir)
      .filter((f) => ext.test(f))
      .map((f) => join(dir, f));
  return [
    ...list(DASHBOARDS, /\.json$/).flatMap((file) =>
      exprs(JSON.parse(readFileSync(file, 'utf8'))).map((expr) => ({ file, expr })),
    ),
    ...list(RULES, /\.ya?ml$/).flatMap((file) =>
      exprs(parse(readFileSync(file, 'utf8'))).map((expr) => ({ file, expr })),
    ),
  ];
}

const HISTOGRAM_PARTS = /_(bucket|sum|count)$/;

/** The metric names Temporal's core can emit (without prefix), read from the native module. */
function temporalCoreNames(): (name: string) => boolean {
  const require = createRequire(import.meta.url);
  const bridge = dirname(require.resolve('@temporalio/core-bridge/package.json'));
  const releases = join(bridge, 'releases');
  const binary = readdirSync(releases)
    .map((d) => join(releases, d, 'index.node'))
    .find((f) => {
      try {
        readFileSync(f, { flag: 'r' }).subarray(0, 1);
        return true;
      } catch {
        return false;
      }
    });
  if (!binary) throw new Error('no Temporal core bridge binary found');
  const text = readFileSync(binary).toString('latin1');
  return (name) => text.includes(name);
}

function threadsNames(): Set<string> {
  const names = new Set(exportedNames(createThredsMetrics()));
  for (const r of [createMetrics().registry, createRouterMetrics().registry]) {
    for (const m of r.getMetricsAsArray()) {
      const { name } = m as unknown as { name: string };
      names.add(name);
      ['bucket', 'sum', 'count'].forEach((p) => names.add(`${name}_${p}`));
    }
  }
  return names;
}

/** Problems: metric names queried by `items` that nothing exports. */
export function unexported(items: { file: string; expr: string }[]): string[] {
  const own = threadsNames();
  const inCore = temporalCoreNames();
  const problems: string[] = [];
  for (const { file, expr } of items) {
    for (const [name] of expr.matchAll(/\b(?:threds|temporal)_[a-z0-9_]+/g)) {
      const known = name.startsWith('temporal_')
        ? inCore(name.slice('temporal_'.length).replace(HISTOGRAM_PARTS, ''))
        : own.has(name);
      if (!known) problems.push(`${file.slice(ROOT.length + 1)}: ${name} is not exported`);
    }
  }
  return [...new Set(problems)];
}

describe('deploy/ dashboards and alert rules', () => {
  const items = queries();

  it('query only exported metrics', () => {
    expect(items.length).toBeGreaterThan(10);
    expect(unexported(items)).toEqual([]);
  });

  it('cover the alerts of README "Dashboards and alerts"', () => {
    const rules = items
      .filter((i) => i.file.includes('rules'))
      .map((i) => i.expr)
      .join('\n');
    for (const metric of [
      'threds_step_errors_total',
      'threds_dead_letters_total',
      'threds_step_seconds_bucket',
      'temporal_workflow_task_execution_failed',
      'threds_http_requests_total{status=~"5.."}',
    ])
      expect(rules).toContain(metric);
  });

  it('reports a metric nobody exports', () => {
    expect(
      unexported([
        { file: join(RULES, 'x.yml'), expr: 'rate(threds_nope_total[5m]) + rate(temporal_nope_latency_bucket[5m])' },
        { file: join(RULES, 'x.yml'), expr: 'threds_step_seconds_bucket' },
      ]),
    ).toEqual([
      'deploy/prometheus/rules/x.yml: threds_nope_total is not exported',
      'deploy/prometheus/rules/x.yml: temporal_nope_latency_bucket is not exported',
    ]);
  });
});
