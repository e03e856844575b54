/**
 * The fault suite's stack: every part of Threds as its own OS process — the Temporal dev server (SQLite file, so a
 * restart keeps its data), FerretDB (data dir), and `threds worker`, `threds gateway`, `threds agent` child processes —
 * each in its own process group so a fault (SIGKILL, SIGSTOP) hits exactly that part, and so cleanup can kill a whole
 * group. Every process started here is killed by `stop()` and, as a backstop, when this test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  freeTemporalPort,
  projectRoot,
  startMongo,
  startTemporal,
  waitForMongo,
  waitForTemporal,
} from '../../bin/stack';
import type { AgentConfig } from '../../store/directory';

export type Part = 'temporal' | 'store' | 'worker' | 'gateway' | 'agent';

interface Running {
  part: Part;
  child: ChildProcess;
  logFile: string;
  exited: Promise<void>;
}

const live = new Set<Running>();

function killGroup(r: Running, signal: NodeJS.Signals): void {
  if (r.child.pid === undefined || r.child.exitCode !== null || r.child.signalCode !== null) return;
  try {
    process.kill(-r.child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

// Backstop for a crashed or interrupted run: vitest's worker exits, the children must not outlive it.
process.once('exit', () => {
  for (const r of live) {
    killGroup(r, 'SIGCONT');
    killGroup(r, 'SIGKILL');
  }
});

function track(part: Part, child: ChildProcess, logFile: string): Running {
  const r: Running = {
    part,
    child,
    logFile,
    exited: new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    }),
  };
  live.add(r);
  void r.exited.then(() => live.delete(r));
  return r;
}

async function poll(what: string, probe: () => Promise<boolean>, timeoutMs: number, r?: Running): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (r && (r.child.exitCode !== null || r.child.signalCode !== null)) {
      throw new Error(`${what}: process exited (${r.child.exitCode ?? r.child.signalCode}); see ${r.logFile}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${what}: not ready after ${timeoutMs} ms; see ${r?.logFile ?? '-'}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

export interface StackOptions {
  agents: AgentConfig[];
  jwtSecret: string;
  /** Extra environment for every threds process. */
  env?: Record<string, string>;
}

export class FaultStack {
  readonly dir: string;
  readonly configDir: string;
  readonly logDir: string;
  temporalPort = 0;
  mongoPort = 0;
  gatewayPort = 0;
  private running = new Map<Part, Running>();
  private starts = new Map<Part, number>();

  constructor(private readonly opts: StackOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'threds-faults-'));
    this.configDir = join(this.dir, 'config');
    this.logDir = join(this.dir, 'logs');
    mkdirSync(this.configDir, { recursive: true });
    mkdirSync(this.logDir, { recursive: true });
    writeFileSync(join(this.configDir, 'sessions.json'), JSON.stringify({ groups: {}, participants: [] }));
    writeFileSync(join(this.configDir, 'agents.json'), JSON.stringify(opts.agents, null, 2));
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.temporalPort}`;
  }
  get mongoUrl(): string {
    return `mongodb://127.0.0.1:${this.mongoPort}`;
  }
  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.gatewayPort}`;
  }
  readonly mongoDb = 'threds_faults';

  async allocatePorts(): Promise<void> {
    this.temporalPort = await freeTemporalPort();
    this.mongoPort = await freePort();
    this.gatewayPort = await freePort();
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      MONGO_URL: this.mongoUrl,
      MONGO_DB: this.mongoDb,
      THREDS_PORT: String(this.gatewayPort),
      THREDS_JWT_SECRET: this.opts.jwtSecret,
      THREDS_CONFIG_DIR: this.configDir,
      THREDS_DATA_DIR: join(this.dir, 'threds-data'),
      THREDS_TASK_QUEUE: 'threds-faults',
      LOG_LEVEL: 'warn',
      // The suite's bursts come from one principal; the per-principal limit is not what is under test.
      THREDS_RATE_LIMIT: '1000000',
      ...this.opts.env,
    };
  }

  /** Starts `part` (again, after a fault, on the same ports and data) and waits until it is ready. */
  async start(part: Part): Promise<void> {
    const prev = this.running.get(part);
    if (prev && prev.child.exitCode === null && prev.child.signalCode === null) throw new Error(`${part} is running`);
    const n = (this.starts.get(part) ?? 0) + 1;
    this.starts.set(part, n);
    let r: Running;
    if (part === 'temporal') {
      const s = startTemporal({ port: this.temporalPort, dbFile: join(this.dir, 'temporal.db'), dataDir: this.dir });
      r = track(part, s.child, s.logFile);
      this.running.set(part, r);
      await waitForTemporal(this.temporalAddress, s, 60_000);
      return;
    }
    if (part === 'store') {
      const s = startMongo({ port: this.mongoPort, dataDir: this.dir });
      r = track(part, s.child, s.logFile);
      this.running.set(part, r);
      await waitForMongo(this.mongoUrl, s, 60_000);
      return;
    }
    const logFile = join(this.logDir, `${part}-${n}.log`);
    const fd = openSync(logFile, 'a');
    const args = [
      join(projectRoot, 'bin', 'threds.mjs'),
      part,
      ...(part === 'agent' ? this.opts.agents.map((a) => a.nodeType) : []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: projectRoot,
      env: this.env(),
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    r = track(part, child, logFile);
    this.running.set(part, r);
    if (part === 'gateway') {
      await poll(
        'gateway',
        async () => (await fetch(`${this.gatewayUrl}/health`, { signal: AbortSignal.timeout(1000) })).ok,
        60_000,
        r,
      );
    } else {
      // Both commands print this line once their Temporal workers are created, right before they start polling.
      const marker = part === 'worker' ? 'worker polling task queue' : '"msg":"agents ';
      await poll(part, async () => readFileSync(logFile, 'utf8').includes(marker), 60_000, r);
    }
  }

  /** Sends `signal` to the part's process group; for SIGKILL/SIGTERM waits until it has exited. */
  async signal(part: Part, signal: NodeJS.Signals): Promise<void> {
    const r = this.running.get(part);
    if (!r) throw new Error(`${part} was never started`);
    killGroup(r, signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await r.exited;
  }

  isRunning(part: Part): boolean {
    const r = this.running.get(part);
    return !!r && r.child.exitCode === null && r.child.signalCode === null;
  }

  /** Kills everything this stack started (a paused process is resumed first so it can die), then removes its data. */
  async stop({ keepData = false }: { keepData?: boolean } = {}): Promise<void> {
    const all = [...this.running.values()];
    for (const r of all) {
      killGroup(r, 'SIGCONT');
      killGroup(r, 'SIGKILL');
    }
    await Promise.all(all.map((r) => r.exited));
    if (!keepData) rmSync(this.dir, { recursive: true, force: true });
  }
}
