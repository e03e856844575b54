/** FerretDB with its PostgreSQL handler: the MongoDB wire protocol Threds' store speaks, kept in one database. */
import { mkdirSync } from 'node:fs';
import { ferretdbArgs, type ServerProcess } from '../stack';
import type { Postgres } from './postgres';
import { launch, tool } from './processes';

export const FERRETDB_DB = 'ferretdb';

export function startFerretPostgres(opts: { dir: string; port: number; pg: Postgres; logDir: string }): ServerProcess {
  mkdirSync(opts.dir, { recursive: true });
  return launch(
    'ferretdb',
    tool('ferretdb'),
    ['--handler=postgresql', `--postgresql-url=${opts.pg.url(FERRETDB_DB)}`, ...ferretdbArgs(opts.dir, opts.port)],
    opts.logDir,
  );
}
