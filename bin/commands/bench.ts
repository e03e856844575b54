/**
 * `threds bench [--duration 15s] [--concurrency 8] [--idle 10000] [--long 3000] [--profile [--profile-dir D]]`
 * (npm run bench): see bench/run.ts. `threds bench --soak 10m`: the sustained-load and overload run instead
 * (bench/soak.ts; each of its two phases lasts the given time; `--saturation N` sets the applied events/s the phases
 * are 70 % and 150 % of, instead of the closed loop's measure). Usage text: COMMANDS in bin/threds.ts; bad arguments throw UsageError (exit 2)
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
  const soak = argv.indexOf('--soak');
  if (soak >= 0) {
    const phaseMs = parseDuration(argv[soak + 1] ?? '');
    if (!phaseMs) throw new UsageError(`--soak: not a duration: "${argv[soak + 1] ?? ''}" (use e.g. 30s, 10m)`);
    installRuntime();
    const { runSoak } = await import('../../bench/soak');
    const at = argv.indexOf('--saturation');
    const saturation = at >= 0 ? Number(argv[at + 1]) : undefined;
    if (saturation !== undefined && !(saturation > 0)) throw new UsageError('--saturation: expected events/s > 0');
    const file = await runSoak({ phaseMs, threds: 20, ...(saturation !== undefined && { saturation }) });
    console.log(`\n[bench] soak results: ${file} (and .png beside it)`);
    return 0;
  }
  const opts = parseBenchArgs(argv);
  installRuntime();
  const { runBench } = await import('../../bench/run');
  const file = await runBench(opts);
  console.log(`\n[bench] results: ${file} (and .png beside it; bench/results/latest.*)`);
  return 0;
}
