/**
 * Threds' own Prometheus metrics of worker and agent processes (SPEC §13). One registry per process: a process may
 * host several workers (`threds dev` runs the thred worker and every agent), and they share one /metrics.
 *
 * Label cardinality is bounded by configuration, never by traffic: `pattern` is a pattern id (as many as the
 * pattern store holds), `from`/`to` are reaction names of that pattern, `code` a SPEC §7 error code, `node_type` a
 * configured agent, `outcome` a fixed word. Thred ids, event ids and participant ids are never labels; the queue
 * depth of threds is a histogram of the depths seen at each step instead of a gauge per thred.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createThredsMetrics(registry = new Registry(), defaultsPrefix?: string) {
  if (defaultsPrefix) collectDefaultMetrics({ register: registry, prefix: defaultsPrefix });
  const registers = [registry];
  return {
    registry,
    eventsHandled: new Counter({
      name: 'threds_events_handled_total',
      help: 'Events a thred took a step for (matched or not), by pattern',
      labelNames: ['pattern'] as const,
      registers,
    }),
    transitions: new Counter({
      name: 'threds_transitions_total',
      help: 'Reaction changes of threds, by pattern and from/to reaction ("" = started / ended)',
      labelNames: ['pattern', 'from', 'to'] as const,
      registers,
    }),
    stepErrors: new Counter({
      name: 'threds_step_errors_total',
      help: 'Error events emitted by thred steps, by pattern and SPEC §7 code',
      labelNames: ['pattern', 'code'] as const,
      registers,
    }),
    agentCalls: new Counter({
      name: 'threds_agent_calls_total',
      help:
        'Agent calls by agent nodeType and outcome. Thred workers count the thred view (reply, no_reply, failed); ' +
        'agent processes count each attempt (ok, no_reply, error_reply, retry, failed, cancelled)',
      labelNames: ['node_type', 'outcome'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'threds_dead_letters_total',
      help: 'Agent messages given up on (retries exhausted) and recorded as dead letters, by agent nodeType',
      labelNames: ['node_type'] as const,
      registers,
    }),
    thredsActive: new Gauge({
      name: 'threds_threds_active',
      help: 'Active threds by pattern (from the read model: the same value on every worker, aggregate with max)',
      labelNames: ['pattern'] as const,
      registers,
    }),
    stepSeconds: new Histogram({
      name: 'threds_step_seconds',
      help: 'Time from the workflow task that took a step until its bookkeeping and delivery were done',
      labelNames: ['pattern'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Histogram({
      name: 'threds_queue_depth',
      help: "Items waiting in a thred's queue after each step, by pattern (summarised: no per-thred series)",
      labelNames: ['pattern'] as const,
      buckets: [0, 1, 2, 5, 10, 25, 50, 100, 250, 1000],
      registers,
    }),
    thredBacklog: new Gauge({
      name: 'threds_thred_backlog',
      help:
        'Items queued in the threds this worker ran lately, by pattern: the sum (stat=sum) and the largest (stat=max) ' +
        "of each thred's last report (a thred is forgotten once its queue is empty or it has not reported for 60 s)",
      labelNames: ['pattern', 'stat'] as const,
      registers,
    }),
    continueAsNew: new Counter({
      name: 'threds_continue_as_new_total',
      help: 'Runs ended by continue-as-new, by pattern and reason (suggested, budget, history_length, history_size)',
      labelNames: ['pattern', 'reason'] as const,
      registers,
    }),
    historyAtContinueAsNew: new Histogram({
      name: 'threds_history_length_at_continue_as_new',
      help: 'History events of a run when it continued as new, by reason',
      labelNames: ['reason'] as const,
      buckets: [100, 250, 500, 1000, 2000, 3000, 4000, 6000, 8000, 10240],
      registers,
    }),
    historyBytesAtContinueAsNew: new Histogram({
      name: 'threds_history_bytes_at_continue_as_new',
      help: 'History size (bytes) of a run when it continued as new, by reason',
      labelNames: ['reason'] as const,
      buckets: [64e3, 256e3, 512e3, 1e6, 2e6, 3e6, 4e6, 6e6, 8e6, 10e6],
      registers,
    }),
    agentSeconds: new Histogram({
      name: 'threds_agent_call_seconds',
      help: 'Duration of one agent call attempt in the agent process, by nodeType',
      labelNames: ['node_type'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}

export type ThredsMetrics = ReturnType<typeof createThredsMetrics>;

let shared: ThredsMetrics | undefined;

/** The process's metrics (created on first use; default process metrics under `threds_` (threds_process_cpu_seconds_total, …)). */
export function processMetrics(): ThredsMetrics {
  return (shared ??= createThredsMetrics(new Registry(), 'threds_'));
}

/** Every metric name a worker or agent process exports itself (the dashboard test checks queries against these). */
export function exportedNames(metrics: ThredsMetrics = processMetrics()): string[] {
  return metrics.registry.getMetricsAsArray().flatMap((m) => {
    const { name } = m as unknown as { name: string };
    return m instanceof Histogram ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
  });
}
