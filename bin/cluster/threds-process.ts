/** A Threds command (`threds worker`, `gateway`, `agent …`) as a child process with prefixed output and readiness. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { projectRoot } from '../stack';
import { waitForHttp } from '../poll';

export interface ThredsProcessSpec {
  /** Log prefix and handle, e.g. gateway-1. */
  name: string;
  /** `threds` command and arguments, e.g. ['gateway']. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** A line of its output that means it is serving (e.g. the worker's "polling"). */
  readyLine?: RegExp;
  /** An HTTP URL that answers 2xx once it is serving (the gateway's /ready). */
  readyUrl?: string;
}

export interface ThredsProcess {
  spec: ThredsProcessSpec;
  child: ChildProcess;
  /** Resolves when ready (readyLine seen / readyUrl answers); rejects if the process exits first. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const thredsEntry = join(projectRoot, 'bin', 'threds.mjs');

/** One `threds <command>` child; every line of its stdout/stderr goes to `log` with its name. */
export function startThredsProcess(spec: ThredsProcessSpec, log: (name: string, line: string) => void): ThredsProcess {
  const child = spawn(process.execPath, [thredsEntry, ...spec.args], {
    cwd: projectRoot,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // Ctrl-C reaches the supervisor only, which stops children in order
  });
  let sawReady: () => void = () => undefined;
  const lineReady = new Promise<void>((r) => (sawReady = r));
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      log(spec.name, line);
      if (spec.readyLine?.test(line)) sawReady();
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const readiness = spec.readyUrl
    ? waitForHttp(spec.readyUrl, { timeoutMs: 120_000 })
    : spec.readyLine
      ? lineReady
      : Promise.resolve();
  const ready = Promise.race([
    readiness,
    exited.then(({ code, signal }) => {
      throw new Error(`${spec.name} exited (${signal ?? `code ${code}`}) before it was ready`);
    }),
  ]);
  ready.catch(() => undefined);
  return { spec, child, ready, exited };
}
