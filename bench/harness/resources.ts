/**
 * Everything a bench run starts or opens — throwaway servers, child processes, connections, a scratch directory —
 * held in one place so that a single `finally` ends all of it, whether the run passed or failed: a failed run must
 * end rather than hang on an open connection, and must not leave servers behind.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopAll, type ServerProcess } from '../../bin/stack';

export interface Resources {
  /** Names the scratch directory and prefixes messages: `bench`, `soak`. */
  readonly label: string;
  /** Server data and the children's logs; kept when the run fails, for its logs. */
  readonly tmp: string;
  readonly servers: ServerProcess[];
  readonly children: ChildProcess[];
  /** True once the run is ending: a child exiting then is expected, not a failure to report. */
  readonly stopping: boolean;
  onClose(close: () => Promise<unknown> | void): void;
  release(ok: boolean): Promise<void>;
}

export function createResources(label: string): Resources {
  const tmp = mkdtempSync(join(tmpdir(), `threds-${label}-`));
  const servers: ServerProcess[] = [];
  const children: ChildProcess[] = [];
  const closers: (() => Promise<unknown> | void)[] = [];
  let stopping = false;
  return {
    label,
    tmp,
    servers,
    children,
    get stopping() {
      return stopping;
    },
    onClose: (close) => void closers.push(close),
    async release(ok) {
      stopping = true;
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
      await stopAll(servers);
      for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
      if (ok) rmSync(tmp, { recursive: true, force: true });
      else console.error(`[${label}] failed; the worker's and gateway's logs are kept in ${tmp}`);
    },
  };
}
