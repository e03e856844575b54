/** The `threds` CLI through its real entry point (bin/threds.mjs) as a child process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../bin/stack';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `threds <args>` with `env` (the whole environment: pass `{ ...process.env, … }` to extend it). */
export function runThreds(args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), ...args], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
