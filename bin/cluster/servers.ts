/**
 * The cluster's servers in dependency order: PostgreSQL, its databases and Temporal's schemas, then the Temporal
 * server, FerretDB and the UI; the caller gets them once each answers.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitForMongo, waitForTemporal, type ServerProcess } from '../stack';
import { waitForHttp } from '../poll';
import { FERRETDB_DB, startFerretPostgres } from './ferretdb';
import type { ClusterPorts } from './ports';
import { ensureDatabases, startPostgres, type Postgres } from './postgres';
import { stopProcesses } from './processes';
import {
  setupTemporalSchemas,
  startTemporalServer,
  TEMPORAL_DB,
  TEMPORAL_VISIBILITY_DB,
  waitForTlsPort,
  type TemporalServerTls,
} from './temporal-server';
import { startTemporalUi } from './temporal-ui';

export interface ClusterServers {
  pg: Postgres;
  temporal: ServerProcess;
  ui?: ServerProcess;
  ferret: ServerProcess;
  temporalAddress: string;
  mongoUrl: string;
  uiUrl?: string;
  logDir: string;
  /** Reverse start order; PostgreSQL last (pg_ctl stop -m fast). */
  stop(): Promise<void>;
}

/**
 * PostgreSQL → databases and Temporal schemas → Temporal server, UI, FerretDB; resolves when Temporal answers and
 * FerretDB pings. `dir` keeps everything (pg/, temporal/, ui/, ferretdb/, logs/): a second start reuses the data.
 */
export async function startClusterServers(opts: {
  dir: string;
  ports: ClusterPorts;
  namespace: string;
  ui?: boolean;
  tls?: TemporalServerTls;
  log?: (line: string) => void;
}): Promise<ClusterServers> {
  const log = opts.log ?? (() => undefined);
  const logDir = join(opts.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const processes: ServerProcess[] = [];
  log(`PostgreSQL on 127.0.0.1:${opts.ports.postgres} (data ${join(opts.dir, 'pg', 'data')})`);
  const pg = await startPostgres({ dir: join(opts.dir, 'pg'), port: opts.ports.postgres });
  const stop = async () => {
    await stopProcesses(processes);
    await pg.stop();
  };
  try {
    await ensureDatabases(pg, [TEMPORAL_DB, TEMPORAL_VISIBILITY_DB, FERRETDB_DB]);
    log('Temporal schemas (temporal-sql-tool setup-schema / update-schema)');
    await setupTemporalSchemas(pg);
    const temporal = startTemporalServer({
      dir: join(opts.dir, 'temporal'),
      ports: opts.ports,
      pg,
      logDir,
      ...(opts.tls && { tls: opts.tls }),
    });
    processes.push(temporal);
    const ferret = startFerretPostgres({ dir: join(opts.dir, 'ferretdb'), port: opts.ports.mongo, pg, logDir });
    processes.push(ferret);
    const temporalAddress = `127.0.0.1:${opts.ports.temporal}`;
    const mongoUrl = `mongodb://127.0.0.1:${opts.ports.mongo}`;
    log(`Temporal server on ${temporalAddress}, FerretDB on ${mongoUrl} (logs in ${logDir})`);
    await Promise.all([
      opts.tls ? waitForTlsPort(opts.ports.temporal, temporal) : waitForTemporal(temporalAddress, temporal, 120_000),
      waitForMongo(mongoUrl, ferret, 60_000),
    ]);
    let ui: ServerProcess | undefined;
    let uiUrl: string | undefined;
    if (opts.ui !== false) {
      ui = startTemporalUi({
        dir: join(opts.dir, 'ui'),
        ports: opts.ports,
        namespace: opts.namespace,
        logDir,
        ...(opts.tls && { tlsCa: opts.tls.clientCa ?? opts.tls.cert }),
      });
      processes.push(ui);
      uiUrl = `http://127.0.0.1:${opts.ports.ui}`;
      await waitForHttp(uiUrl, { timeoutMs: 30_000, process: ui });
    }
    return {
      pg,
      temporal,
      ferret,
      temporalAddress,
      mongoUrl,
      logDir,
      stop,
      ...(ui && { ui }),
      ...(uiUrl && { uiUrl }),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
