/** Where the results of a run go, and the machine they were measured on (figures compare only within one machine). */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../bin/stack';
import { round } from '../stats';

export const resultsDir = join(projectRoot, 'bench', 'results');

export function machine() {
  return { cpus: cpus().length, memGB: round(totalmem() / 2 ** 30), node: process.version };
}

/** bench/results/<prefix><when>.json, `when` (an ISO time) made safe for a file name. */
export function resultsFile(when: string, prefix = ''): string {
  return join(resultsDir, `${prefix}${when.replace(/[:.]/g, '-')}.json`);
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}
