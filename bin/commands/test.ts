/**
 * `threds test [vitest args…]` — the README's test command. Starts throwaway servers on free ports (in-memory
 * Temporal, FerretDB in a temp dir) unless TEMPORAL_ADDRESS and MONGO_URL are given, runs every vitest suite against
 * them, and stops what it started, whatever the outcome.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, stopAll, throwawayServers, type ServerProcess } from '../stack';

export async function run(argv: string[]): Promise<number> {
  // bin/threds.ts answers --help before a `--`; what follows the first `--` is vitest's (`threds test -- --help`).
  const end = argv.indexOf('--');
  const vitestArgs = end < 0 ? argv : [...argv.slice(0, end), ...argv.slice(end + 1)];
  const servers: ServerProcess[] = [];
  const env = { ...process.env };
  let tmp: string | undefined;
  const cleanup = async () => {
    await stopAll(servers);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    tmp = mkdtempSync(join(tmpdir(), 'threds-test-'));
    const started = await throwawayServers(tmp, env);
    servers.push(...started.servers);
    if (started.servers.length > 0)
      console.log(`[test] throwaway Temporal ${started.address}, FerretDB ${started.mongoUrl} (logs in ${tmp})`);
    env.TEMPORAL_ADDRESS = started.address;
    env.MONGO_URL = started.mongoUrl;
    env.TEMPORAL_NAMESPACE ??= 'default';
    return await new Promise<number>((resolve) => {
      const vitest = spawn(
        process.execPath,
        [join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...vitestArgs],
        {
          cwd: projectRoot,
          env,
          stdio: 'inherit',
        },
      );
      vitest.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}
