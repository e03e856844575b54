/**
 * Telemetry of the thred worker: the workflow's sink reports (telemetry/sinks.ts) become Prometheus samples and the
 * step spans; an activity interceptor times `recordSteps` (threds_step_seconds) and spans it under each step; the
 * pusher's calls become delivery spans. Workflow code never touches prom-client or OpenTelemetry.
 */
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { StepBatch } from '../activities/engine';
import type { Pusher } from '../activities/delivery';
import type { Store } from '../store';
import { processMetrics, type ThredsMetrics } from './metrics';
import type { StepReport, ThredsSinks } from './sinks';
import { parseTraceparent } from './trace-context';
import { processLogger } from './process';
import { SpanKind, endSpan, startSpan, tracingEnabled, withSpan } from './tracing';

/** The read model is written by the step's bookkeeping, after the report: counted a moment later, once per pattern. */
const ACTIVE_RECOUNT_DELAY_MS = 1000;
/** A thred that stopped reporting (ended elsewhere, evicted, moved to another worker) leaves the backlog gauge. */
const BACKLOG_FORGET_MS = 60_000;

export function thredWorkerTelemetry(store: Store, metrics: ThredsMetrics = processMetrics()) {
  const recounts = new Map<string, NodeJS.Timeout>();
  function recountActive(patternId: string): void {
    if (recounts.has(patternId)) return;
    const t = setTimeout(() => {
      recounts.delete(patternId);
      store.threds
        .count({ status: 'active', pattern: patternId })
        .then((n) => metrics.thredsActive.set({ pattern: patternId }, n))
        .catch(() => undefined); // the next step retries; a scrape meanwhile shows the last count
    }, ACTIVE_RECOUNT_DELAY_MS);
    t.unref();
    recounts.set(patternId, t);
  }

  const log = processLogger();

  // The last queue depth each busy thred reported, summarised per pattern when scraped (no per-thred series).
  const backlogs = new Map<string, { pattern: string; queued: number; at: number }>();
  function noteBacklog(report: StepReport): void {
    if (report.queued > 0 && report.status === 'active') {
      backlogs.set(report.thredId, { pattern: report.patternId, queued: report.queued, at: Date.now() });
    } else backlogs.delete(report.thredId);
  }
  function summariseBacklogs(): void {
    const cutoff = Date.now() - BACKLOG_FORGET_MS;
    const sums = new Map<string, { sum: number; max: number }>();
    for (const [id, b] of backlogs) {
      if (b.at < cutoff) {
        backlogs.delete(id);
        continue;
      }
      const s = sums.get(b.pattern) ?? { sum: 0, max: 0 };
      s.sum += b.queued;
      s.max = Math.max(s.max, b.queued);
      sums.set(b.pattern, s);
    }
    metrics.thredBacklog.reset();
    for (const [pattern, s] of sums) {
      metrics.thredBacklog.set({ pattern, stat: 'sum' }, s.sum);
      metrics.thredBacklog.set({ pattern, stat: 'max' }, s.max);
    }
  }
  // Summarised at scrape time; prom-client calls a gauge's collect() for each /metrics.
  (metrics.thredBacklog as unknown as { collect?: () => void }).collect = summariseBacklogs;

  function step(report: StepReport): void {
    const pattern = report.patternId;
    noteBacklog(report);
    // One line per step, with the field names of every process, so one event can be followed across them.
    log?.info(
      {
        thredId: report.thredId,
        ...(report.eventId && { eventId: report.eventId }),
        ...(report.traceparent && { traceId: parseTraceparent(report.traceparent)?.traceId }),
        pattern,
        step: report.step,
        cause: report.cause,
        from: report.from,
        to: report.to,
        status: report.status,
        ...(report.errorCodes.length > 0 && { errorCodes: report.errorCodes }),
      },
      'thred step',
    );
    if (report.cause === 'event') metrics.eventsHandled.inc({ pattern });
    if (report.from !== report.to) metrics.transitions.inc({ pattern, from: report.from ?? '', to: report.to ?? '' });
    for (const code of report.errorCodes) metrics.stepErrors.inc({ pattern, code: String(code) });
    metrics.queueDepth.observe({ pattern }, report.queued);
    if (report.cause === 'start' || report.status !== 'active' || report.from !== report.to) recountActive(pattern);
    if (report.parent && report.traceparent && tracingEnabled()) {
      const span = startSpan(`thred step ${pattern}`, {
        parent: report.parent,
        spanId: parseTraceparent(report.traceparent)?.spanId,
        startTime: report.time,
        attributes: {
          'threds.thred_id': report.thredId,
          'threds.pattern': pattern,
          'threds.step': report.step,
          'threds.cause': report.cause,
          ...(report.eventId && { 'threds.event_id': report.eventId }),
          ...(report.from && { 'threds.from': report.from }),
          ...(report.to && { 'threds.to': report.to }),
        },
      });
      endSpan(span, report.errorCodes.length > 0 ? `error codes ${report.errorCodes.join(', ')}` : undefined);
    }
  }

  const sinks: InjectedSinks<ThredsSinks> = {
    threds: {
      step: { fn: (_info, report) => step(report) },
      agentCall: { fn: (_info, nodeType, outcome) => metrics.agentCalls.inc({ node_type: nodeType, outcome }) },
      continuedAsNew: {
        fn: (_info, r) => {
          metrics.continueAsNew.inc({ pattern: r.patternId, reason: r.reason });
          metrics.historyAtContinueAsNew.observe({ reason: r.reason }, r.historyLength);
          metrics.historyBytesAtContinueAsNew.observe({ reason: r.reason }, r.historySize);
        },
      },
    },
  };

  const interceptors: WorkerInterceptors = {
    activity: [
      (ctx) => ({
        inbound: {
          async execute(input, next) {
            if (ctx.info.activityType !== 'recordSteps') return next(input);
            const batch = input.args[0] as StepBatch;
            const spans = [...new Set(batch.steps.map((s) => s.traceparent).filter((t): t is string => !!t))].map(
              (parent) =>
                startSpan('recordSteps', {
                  parent,
                  kind: SpanKind.INTERNAL,
                  attributes: { 'threds.thred_id': batch.thredId, 'threds.pattern': batch.pattern.id },
                }),
            );
            try {
              // Deliveries made inside are children of the last step's span (a batch is usually one event).
              const result = await withSpan(spans[spans.length - 1], () => next(input));
              const now = Date.now();
              for (const s of batch.steps) {
                metrics.stepSeconds.observe({ pattern: batch.pattern.id }, (now - s.time) / 1000);
                for (const d of s.deadLetters) metrics.deadLetters.inc({ node_type: d.nodeType });
              }
              spans.forEach((s) => endSpan(s));
              return result;
            } catch (err) {
              spans.forEach((s) => endSpan(s, err));
              throw err;
            }
          },
        },
      }),
    ],
  };

  /** The pusher with one client span per push (its failures are the worker's to log; the span records them). */
  function tracedPusher(push: Pusher): Pusher {
    return async (p) => {
      const span = startSpan('deliver', {
        kind: SpanKind.CLIENT,
        attributes: {
          'threds.gateway_url': p.gatewayUrl,
          'threds.deliveries': p.deliveries.length,
          'threds.message_ids': [...new Set(p.deliveries.map((d) => d.message.id))],
        },
      });
      try {
        await withSpan(span, () => push(p));
        endSpan(span);
      } catch (err) {
        endSpan(span, err);
        throw err;
      }
    };
  }

  return { sinks, interceptors, tracedPusher };
}

/** The sinks a replaying worker registers: replay never calls them, but an unregistered one is logged as an error. */
export const replaySinks: InjectedSinks<ThredsSinks> = {
  threds: {
    step: { fn: () => undefined },
    agentCall: { fn: () => undefined },
    continuedAsNew: { fn: () => undefined },
  },
};
