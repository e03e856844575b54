/** FerretDB with its PostgreSQL handler: the MongoDB wire protocol Threds' store speaks, kept in one database. */
import { mkdirSync } from 'node:fs';
import type { ServerProcess } from '../stack';
import type { Postgres } from './postgres';
import { launch, tool } from './processes';

export const FERRETDB_DB = 'ferretdb';

export function startFerretPostgres(opts: { dir: string; port: number; pg: Postgres; logDir: string }): ServerProcess {
  mkdirSync(opts.dir, { recursive: true });
  return launch(
    'ferretdb',
    tool('ferretdb'),
    [
      '--handler=postgresql',
      `--postgresql-url=${opts.pg.url(FERRETDB_DB)}`,
      `--state-dir=${opts.dir}`,
      `--listen-addr=127.0.0.1:${opts.port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
    ],
    opts.logDir,
  );
}
