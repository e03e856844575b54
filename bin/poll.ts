/**
 * One polling loop for whatever waits on something outside the process — servers coming up (bin/stack.ts,
 * bin/cluster-stack.ts), the benchmark's gateway, the suites' conditions: call the probe until it answers a truthy
 * value (a throw counts as "not yet"), give up at once when a watched process exits, and fail naming what was awaited
 * and the probe's last error.
 */
import type { ChildProcess } from 'node:child_process';

export interface PollOptions {
  timeoutMs: number;
  /** Pause between probes; default 100 ms. */
  intervalMs?: number;
  /** A process whose exit ends the wait at once (its log file is named in the error). */
  process?: { child: ChildProcess; logFile?: string | undefined } | undefined;
}

export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  opts: PollOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    const watched = opts.process;
    if (watched && (watched.child.exitCode !== null || watched.child.signalCode !== null)) {
      const how = watched.child.exitCode ?? watched.child.signalCode;
      throw new Error(`${what}: the process exited (${how})${watched.logFile ? `; see ${watched.logFile}` : ''}`);
    }
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Until `url` answers 2xx. */
export async function waitForHttp(url: string, opts: PollOptions): Promise<void> {
  await pollUntil(
    url,
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return true;
    },
    { intervalMs: 250, ...opts },
  );
}
