/**
 * `threds <command>` (gateway, worker, agent) as a child process on the servers `npm test` started, through the real
 * entry point bin/threds.mjs. Output is kept line by line (stdout and stderr apart), so tests can wait for a line
 * (a start-up marker, a log line about their event) instead of sleeping, and can check every line's format.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../bin/stack';

export interface Line {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ThredsProcess {
  name: string;
  child: ChildProcess;
  lines: Line[];
  /** Settles with the exit code (null after a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** Waits for the first line (from `from` on) that `match` accepts; rejects if the process exits first. */
  waitForLine(match: (text: string) => boolean, what: string, timeoutMs?: number, from?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; settles when the process has exited. */
  stop(graceMs?: number): Promise<number | null>;
  /** The last lines, for failure messages. */
  tail(n?: number): string;
}

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

/** Starts `threds <args>` with the test environment plus `env` (a value `undefined` removes a variable). */
export function startThreds(name: string, args: string[], env: Record<string, string | undefined>): ThredsProcess {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), ...args], {
    cwd: projectRoot,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    child[stream]!.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      for (const text of parts) if (text !== '') lines.push({ stream, text });
      wake();
    });
    child[stream]!.on('end', () => {
      if (partial !== '') lines.push({ stream, text: partial });
      partial = '';
      wake();
    });
  }
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  let done = false;
  void exited.then(() => {
    done = true;
    // Let the pipes drain before waiters look a last time.
    setTimeout(wake, 50);
  });
  const tail = (n = 40) =>
    `--- ${name} (last ${n} lines) ---\n` +
    lines
      .slice(-n)
      .map((l) => `${l.stream === 'stderr' ? '! ' : ''}${l.text}`)
      .join('\n');
  return {
    name,
    child,
    lines,
    exited,
    tail,
    waitForLine(match, what, timeoutMs = 60_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.slice(from).find((l) => match(l.text));
          if (hit) return finish(() => resolve(hit.text));
          if (done) return finish(() => reject(new Error(`${name} exited before ${what}\n${tail()}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`timed out waiting for ${what}\n${tail()}`))),
          timeoutMs,
        );
        const finish = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        t.unref();
        const code = await exited;
        clearTimeout(t);
        return code;
      }
      return exited;
    },
  };
}

/** The JSON object of a log line, or undefined when the line is not one. */
export function jsonOf(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
