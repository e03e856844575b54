/**
 * `threds diagram <pattern.json>` — prints the pattern's Mermaid `stateDiagram-v2` (SPEC §15 "Diagram"), the same
 * text `GET /patterns/:id/diagram` answers. Exit code: 0 printed, 1 pattern invalid, 2 usage or unreadable file.
 */
import { readFile } from 'node:fs/promises';
import { validatePattern } from '../../patterns/index';
import { patternDiagram } from '../../patterns/diagram';
import { UsageError } from '../usage';

export async function run(argv: string[]): Promise<number> {
  const files = argv.filter((a) => !a.startsWith('--'));
  const unknown = argv.find((a) => a.startsWith('--'));
  if (unknown !== undefined) throw new UsageError(`unknown option "${unknown}"`);
  if (files.length !== 1) throw new UsageError('expected <pattern.json>');
  let pattern: unknown;
  try {
    pattern = JSON.parse(await readFile(files[0] as string, 'utf8'));
  } catch (err) {
    console.error(`cannot read input: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const report = validatePattern(pattern);
  if (!report.valid || report.pattern === undefined) {
    console.error('pattern INVALID:');
    for (const e of report.errors) console.error(`  error   ${e.path}: ${e.reason}`);
    return 1;
  }
  process.stdout.write(patternDiagram(report.pattern));
  return 0;
}
