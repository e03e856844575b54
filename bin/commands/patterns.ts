/**
 * `threds patterns list|get <id> [--version N]|put <file>|validate <file>|versions <id>` — pattern administration through the
 * gateway's HTTP API (bin/commands/ops-client.ts: connection, auth, output, exit codes). `validate` asks the gateway
 * (the same report as `threds validate`, which works offline); exit 1 when the pattern is invalid.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../usage';
import { connect, enc, guarded, noMore, one, parse, printJson, subcommand, table } from './ops-client';

const SUBCOMMANDS = ['list', 'get', 'put', 'validate', 'versions'] as const;

interface Report {
  valid: boolean;
  errors: { path: string; reason: string }[];
  warnings: { path: string; reason: string }[];
}

async function readPattern(file: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`${file}: not a JSON object`);
  return parsed as Record<string, unknown>;
}

const printItems = (r: Pick<Report, 'errors' | 'warnings'>) => {
  for (const e of r.errors) console.log(`  error   ${e.path}: ${e.reason}`);
  for (const w of r.warnings) console.log(`  warning ${w.path}: ${w.reason}`);
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { id: { type: 'string' }, version: { type: 'string' } });
  const [sub, rest] = subcommand(positionals, SUBCOMMANDS);
  const conn = { url: values.url, token: values.token, user: values.user, password: values.password };
  if (sub !== 'put' && values.id !== undefined) throw new UsageError(`--id does not apply to "${sub}"`);
  if (sub !== 'get' && values.version !== undefined) throw new UsageError(`--version does not apply to "${sub}"`);
  if (values.version !== undefined && !/^[1-9]\d*$/.test(values.version))
    throw new UsageError(`--version must be a version number (1, 2, …), not "${values.version}"`);
  switch (sub) {
    case 'list':
      noMore(rest);
      return guarded(values.json, async () => {
        const body = await (
          await connect(conn)
        ).request<{ patterns: { id: string; name?: string; reactions?: unknown[]; meta?: { active?: boolean } }[] }>(
          'GET',
          '/patterns',
        );
        if (values.json) printJson(body);
        else if (body.patterns.length === 0) console.log('no patterns');
        else {
          console.log(
            table(
              ['ID', 'NAME', 'REACTIONS', 'ACTIVE'],
              body.patterns.map((p) => [
                p.id,
                p.name,
                p.reactions?.length ?? 0,
                p.meta?.active === false ? 'no' : 'yes',
              ]),
            ),
          );
        }
        return 0;
      });
    case 'get': {
      const id = one(rest, '<patternId>');
      // A pattern is JSON either way (what `put` takes back).
      return guarded(values.json, async () => {
        const query = values.version === undefined ? '' : `?version=${values.version}`;
        printJson(await (await connect(conn)).request('GET', `/patterns/${enc(id)}${query}`));
        return 0;
      });
    }
    case 'versions': {
      const id = one(rest, '<patternId>');
      return guarded(values.json, async () => {
        const body = await (
          await connect(conn)
        ).request<{ current: number | null; versions: { version: number; createdAt: number; active: boolean }[] }>(
          'GET',
          `/patterns/${enc(id)}/versions`,
        );
        if (values.json) printJson(body);
        else
          console.log(
            table(
              ['VERSION', 'CREATED', 'ACTIVE', 'CURRENT'],
              body.versions.map((v) => [
                v.version,
                new Date(v.createdAt).toISOString(),
                v.active ? 'yes' : 'no',
                v.version === body.current ? 'yes' : '',
              ]),
            ),
          );
        return 0;
      });
    }
    case 'put': {
      const file = one(rest, '<pattern.json>');
      const pattern = await readPattern(file);
      const id = values.id ?? (typeof pattern.id === 'string' ? pattern.id : undefined);
      if (id === undefined) throw new UsageError(`${file} has no "id": give --id`);
      return guarded(values.json, async () => {
        const r = await (
          await connect(conn)
        ).request<{ pattern: { id: string; version: number }; warnings: Report['warnings'] }>(
          'PUT',
          `/patterns/${enc(id)}`,
          pattern,
        );
        if (values.json) printJson(r);
        else {
          console.log(
            `stored pattern ${r.pattern.id} as version ${r.pattern.version} (${r.warnings.length} warning(s))`,
          );
          printItems({ errors: [], warnings: r.warnings });
        }
        return 0;
      });
    }
    default: {
      // validate
      const file = one(rest, '<pattern.json>');
      const pattern = await readPattern(file);
      return guarded(values.json, async () => {
        const r = await (await connect(conn)).request<Report>('POST', '/patterns/validate', pattern);
        if (values.json) printJson(r);
        else {
          console.log(
            `${r.valid ? 'valid' : 'INVALID'}: ${String(pattern.id ?? pattern.name ?? file)} (${r.errors.length} error(s), ${r.warnings.length} warning(s))`,
          );
          printItems(r);
        }
        return r.valid ? 0 : 1;
      });
    }
  }
}
