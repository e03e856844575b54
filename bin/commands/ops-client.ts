/**
 * What the ops commands (`threds threds …`, `threds dead-letters …`, `threds patterns …`) share: they act only
 * through the gateway's HTTP API — never the store or Temporal directly — so they need nothing but a URL and a
 * token, work against any deployment, and get the same role checks and validation as every other client.
 *
 * Connection: `--url` or THREDS_URL (default http://localhost:3000). Auth: `--token` or THREDS_TOKEN, else
 * `--user <id>` with `--password` or THREDS_PASSWORD (POST /login). Output: human tables by default, `--json` prints
 * the server's JSON. Exit codes: 0 done, 1 the gateway refused or failed (its error on stderr; unreachable too),
 * 2 bad arguments.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../usage';

export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/** A failure the gateway reported (or could not be reached): printed to stderr, exit 1. */
export class ServerError extends Error {
  override name = 'ServerError';
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

interface ErrorBody {
  statusCode?: number;
  code?: string;
  message?: string;
  details?: { path: string; reason: string }[];
}

export function parse<O extends ParseArgsConfig['options']>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...CONNECTION_OPTIONS, ...options },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface Connection {
  url?: string | undefined;
  token?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

export interface Api {
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** An API client for the connection options; logs in first when only a user is given. */
export async function connect(opts: Connection): Promise<Api> {
  const base = (opts.url ?? process.env.THREDS_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) throw new UsageError(`--url: not an http(s) URL: "${base}"`);
  let token = opts.token ?? (opts.user === undefined ? process.env.THREDS_TOKEN : undefined);
  const password = opts.password ?? process.env.THREDS_PASSWORD;
  if (opts.password !== undefined && opts.user === undefined) throw new UsageError('--password needs --user');

  async function request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: {
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...(auth && token && { authorization: `Bearer ${token}` }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ServerError(
        `cannot reach the gateway at ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as ErrorBody;
      const head = `${method} ${path}: ${res.status} ${e.code ?? res.statusText}${e.message ? `: ${e.message}` : ''}`;
      const details = (e.details ?? []).map((d) => `\n  ${d.path} ${d.reason}`).join('');
      throw new ServerError(head + details, res.status, parsed);
    }
    return parsed as T;
  }

  if (opts.user !== undefined) {
    if (password === undefined) throw new UsageError('--user needs --password (or THREDS_PASSWORD)');
    const tokens = await request<{ accessToken: string }>(
      'POST',
      '/login',
      { participantId: opts.user, password },
      false,
    );
    token = tokens.accessToken;
  }
  if (!token) throw new UsageError('no credentials: set THREDS_TOKEN, or give --token, or --user with --password');
  return { request: (method, path, body) => request(method, path, body) };
}

/** Runs an ops command body: a ServerError becomes its message on stderr and exit 1. */
export async function guarded(json: boolean | undefined, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof ServerError)) throw err;
    if (json && err.body !== undefined) console.error(JSON.stringify(err.body));
    else console.error(`threds: ${err.message}`);
    return 1;
  }
}

/** A plain table: a header row and columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n');
}

export const printJson = (value: unknown) => console.log(JSON.stringify(value, null, 2));

export const time = (ms: number | undefined) =>
  ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** The subcommand and its arguments; unknown or missing subcommands are usage errors. */
export function subcommand(positionals: string[], known: readonly string[]): [string, string[]] {
  const [sub, ...rest] = positionals;
  if (sub === undefined) throw new UsageError(`missing subcommand (${known.join(', ')})`);
  if (!known.includes(sub)) throw new UsageError(`unknown subcommand "${sub}" (${known.join(', ')})`);
  return [sub, rest];
}

export function noMore(rest: string[]): void {
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
}

export function one(rest: string[], what: string): string {
  const [first, ...more] = rest;
  if (first === undefined) throw new UsageError(`missing ${what}`);
  noMore(more);
  return first;
}

export const enc = encodeURIComponent;
