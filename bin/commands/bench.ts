/**
 * `threds bench [--duration 15s] [--concurrency 8] [--idle 10000] [--long 3000] [--profile [--profile-dir D]]`
 * (npm run bench): see bench/run.ts. Usage text: COMMANDS in bin/threds.ts; bad arguments throw UsageError (exit 2)
 * before anything starts.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchOptions } from '../../bench/run';
import { parseDuration } from '../../gateway/tokens';
import { UsageError } from '../usage';
import { installRuntime } from '../runtime';

function count(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < min) throw new UsageError(`--${name}: expected an integer ≥ ${min}, got "${text}"`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string', default: '15s' },
        concurrency: { type: 'string', default: '8' },
        idle: { type: 'string', default: '10000' },
        long: { type: 'string', default: '3000' },
        profile: { type: 'boolean', default: false },
        'profile-dir': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const durationMs = parseDuration(values.duration);
  if (!durationMs) throw new UsageError(`--duration: not a duration: "${values.duration}" (use e.g. 15s, 1m)`);
  if (values['profile-dir'] !== undefined && !values.profile) throw new UsageError('--profile-dir needs --profile');
  return {
    durationMs,
    concurrency: count('concurrency', values.concurrency, 1),
    idleThreds: count('idle', values.idle, 0),
    longEvents: count('long', values.long, 0),
    ...(values.profile && { profileDir: resolve(values['profile-dir'] ?? join('bench', 'results', 'profiles')) }),
  };
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseBenchArgs(argv);
  installRuntime();
  const { runBench } = await import('../../bench/run');
  const file = await runBench(opts);
  console.log(`\n[bench] results: ${file} (and .png beside it; bench/results/latest.*)`);
  return 0;
}
