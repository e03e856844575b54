/**
 * `threds cover <pattern.json> [--out dir] [--json]` — path coverage (SPEC §15): event sequences that together take
 * every transition, each run through the simulator; prints `covered / total` and every transition it could not take
 * with the condition that stopped it. `--out dir` writes `dir/<sequence>/events.json` (input for `threds simulate`).
 * Exit code: 0 every transition covered, 1 some not (or the pattern is invalid), 2 usage or unreadable file.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cover, coverageLine, type CoverReport } from '../../patterns/cover';
import { UsageError } from '../usage';

/** The human-readable report. */
export function formatCover(report: CoverReport): string {
  if (!report.valid)
    return ['pattern INVALID:', ...report.errors.map((e) => `  error   ${e.path}: ${e.reason}`)].join('\n');
  const lines = [`pattern ${report.patternId ?? '?'}: ${coverageLine(report)}`];
  for (const t of report.transitions) {
    lines.push(t.covered ? `  ✓ ${t.id}  [${t.sequence}]` : `  ✗ ${t.id}  — ${t.reason ?? 'not reached'}`);
  }
  for (const s of report.sequences) {
    lines.push(
      `${s.name}: ${s.events.length} input(s), ends ${s.final.status ?? 'not started'}${s.final.reaction ? ` at ${s.final.reaction}` : ''}`,
    );
  }
  return lines.join('\n');
}

/** The `events.json` of one sequence: what `threds simulate` reads (extra keys are for readers). */
export function eventsFile(report: CoverReport, name: string): Record<string, unknown> {
  const s = report.sequences.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no sequence ${name}`);
  return { pattern: report.patternId, sequence: s.name, covers: s.covers, events: s.events };
}

export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const outAt = argv.indexOf('--out');
  const out = outAt >= 0 ? argv[outAt + 1] : undefined;
  if (outAt >= 0 && (out === undefined || out.startsWith('--'))) throw new UsageError('--out needs a directory');
  const unknown = argv.find((a) => a.startsWith('--') && a !== '--json' && a !== '--out');
  if (unknown !== undefined) throw new UsageError(`unknown option "${unknown}"`);
  const positional = argv.filter((a, i) => !a.startsWith('--') && !(outAt >= 0 && i === outAt + 1));
  if (positional.length !== 1) throw new UsageError('expected <pattern.json>');
  let pattern: unknown;
  try {
    pattern = JSON.parse(await readFile(positional[0] as string, 'utf8'));
  } catch (err) {
    console.error(`cannot read input: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const report = await cover(pattern);
  if (out !== undefined && report.valid) {
    for (const s of report.sequences) {
      const dir = join(out, s.name);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'events.json'), `${JSON.stringify(eventsFile(report, s.name), null, 2)}\n`);
    }
  }
  console.log(json ? JSON.stringify(report, null, 2) : formatCover(report));
  if (out !== undefined && report.valid && !json)
    console.log(`wrote ${report.sequences.length} sequence(s) under ${out}`);
  return report.valid && report.covered === report.total ? 0 : 1;
}
