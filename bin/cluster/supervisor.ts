/**
 * The restart policy of the cluster's Threds processes, like a container's: one that dies after it was ready is
 * started again; one that dies before stays down, so a misconfiguration is reported once instead of looping.
 */
import { stopProcesses } from './processes';
import { startThredsProcess, type ThredsProcess, type ThredsProcessSpec } from './threds-process';

export interface Supervisor {
  /** Threds processes by name, current incarnation. */
  processes: Map<string, ThredsProcess>;
  /** Starts `spec` and keeps it running; the stop order is the reverse of the start order. */
  start(spec: ThredsProcessSpec): ThredsProcess;
  kill(name: string, signal: NodeJS.Signals): void;
  /** Resolves when `name` runs again and is ready (after a kill). */
  nextIncarnation(name: string): Promise<ThredsProcess>;
  /** No more restarts; stops every process in reverse start order. */
  stop(): Promise<void>;
}

export function superviseThreds(opts: {
  log: (name: string, line: string) => void;
  /** Default true. */
  restartOnCrash?: boolean;
}): Supervisor {
  const say = (line: string) => opts.log('cluster', line);
  const processes = new Map<string, ThredsProcess>();
  const order: string[] = [];
  const waiters = new Map<string, ((p: ThredsProcess) => void)[]>();
  let stopping = false;

  const launchSupervised = (spec: ThredsProcessSpec): ThredsProcess => {
    const p = startThredsProcess(spec, opts.log);
    processes.set(spec.name, p);
    let wasReady = false;
    p.ready.then(
      () => {
        wasReady = true;
        for (const w of waiters.get(spec.name)?.splice(0) ?? []) w(p);
      },
      () => undefined,
    );
    void p.exited.then(({ code, signal }) => {
      if (stopping) return;
      const how = signal ?? `code ${code}`;
      if (wasReady && opts.restartOnCrash !== false) {
        say(`${spec.name} exited (${how}); restarting it`);
        setTimeout(() => {
          if (!stopping) launchSupervised(spec);
        }, 500);
      } else {
        say(
          `${spec.name} exited (${how})${wasReady ? '' : ' before it was ready; not restarted (see its lines above)'}`,
        );
      }
    });
    return p;
  };

  return {
    processes,
    start: (spec) => {
      order.push(spec.name);
      return launchSupervised(spec);
    },
    kill: (name, signal) => {
      processes.get(name)?.child.kill(signal);
    },
    nextIncarnation: (name) => {
      const current = processes.get(name);
      return new Promise((resolve) => {
        const list = waiters.get(name) ?? [];
        list.push((p) => {
          if (p !== current) resolve(p);
        });
        waiters.set(name, list);
      });
    },
    stop: async () => {
      stopping = true;
      await stopProcesses(order.map((name) => ({ name, child: processes.get(name)!.child })));
    },
  };
}
