/**
 * `threds setup`: prepares an external (or the local) cluster for Threds, idempotently (SPEC §13): the namespace
 * (created when missing; its retention follows THREDS_RETENTION, default 30d), the thred search attributes of SPEC §10
 * through the operator service, the MongoDB indexes, and the library patterns. Safe to run on every deploy: what
 * exists is left alone, so it also applies upgrades (new indexes, new attributes).
 */
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { connectTemporal } from '../../gateway/temporal-connection';
import { openStore, type Store } from '../../store';
import { loadConfig, type Config } from '../config';
import { seed } from '../seed';
import { retentionSettings } from '../settings';
import { THRED_SEARCH_ATTRIBUTES } from '../stack';
import { missingSearchAttributes } from '../worker';

const INDEXED_VALUE_TYPE_KEYWORD = 2; // proto temporal.api.enums.v1.IndexedValueType
const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNAVAILABLE = 14;
const UNIMPLEMENTED = 12;

const code = (err: unknown) => (err as { code?: number }).code;

export interface SetupOptions {
  connection: Connection;
  namespace: string;
  retentionMs: number;
  store: Store;
  config: Config;
  log?: (line: string) => void;
  /** How long to wait for a new namespace and new attributes to become usable (the frontend's caches). */
  settleMs?: number;
}

/** Retries what a just-created namespace or a starting server answers for a few seconds. */
async function settle<T>(
  what: string,
  settleMs: number,
  fn: () => Promise<T>,
  retryable: (err: unknown) => boolean,
): Promise<T> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!retryable(err) || Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Temporal refuses a namespace retention below one day. */
const TEMPORAL_MIN_RETENTION_MS = 86_400_000;
const days = (seconds: number) => `${+(seconds / 86_400).toFixed(3)} d`;

/**
 * The namespace's workflow execution retention follows THREDS_RETENTION, so a closed thred's history goes about when
 * its records in the store do; raised to Temporal's minimum of one day. `0` (keep forever) has no Temporal
 * equivalent — Temporal requires a retention, and a history kept forever only grows its database, while the audit
 * lives in the store: an existing namespace keeps the retention it has, a new one gets Threds' default (30 days).
 */
async function ensureNamespace(o: SetupOptions, log: (l: string) => void): Promise<void> {
  const { workflowService } = o.connection;
  const wanted =
    o.retentionMs === 0 ? undefined : Math.round(Math.max(o.retentionMs, TEMPORAL_MIN_RETENTION_MS) / 1000);
  if (wanted !== undefined && o.retentionMs < TEMPORAL_MIN_RETENTION_MS)
    log(`THREDS_RETENTION is below Temporal's minimum: closed thred histories are kept ${days(wanted)}`);
  let current: number | undefined;
  try {
    const ns = await workflowService.describeNamespace({ namespace: o.namespace });
    current = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
  } catch (err) {
    if (code(err) !== NOT_FOUND) throw err;
  }
  if (current === undefined) {
    try {
      const seconds = wanted ?? retentionSettings({}).retentionMs / 1000;
      await workflowService.registerNamespace({
        namespace: o.namespace,
        workflowExecutionRetentionPeriod: msToTs(seconds * 1000),
      });
      log(
        `namespace ${o.namespace} created (retention ${days(seconds)}${wanted === undefined ? ", Threds' default: THREDS_RETENTION=0 keeps the store's records only" : ''})`,
      );
    } catch (err) {
      if (code(err) !== ALREADY_EXISTS) throw err; // a concurrent setup made it
    }
    return;
  }
  if (wanted === undefined || current === wanted) {
    log(
      `namespace ${o.namespace} exists (retention ${days(current)}${wanted === undefined ? ', left as it is: THREDS_RETENTION=0' : ''})`,
    );
    return;
  }
  try {
    await workflowService.updateNamespace({
      namespace: o.namespace,
      config: { workflowExecutionRetentionTtl: msToTs(wanted * 1000) },
    });
    log(`namespace ${o.namespace}: retention ${days(current)} → ${days(wanted)}`);
  } catch (err) {
    // Temporal Cloud manages namespaces through its own control plane: keep going, say how to change it there.
    if (code(err) !== PERMISSION_DENIED && code(err) !== UNIMPLEMENTED) throw err;
    log(
      `namespace ${o.namespace}: retention stays ${days(current)} (this server does not let us change it: ${(err as Error).message})`,
    );
  }
}

/** Registers what is missing; then waits until the frontend accepts queries on every attribute. */
async function ensureSearchAttributes(o: SetupOptions, log: (l: string) => void, settleMs: number): Promise<void> {
  const missing = await settle(
    'listing search attributes',
    settleMs,
    () => missingSearchAttributes(o.connection, o.namespace),
    (e) => [NOT_FOUND, UNAVAILABLE].includes(code(e) ?? -1),
  );
  if (missing.length > 0) {
    await settle(
      'registering search attributes',
      settleMs,
      async () => {
        try {
          await o.connection.operatorService.addSearchAttributes({
            namespace: o.namespace,
            searchAttributes: Object.fromEntries(missing.map((name) => [name, INDEXED_VALUE_TYPE_KEYWORD])),
          });
        } catch (err) {
          if (code(err) !== ALREADY_EXISTS) throw err;
        }
      },
      (e) => [NOT_FOUND, UNAVAILABLE].includes(code(e) ?? -1),
    );
    log(`search attributes registered: ${missing.join(', ')} (Keyword)`);
  } else {
    log(`search attributes present: ${THRED_SEARCH_ATTRIBUTES.join(', ')}`);
  }
  // The frontend learns of new attributes through its namespace cache (seconds): wait, so that threds started right
  // after setup can set them.
  for (const name of THRED_SEARCH_ATTRIBUTES) {
    await settle(
      `search attribute ${name} not usable yet`,
      settleMs,
      () => o.connection.workflowService.countWorkflowExecutions({ namespace: o.namespace, query: `${name} = ''` }),
      () => true,
    );
  }
}

export async function setupThreds(o: SetupOptions): Promise<void> {
  const log = o.log ?? ((l: string) => console.log(`[setup] ${l}`));
  const settleMs = o.settleMs ?? 60_000;
  await ensureNamespace(o, log);
  await ensureSearchAttributes(o, log, settleMs);
  await o.store.ensureIndexes();
  log(`MongoDB indexes ensured in ${o.store.db.databaseName}`);
  await seed({ store: o.store, config: o.config });
  log('library patterns present');
}

/** THREDS_RETENTION in ms (0: keep forever); a malformed value throws, naming the variable. */
export function retentionMs(config: Pick<Config, 'retention'>): number {
  return retentionSettings({ THREDS_RETENTION: config.retention }).retentionMs;
}

export async function run(_argv: string[]): Promise<number> {
  const config = loadConfig();
  const retention = retentionMs(config);
  const connection = await connectTemporal(config.temporalAddress, config);
  try {
    // openStore creates the indexes too; setupThreds says so and seeds.
    const { store, client } = await openStore(config.mongoUrl, config.mongoDb);
    try {
      await setupThreds({ connection, namespace: config.temporalNamespace, retentionMs: retention, store, config });
    } finally {
      await client.close();
    }
    console.log(
      `[setup] done: ${config.temporalAddress} namespace ${config.temporalNamespace}, MongoDB ${config.mongoDb}`,
    );
    return 0;
  } catch (err) {
    console.error(`[setup] failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await connection.close();
  }
}
