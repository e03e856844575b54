/**
 * `threds bench [--duration 15s] [--concurrency 8] [--idle 10000] [--long 3000] [--profile [--profile-dir D]]` (npm run bench): see bench/run.ts.
 */
import { join, resolve } from 'node:path';
import { runBench } from '../../bench/run';
import { toMs } from '../settings';
import { installRuntime } from '../runtime';

export async function run(argv: string[]): Promise<number> {
  installRuntime();
  const flag = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
  };
  const file = await runBench({
    durationMs: toMs(flag('duration', '15s'), 15_000),
    concurrency: Number(flag('concurrency', '8')),
    idleThreds: Number(flag('idle', '10000')),
    longEvents: Number(flag('long', '3000')),
    ...(argv.includes('--profile') && { profileDir: resolve(flag('profile-dir', join('bench', 'results', 'profiles'))) }),
  });
  console.log(`\n[bench] results: ${file} (and .png beside it; bench/results/latest.*)`);
  return 0;
}
