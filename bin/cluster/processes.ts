/**
 * The cluster's server binaries (from scripts/install-tools.sh, in .tools/bin) as detached children logging to a file
 * each, and the ordered stop shared by the servers and the Threds processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { toolsBin, type ServerProcess } from '../stack';

export function tool(name: string): string {
  const path = join(toolsBin, name);
  if (!existsSync(path)) {
    throw new Error(`${name} is not installed in .tools/bin: run \`bash scripts/install-tools.sh\` (needs Go).`);
  }
  return path;
}

export function launch(name: string, cmd: string, args: string[], logDir: string): ServerProcess {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true });
  return { name, child, logFile };
}

/** SIGTERM in reverse start order, SIGKILL after the grace time. */
export async function stopProcesses(
  processes: { name: string; child: ChildProcess }[],
  graceMs = 15_000,
): Promise<void> {
  for (const p of [...processes].reverse()) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
    p.child.kill('SIGTERM');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
