/**
 * The end of a soak: every acknowledged event applied exactly once (each thred's counter against the events
 * acknowledged for it), history length and workflow-task timeouts of every run (from the histories), the results
 * JSON (bench/results/soak-<time>.json), its chart, and a summary on stdout.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: no named exports under ESM
import { runHistories } from '../harness/history';
import { machine, resultsFile, writeJson } from '../harness/results';
import { percentiles } from '../stats';
import { soakChart } from './chart';
import type { SoakOptions } from './options';
import type { PhaseSummary, SoakRig } from './phase';

export interface SoakOutcome {
  options: SoakOptions;
  saturation: number;
  /** The closed loop's measure, reported even where saturation was given. */
  measured: number;
  phases: PhaseSummary[];
  rssStart: { worker: number; gateway: number };
}

/** Writes the results and the chart; returns the JSON's path. */
export async function writeSoakReport(rig: SoakRig, client: Client, o: SoakOutcome): Promise<string> {
  const { load, thredIds } = rig;
  const per = await rig.applied();
  const acked = (id: string) => load.acked.get(id) ?? 0;
  const lost = thredIds.reduce((a, id, i) => a + Math.max(0, acked(id) - (per[i] ?? 0)), 0);
  const doubled = thredIds.reduce((a, id, i) => a + Math.max(0, (per[i] ?? 0) - acked(id)), 0);
  const historyLengths: number[] = [];
  let taskTimeouts = 0;
  const E = proto.temporal.api.enums.v1.EventType;
  for (const id of thredIds) {
    for await (const events of runHistories(client, id)) {
      taskTimeouts += events.filter((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length;
      historyLengths.push(events.length);
    }
  }
  const result = {
    when: new Date().toISOString(),
    machine: machine(),
    options: o.options,
    saturationAppliedPerSec: o.saturation,
    closedLoopAppliedPerSec: o.measured,
    phases: o.phases,
    exactlyOnce: { accepted: load.accepted + thredIds.length, lost, doubled },
    refusals: load.refusedBy,
    workflowTaskTimeouts: taskTimeouts,
    historyLength: { ...percentiles(historyLengths), runs: historyLengths.length },
    rss: { start: o.rssStart, end: rig.threds.rssMB() },
    samples: rig.samples,
  };
  const file = resultsFile(result.when, 'soak-');
  writeJson(file, result);
  soakChart(file.replace(/\.json$/, '.png'), `Threds soak — ${result.when}`, rig.samples);
  const { samples: _s, ...summary } = result;
  console.log(JSON.stringify(summary, null, 2));
  return file;
}
