/**
 * PostgreSQL from the system's packages, run by pg_ctl on a data folder initdb'd under the cluster's directory: no
 * service manager, no collision with a system server, and never as root.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The server binaries (initdb, pg_ctl, psql): THREDS_PG_BINDIR, `pg_config --bindir`, or Debian's newest. */
export async function postgresBinDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidates: string[] = [];
  if (env.THREDS_PG_BINDIR) candidates.push(env.THREDS_PG_BINDIR);
  try {
    candidates.push((await run('pg_config', ['--bindir'])).stdout.trim());
  } catch {
    // no pg_config on PATH: look where Debian puts the server
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  const found = candidates.find((dir) =>
    ['initdb', 'pg_ctl', 'postgres', 'psql'].every((b) => existsSync(join(dir, b))),
  );
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found: run `npm run setup` (installs PostgreSQL when missing) ' +
        'or set THREDS_PG_BINDIR.',
    );
  }
  return found;
}

export interface Postgres {
  port: number;
  user: string;
  password: string;
  /** postgres:// URL of one database. */
  url(db: string): string;
  psql(db: string, sql: string): Promise<string>;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * initdb refuses to run as root, and the server must not: as root, PostgreSQL runs as the `postgres` system user
 * (Debian's package creates it), else `nobody`, through runuser; otherwise as ourselves.
 */
async function runAsPrefix(): Promise<{ prefix: string[]; uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return { prefix: [] };
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number((await run('id', ['-u', user])).stdout.trim());
      const gid = Number((await run('id', ['-g', user])).stdout.trim());
      return { prefix: ['runuser', '-u', user, '--'], uid, gid };
    } catch {
      // try the next user
    }
  }
  throw new Error('running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as');
}

const DB_USER = 'threds';

/** `dir`'s parent folders, up to the root. */
function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dirname(resolve(dir)); ; d = dirname(d)) {
    out.push(d);
    if (dirname(d) === d) return out;
  }
}

/** Starts (initialising on first use) a PostgreSQL server in `<dir>/data` on 127.0.0.1:port, TCP only. */
export async function startPostgres(opts: { dir: string; port: number }): Promise<Postgres> {
  const bin = await postgresBinDir();
  const { prefix, uid, gid } = await runAsPrefix();
  const asUser = (cmd: string, args: string[]) => {
    const argv = [...prefix, join(bin, cmd), ...args];
    return run(argv[0]!, argv.slice(1), { maxBuffer: 16 << 20 });
  };
  mkdirSync(opts.dir, { recursive: true });
  const data = join(opts.dir, 'data');
  const logFile = join(opts.dir, 'postgres.log');
  // The password lives beside the data, readable by us only; the server keeps its scram hash.
  const passwordFile = join(opts.dir, 'password');
  if (uid !== undefined) {
    chmodSync(opts.dir, 0o755);
    chownSync(opts.dir, uid, gid!);
    const blocked = ancestors(opts.dir).find((d) => (statSync(d).mode & 0o001) === 0);
    if (blocked) {
      throw new Error(
        `PostgreSQL runs as ${prefix[2]}, which cannot enter ${blocked} (mode ${(statSync(blocked).mode & 0o777).toString(8)}): chmod o+x it, or use another data folder`,
      );
    }
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    rmSync(data, { recursive: true, force: true });
    const password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
    const pwfile = join(opts.dir, 'initdb-password');
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (uid !== undefined) {
      chownSync(pwfile, uid, gid!);
      chownSync(passwordFile, process.getuid!(), process.getgid!());
    }
    try {
      await asUser('initdb', [
        '-D',
        data,
        '-U',
        DB_USER,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-instructions',
      ]);
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`initdb failed in ${data}: ${e.stderr || e.message}`);
    } finally {
      rmSync(pwfile, { force: true });
    }
    // TCP on loopback only: no socket directory to own, no collision with a system server's socket.
    writeFileSync(
      join(data, 'postgresql.conf'),
      [
        readFileSync(join(data, 'postgresql.conf'), 'utf8'),
        '# threds cluster',
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        // Temporal opens a pool per service (4 services × store + visibility) and FerretDB its own.
        'max_connections = 300',
        'shared_buffers = 128MB',
        '',
      ].join('\n'),
    );
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  // A server left running by a killed `threds cluster` holds the pid file: stop it, then start ours.
  const status = await asUser('pg_ctl', ['-D', data, 'status']).then(
    () => true,
    () => false,
  );
  if (status) await asUser('pg_ctl', ['-D', data, 'stop', '-m', 'fast', '-w']);
  try {
    await asUser('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', `-p ${opts.port}`, 'start']);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
    throw new Error(`PostgreSQL did not start (port ${opts.port}): ${e.stderr || e.message}\n${tail}`);
  }
  const psql = async (db: string, sql: string) =>
    (
      await run(
        join(bin, 'psql'),
        ['-h', '127.0.0.1', '-p', String(opts.port), '-U', DB_USER, '-d', db, '-v', 'ON_ERROR_STOP=1', '-tAc', sql],
        {
          env: { ...process.env, PGPASSWORD: password },
        },
      )
    ).stdout.trim();
  return {
    port: opts.port,
    user: DB_USER,
    password,
    url: (db) => `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${db}`,
    psql,
    logFile,
    async stop() {
      await asUser('pg_ctl', ['-D', data, 'stop', '-m', 'fast', '-w']).catch(() => undefined);
    },
  };
}

export async function ensureDatabases(pg: Postgres, names: string[]): Promise<void> {
  for (const name of names) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    const exists = await pg.psql('postgres', `SELECT 1 FROM pg_database WHERE datname = '${name}'`);
    if (exists !== '1') await pg.psql('postgres', `CREATE DATABASE ${name}`);
  }
}
