/**
 * `threds validate <pattern.json> [--json]` — prints the validation report of a pattern file.
 * Exit code: 0 valid (warnings allowed), 1 invalid, 2 usage (UsageError; usage text in bin/threds.ts) or unreadable file.
 */
import { readFile } from 'node:fs/promises';
import { validatePattern } from '../../patterns/index';
import { UsageError } from '../usage';

/** Runs the command; returns the process exit code (never calls process.exit). */
export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const files = argv.filter((a) => !a.startsWith('--'));
  const file = files[0];
  if (file === undefined || files.length > 1) {
    throw new UsageError('expected one <pattern.json>');
  }
  let input: unknown;
  try {
    input = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    console.error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const report = validatePattern(input);
  if (json) {
    const { pattern: _normalized, ...rest } = report;
    console.log(JSON.stringify(rest, null, 2));
  } else {
    const id =
      report.pattern?.id ?? (input as { id?: string; name?: string }).id ?? (input as { name?: string }).name ?? file;
    console.log(
      `${report.valid ? 'valid' : 'INVALID'}: ${id} (${report.errors.length} error(s), ${report.warnings.length} warning(s))`,
    );
    for (const e of report.errors) console.log(`  error   ${e.path}: ${e.reason}`);
    for (const w of report.warnings) console.log(`  warning ${w.path}: ${w.reason}`);
  }
  return report.valid ? 0 : 1;
}
