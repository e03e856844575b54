/** History cost: every history event of the long thred, across its continue-as-new runs, per event it handled. */
import { runHistories } from '../harness/history';
import { round } from '../stats';
import type { ThredsContext } from './context';
import type { CounterThred } from './one-thred';

export interface HistoryResult {
  historyEventsPerHandledEvent: number;
}

export async function measureHistory(ctx: ThredsContext, counter: CounterThred): Promise<HistoryResult> {
  let events = 0;
  for await (const run of runHistories(ctx.client, counter.thredId, counter.firstRunId)) events += run.length;
  return { historyEventsPerHandledEvent: round(events / ctx.opts.longEvents, 2) };
}
