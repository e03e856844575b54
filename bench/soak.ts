/**
 * `npm run bench -- --soak 10m` — sustained load and overload (issue 18), not part of CI.
 *
 * Throwaway servers, `threds worker` and `threds gateway` as separate processes (as in run.ts), 20 busy counter
 * threds. First a short closed loop measures saturation (events/s *applied*, from the read model); then two open-loop
 * phases of the given duration each: ~70 % of saturation, then 150 %. A sender whose event is refused (429/503)
 * re-sends the same event id after its Retry-After, as a client should (soak/load.ts). Every second it samples
 * applied events/s, the backlog (acknowledged − applied, per thred), POST latency (soak/sampler.ts); after each phase
 * it waits for the backlog to reach zero (recovery time) and checks every acknowledged event was applied exactly once
 * (the counter of each thred equals the events acknowledged for it). At the end: history length of each run and
 * workflow-task timeouts (from the histories), worker/gateway RSS at start and end (soak/report.ts). Results:
 * bench/results/soak-<time>.json and .png.
 */
import { randomUUID } from 'node:crypto';
import { createResources } from './harness/resources';
import { startServers, startThreds } from './harness/threds';
import { counterPattern } from './patterns';
import { round } from './stats';
import { createLoad } from './soak/load';
import type { SoakOptions } from './soak/options';
import { runPhase, type PhaseSummary, type SoakRig } from './soak/phase';
import { writeSoakReport } from './soak/report';
import { appliedFrom, drain, sum } from './soak/sampler';

export type { SoakOptions } from './soak/options';

const PHASES = [
  ['70%', 0.7],
  ['150%', 1.5],
] as const;

/** Enough senders to saturate the worker; the gateway's backpressure keeps the backlog bounded meanwhile. */
const CALIBRATION_SENDERS = 256;

export async function runSoak(opts: SoakOptions): Promise<string> {
  const res = createResources('soak');
  let ok = false;
  try {
    const servers = await startServers(res);
    const threds = await startThreds(res, servers, {
      prefix: 'soak',
      patterns: [counterPattern('soak_counter', 'Soak Counter', 'soak.count')],
    });
    const token = await threds.token('soak', '24h');
    const rssStart = threds.rssMB();
    const post = threds.poster(token);
    const thredIds: string[] = [];
    for (let i = 0; i < opts.threds; i++) {
      const accepted = await post({ id: `s-${randomUUID()}`, type: 'soak.count', source: { id: 'soak' } });
      thredIds.push(accepted.results[0]!.thredIds[0]!);
    }
    const load = createLoad(threds.baseUrl, token, thredIds);
    const rig: SoakRig = { threds, load, applied: appliedFrom(threds.store, thredIds), thredIds, samples: [] };

    // Saturation: a closed loop, measured as events applied (not accepted) per second.
    const calMs = Math.min(20_000, Math.max(5_000, opts.phaseMs / 4));
    const before = sum(await rig.applied());
    const calStart = Date.now();
    await load.closedLoop(calMs, CALIBRATION_SENDERS);
    const { recoveryMs: calDrain } = await drain(rig.applied, load.acked, thredIds);
    const measured = round(((sum(await rig.applied()) - before) * 1000) / (Date.now() - calStart));
    const saturation = opts.saturation ?? measured;
    console.log(`[soak] saturation ≈ ${saturation} applied events/s (drained ${calDrain} ms after the loop)`);

    const phases: PhaseSummary[] = [];
    for (const [name, factor] of PHASES) {
      phases.push(await runPhase(rig, name, Math.max(1, saturation * factor), opts.phaseMs));
      console.log(`[soak] ${name}: ${JSON.stringify(phases.at(-1))}`);
    }

    const file = await writeSoakReport(rig, servers.client, { options: opts, saturation, measured, phases, rssStart });
    ok = true;
    return file;
  } finally {
    await res.release(ok);
  }
}
