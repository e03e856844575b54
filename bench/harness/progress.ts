/** Progress of a bench phase: a bar on a terminal; elsewhere (CI, a log file) a line every 5 s. */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  tick(): void;
  stop(): void;
}

export function progress(label: string, total: number): Progress {
  const bar = new SingleBar(
    {
      format: `${label.padEnd(28)} [{bar}] {percentage}% {value}/{total} {eta_formatted}`,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}

/** For a closed-loop (saturation) phase, which runs for a time rather than a count: seconds elapsed. */
export function timedProgress(label: string, durationMs: number): Progress {
  const bar = progress(label, Math.round(durationMs / 1000));
  const timer = setInterval(bar.tick, 1000);
  return {
    tick: bar.tick,
    stop: () => {
      clearInterval(timer);
      bar.stop();
    },
  };
}
