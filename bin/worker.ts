/**
 * The thred worker: hosts the `thred` workflow (prebuilt bundle) and the engine's local activities on the `threds`
 * task queue. Sticky cache and concurrency sized for small threds (SPEC §10; bench/ measures it).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { startRetentionSweeper, type Store } from '../store';
import type { Directory } from '../store/directory';
import { createActivities, type Pusher } from '../activities';
import { THREDS_TASK_QUEUE } from '../workflows/messages';
import { temporalSecurityOptions, type TemporalSecurity } from '../gateway/temporal-connection';
import { workflowBundle } from './bundle';
import { THRED_SEARCH_ATTRIBUTES } from './stack';
import { thredWorkerTelemetry } from '../telemetry/worker';
import { processLogger } from '../telemetry/process';
import { retentionSettings, type RetentionSettings } from './settings';

export interface ThredWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  store: Store;
  directory: Directory;
  taskQueue?: string;
  push?: Pusher;
  maxCachedWorkflows?: number;
  /** The retention sweep this worker takes its turns at (store/retention.ts); default from the environment. */
  retention?: RetentionSettings;
}

/** Workers' and agents' connection: the same address and TLS / API key as every other Temporal client (SPEC §13). */
export function connectWorkerTemporal(
  config: TemporalSecurity & { temporalAddress: string },
): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.temporalAddress, ...temporalSecurityOptions(config) });
}

/** proto temporal.api.enums.v1.IndexedValueType; @temporalio/proto is not a dependency of ours. */
const INDEXED_VALUE_TYPE_KEYWORD = 2;
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;

type Services = Pick<Connection | NativeConnection, 'operatorService' | 'workflowService'>;

/**
 * The thred search attributes (SPEC §10) the namespace lacks, or has with another type than Keyword. Asked of the
 * operator service; where that service is closed (Temporal Cloud answers UNIMPLEMENTED or PERMISSION_DENIED), a
 * visibility query naming the attribute tells instead — the frontend rejects an unknown one as INVALID_ARGUMENT.
 */
export async function missingSearchAttributes(services: Services, namespace: string): Promise<string[]> {
  try {
    const { customAttributes } = await services.operatorService.listSearchAttributes({ namespace });
    const have = customAttributes ?? {};
    return THRED_SEARCH_ATTRIBUTES.filter((name) => Number(have[name]) !== INDEXED_VALUE_TYPE_KEYWORD);
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code !== UNIMPLEMENTED && code !== PERMISSION_DENIED) throw err;
  }
  const missing: string[] = [];
  for (const name of THRED_SEARCH_ATTRIBUTES) {
    try {
      await services.workflowService.countWorkflowExecutions({ namespace, query: `${name} = ''` });
    } catch (err) {
      if ((err as { code?: number }).code !== INVALID_ARGUMENT) throw err;
      missing.push(name);
    }
  }
  return missing;
}

export class SearchAttributesMissing extends Error {
  constructor(
    readonly namespace: string,
    readonly missing: string[],
    { namespaceMissing = false }: { namespaceMissing?: boolean } = {},
  ) {
    super(
      (namespaceMissing
        ? `namespace "${namespace}" does not exist`
        : `namespace "${namespace}" lacks the search attribute${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (Keyword) that threds keep current`) +
        ': run `npx threds setup` against this cluster once, then start the worker again',
    );
  }
}

export async function createThredWorker(opts: ThredWorkerOptions): Promise<Worker> {
  // Without them every thred's first workflow task would fail and retry forever; refusing here names the fix.
  const missing = await missingSearchAttributes(opts.connection, opts.namespace).catch((err: unknown) => {
    if ((err as { code?: number }).code !== NOT_FOUND) throw err;
    throw new SearchAttributesMissing(opts.namespace, [...THRED_SEARCH_ATTRIBUTES], { namespaceMissing: true });
  });
  if (missing.length > 0) throw new SearchAttributesMissing(opts.namespace, missing);
  const retention = opts.retention ?? retentionSettings();
  const telemetry = thredWorkerTelemetry(opts.store);
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? THREDS_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      store: opts.store,
      directory: opts.directory,
      ...(opts.push && { push: telemetry.tracedPusher(opts.push) }),
    }),
    sinks: telemetry.sinks,
    interceptors: telemetry.interceptors,
    // Bounded: idle threds need no cache (an event to an evicted thred replays its short, continued-as-new history).
    // The bench measured ~0.5 GB RSS for a worker holding 300 threds with 10,000 idle threds started.
    maxCachedWorkflows: opts.maxCachedWorkflows ?? Number(process.env.THREDS_MAX_CACHED_WORKFLOWS ?? 300),
    maxConcurrentWorkflowTaskExecutions: 40,
    maxConcurrentLocalActivityExecutions: 100,
    shutdownGraceTime: '10s',
  });
  // The sweep lives exactly as long as the worker runs, whoever runs it (`threds worker`, `threds dev`, tests).
  const run = worker.run.bind(worker);
  worker.run = async () => {
    const log = processLogger();
    const sweeper = startRetentionSweeper(opts.store, {
      retentionMs: retention.retentionMs,
      intervalMs: retention.sweepIntervalMs,
      by: worker.options.identity,
      ...(log && { log }),
    });
    try {
      await run();
    } finally {
      await sweeper.stop();
    }
  };
  return worker;
}
