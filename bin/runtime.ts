/**
 * Temporal's worker runtime for long-running processes: warnings only (worker state changes are INFO noise), and no
 * signal handlers of its own — the process entry point decides the shutdown order (gateway, agents, worker, then
 * connections and servers), so the runtime must not stop workers behind its back on Ctrl-C.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';

export function installRuntime(level: 'WARN' | 'INFO' | 'DEBUG' = 'WARN'): void {
  Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [] });
}
