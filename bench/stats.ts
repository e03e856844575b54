/** Percentiles and rates for the benchmark report. */
export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  return { count: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s.length ? s[s.length - 1]! : NaN };
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Runs `task` with `concurrency` workers until `durationMs` elapses (closed loop, i.e. saturation). */
export async function closedLoop(
  durationMs: number,
  concurrency: number,
  task: () => Promise<void>,
  onDone?: () => void,
): Promise<{ completed: number; errors: number; elapsedMs: number }> {
  const end = Date.now() + durationMs;
  const start = Date.now();
  let completed = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        try {
          await task();
          completed++;
        } catch {
          errors++;
        }
        onDone?.();
      }
    }),
  );
  return { completed, errors, elapsedMs: Date.now() - start };
}

/** Starts `task` at a fixed rate (open loop) for `durationMs`; resolves when all started tasks settled. */
export async function openLoop(
  durationMs: number,
  ratePerSec: number,
  task: () => Promise<void>,
  onDone?: () => void,
): Promise<{ completed: number; errors: number; elapsedMs: number }> {
  const start = Date.now();
  const total = Math.max(1, Math.round((durationMs / 1000) * ratePerSec));
  const pending: Promise<void>[] = [];
  let completed = 0;
  let errors = 0;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / ratePerSec;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      task()
        .then(
          () => void completed++,
          () => void errors++,
        )
        .finally(() => onDone?.()),
    );
  }
  await Promise.all(pending);
  return { completed, errors, elapsedMs: Date.now() - start };
}
