/**
 * The ops CLI (`threds threds …`, `threds patterns …`, `threds dead-letters …`) through its real entry point
 * (`node bin/threds.mjs` as a child process) against a listening gateway on the real engine: tables and --json,
 * single-thred ops and batches, token and login auth, the server's errors (exit 1) and usage errors (exit 2).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runThreds, type Ran } from '../helpers/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';

const holdPattern = (id: string, type: string) => ({
  id,
  name: id,
  reactions: [
    {
      name: 'holding',
      condition: { type: 'filter', xpr: `$event.type = '${type}'`, transition: { name: '$noTransition' } },
    },
    { name: 'released', condition: { type: 'filter', xpr: 'true' } },
  ],
});

let g: GatewayEngine;
let gw: Gateway;
let adminToken: string;
const dir = mkdtempSync(join(tmpdir(), 'threds-ops-cli-'));

beforeAll(async () => {
  g = await startGatewayEngine('opscli', {
    patterns: [holdPattern('oc_hold', 'oc.hold'), holdPattern('oc_bulk', 'oc.bulk')],
  });
  gw = await g.gateway();
  adminToken = g.token('ops', ['admin']);
  await g.addParticipant('oc_admin', 'oc-admin-pw', ['admin']);
});
afterAll(async () => g?.close());

function threds(args: string[], env: Record<string, string | undefined> = {}): Promise<Ran> {
  return runThreds(args, {
    ...process.env,
    THREDS_URL: gw.url,
    THREDS_TOKEN: adminToken,
    THREDS_PASSWORD: undefined,
    ...env,
  });
}

async function start(type: string): Promise<string> {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    payload: { type, source: { id: 'x' } },
    headers: g.bearer('sensor0'),
  });
  expect(res.statusCode).toBe(202);
  const id = res.json().results[0].started[0] as string;
  await waitFor(async () => (await g.e.store.threds.get(id))?.reaction === 'holding', `${id} in the read model`);
  return id;
}

const readModel = async (id: string) => g.e.store.threds.get(id);

describe('threds threds', () => {
  it('list (table and --json, filtered by pattern and reaction) and show', async () => {
    const a = await start('oc.hold');
    const b = await start('oc.hold');

    const json = await threds(['threds', 'list', '--pattern', 'oc_hold', '--reaction', 'holding', '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const ids = (JSON.parse(json.stdout) as { threds: { thredId: string }[] }).threds.map((t) => t.thredId);
    expect(ids).toEqual(expect.arrayContaining([a, b]));

    const human = await threds(['threds', 'list', '--pattern', 'oc_hold']);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^THRED\s+PATTERN\s+STATUS\s+REACTION\s+UPDATED$/);
    expect(lines.find((l) => l.startsWith(a))).toMatch(new RegExp(`^${a}\\s+oc_hold\\s+active\\s+holding\\s+\\d{4}-`));

    const none = await threds(['threds', 'list', '--pattern', 'oc_hold', '--reaction', 'nowhere']);
    expect(none).toMatchObject({ code: 0, stdout: 'no threds\n' });

    const shown = await threds(['threds', 'show', a]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^thred\\s+${a}$`, 'm'));
    expect(shown.stdout).toMatch(/^status\s+active$/m);
    expect(shown.stdout).toMatch(/^reaction\s+holding$/m);
    expect(JSON.parse((await threds(['threds', 'show', a, '--json'])).stdout)).toMatchObject({
      thredId: a,
      patternId: 'oc_hold',
    });

    const missing = await threds(['threds', 'show', 'oc_no_such_thred']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('404 THREDS_ERR_THRED_NOT_FOUND: thred oc_no_such_thred does not exist');
  });

  it('transition, reset and terminate by id; a failed id exits 1 after the others were done', async () => {
    const a = await start('oc.hold');
    const b = await start('oc.hold');
    const moved = await threds(['threds', 'transition', a, b, '--to', 'released']);
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(moved.stdout).toBe(`${a}: active released\n${b}: active released\n`);
    expect((await readModel(a))?.reaction).toBe('released');

    const reset = await threds(['threds', 'reset', a, '--to', 'first', '--reapply-exclude', 'updates', '--json']);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({
      results: [{ thredId: a, runId: expect.any(String), resetEventId: expect.any(Number) }],
    });
    expect((await readModel(a))?.reaction).toBe('holding');

    const ended = await threds(['threds', 'terminate', a, 'oc_no_such_thred', '--reason', 'ops test']);
    expect(ended.code).toBe(1);
    expect(ended.stdout).toBe(`${a}: terminated\n`);
    expect(ended.stderr).toContain(
      'oc_no_such_thred: POST /threds/oc_no_such_thred/terminate: 404 THREDS_ERR_THRED_NOT_FOUND',
    );
    expect((await readModel(a))?.status).toBe('terminated');
  });

  it('a batch by filter: --dry-run counts, --wait follows it to the end; batch <id> shows progress', async () => {
    const targets = [await start('oc.bulk'), await start('oc.bulk')];
    const dry = await waitFor(async () => {
      const r = await threds([
        'threds',
        'terminate',
        '--pattern',
        'oc_bulk',
        '--reaction',
        'holding',
        '--dry-run',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const body = JSON.parse(r.stdout) as { count: number; thredIds: string[] };
      return body.count === 2 ? body : undefined;
    }, 'the threds to be visible');
    expect([...dry.thredIds].sort()).toEqual([...targets].sort());
    const human = await threds(['threds', 'transition', '--pattern', 'oc_bulk', '--to', 'released', '--dry-run']);
    expect(human.stdout.split('\n')[0]).toBe('2 thred(s) would be transitioned');

    const moved = await threds([
      'threds',
      'transition',
      '--query',
      "ThredPattern='oc_bulk'",
      '--to',
      'released',
      '--wait',
    ]);
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/^batch \S+: transition completed, 2 done, 0 failed of 2\n$/);
    for (const id of targets) expect((await readModel(id))?.reaction).toBe('released');

    const started = await threds(['threds', 'terminate', '--pattern', 'oc_bulk', '--json']);
    expect(started.code).toBe(0);
    const { batchId } = JSON.parse(started.stdout) as { batchId: string };
    const progress = await threds(['threds', 'batch', batchId, '--wait']);
    expect(progress.code).toBe(0);
    expect(progress.stdout).toBe(`batch ${batchId}: terminate completed, 2 done, 0 failed of 2\n`);
    for (const id of targets)
      await waitFor(async () => (await readModel(id))?.status === 'terminated', `${id} terminated`);

    // A batch whose threds fail exits 1 with each failure listed.
    const c = await start('oc.bulk');
    await waitFor(
      async () =>
        JSON.parse(
          (await threds(['threds', 'transition', '--pattern', 'oc_bulk', '--to', 'x', '--dry-run', '--json'])).stdout,
        ).count === 1,
      'visible',
    );
    const wrong = await threds(['threds', 'transition', '--pattern', 'oc_bulk', '--to', 'nowhere', '--wait']);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('1 failed of 1');
    expect(wrong.stdout).toContain(`  ${c}: invalid body: /transition/name pattern oc_bulk has no reaction "nowhere"`);
    // Following that batch again says the same, with the same exit code (the help's "exit 1 if any thred failed").
    const failedId = /^batch (\S+):/m.exec(wrong.stdout)![1]!;
    const again = await threds(['threds', 'batch', failedId, '--wait']);
    expect(again.stdout).toContain('1 failed of 1');
    expect(again.code).toBe(1);
  });
});

describe('threds patterns', () => {
  it('put, list, get (--version), validate (exit 1 when invalid), versions', async () => {
    const file = join(dir, 'oc_new.json');
    writeFileSync(file, JSON.stringify(holdPattern('oc_new', 'oc.new')));
    const put = await threds(['patterns', 'put', file]);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(put.stdout).toBe(
      "stored pattern oc_new as version 1 (1 warning(s))\n  warning /reactions/1: reaction 'released' is unreachable from the initial reaction\n",
    );

    const listed = await threds(['patterns', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+REACTIONS\s+ACTIVE$/);
    expect(listed.stdout).toMatch(/^oc_new\s+oc_new\s+2\s+yes$/m);
    expect(
      (
        JSON.parse((await threds(['patterns', 'list', '--json'])).stdout) as { patterns: { id: string }[] }
      ).patterns.map((p) => p.id),
    ).toContain('oc_new');

    const got = await threds(['patterns', 'get', 'oc_new']);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      id: 'oc_new',
      reactions: [{ name: 'holding' }, { name: 'released' }],
    });

    const valid = await threds(['patterns', 'validate', file]);
    expect(valid.code).toBe(0);
    expect(valid.stdout.split('\n')[0]).toBe('valid: oc_new (0 error(s), 1 warning(s))');
    const badFile = join(dir, 'bad.json');
    writeFileSync(
      badFile,
      JSON.stringify({
        id: 'oc_bad',
        reactions: [{ name: 'r', condition: { type: 'filter', xpr: '$event.type = ' } }],
      }),
    );
    const invalid = await threds(['patterns', 'validate', badFile]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(/^INVALID: oc_bad \([1-9]\d* error\(s\)/);
    const refused = await threds(['patterns', 'put', badFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('PUT /patterns/oc_bad: 400 THREDS_ERR_PATTERN_INVALID');

    const missing = await threds(['patterns', 'get', 'oc_missing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'threds: GET /patterns/oc_missing: 404 THREDS_ERR_PATTERN_NOT_FOUND: pattern oc_missing does not exist\n',
    );

    const again = await threds(['patterns', 'put', file]);
    expect(again.stdout.split('\n')[0]).toBe('stored pattern oc_new as version 2 (1 warning(s))');
    const versions = await threds(['patterns', 'versions', 'oc_new']);
    expect(versions.code).toBe(0);
    const rows = versions.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^VERSION\s+CREATED\s+ACTIVE\s+CURRENT$/);
    expect(rows[1]).toMatch(/^1\s+\d{4}-\d\d-\d\dT\S+Z\s+yes\s*$/);
    expect(rows[2]).toMatch(/^2\s+\S+\s+yes\s+yes$/);
    const first = await threds(['patterns', 'get', 'oc_new', '--version', '1']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ id: 'oc_new', version: 1 });
    const noVersion = await threds(['patterns', 'get', 'oc_new', '--version', '5']);
    expect(noVersion.code).toBe(1);
    expect(noVersion.stderr).toBe(
      'threds: GET /patterns/oc_new?version=5: 404 THREDS_ERR_PATTERN_NOT_FOUND: pattern oc_new has no version 5\n',
    );
    const badVersion = await threds(['patterns', 'get', 'oc_new', '--version', 'x']);
    expect(badVersion.code).toBe(2);
  });
});

describe('threds dead-letters', () => {
  it('list (empty), retry/delete of an unknown id exit 1 with the 404', async () => {
    const listed = await threds(['dead-letters', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ deadLetters: [] });
    expect(await threds(['dead-letters', 'list'])).toMatchObject({ code: 0, stdout: 'no dead letters\n' });
    for (const sub of ['retry', 'delete']) {
      const r = await threds(['dead-letters', sub, 'dl_missing']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('404 THREDS_ERR_NOT_FOUND: dead letter dl_missing does not exist');
    }
  });
});

describe('auth, errors and usage', () => {
  it('logs in with --user/--password; a wrong password, no credentials, a non-admin token, no gateway', async () => {
    const viaLogin = await threds(['patterns', 'list', '--user', 'oc_admin', '--password', 'oc-admin-pw'], {
      THREDS_TOKEN: undefined,
    });
    expect(viaLogin.stderr).toBe('');
    expect(viaLogin.code).toBe(0);
    const viaEnv = await threds(['patterns', 'list', '--user', 'oc_admin'], {
      THREDS_TOKEN: undefined,
      THREDS_PASSWORD: 'oc-admin-pw',
    });
    expect(viaEnv.code).toBe(0);

    const wrong = await threds(['patterns', 'list', '--user', 'oc_admin', '--password', 'nope'], {
      THREDS_TOKEN: undefined,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('POST /login: 401 THREDS_ERR_INVALID_LOGIN');

    const none = await threds(['patterns', 'list'], { THREDS_TOKEN: undefined });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no credentials');

    const notAdmin = await threds(['threds', 'terminate', 'x'], { THREDS_TOKEN: g.token('sensor0') });
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain('403 THREDS_ERR_FORBIDDEN');
    const jsonErr = await threds(['patterns', 'get', 'oc_missing', '--json']);
    expect(jsonErr.code).toBe(1);
    expect(JSON.parse(jsonErr.stderr)).toMatchObject({ statusCode: 404, code: 'THREDS_ERR_PATTERN_NOT_FOUND' });

    const down = await threds(['threds', 'list', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the gateway at http://127.0.0.1:1');
  });

  it.each([
    [['threds'], 'missing subcommand'],
    [['threds', 'explode'], 'unknown subcommand "explode"'],
    [['threds', 'list', '--bogus'], "Unknown option '--bogus'"],
    [['threds', 'list', '--status', 'sleeping'], '--status: must be one of active, finished, terminated'],
    [['threds', 'show'], 'missing <thredId>'],
    [['threds', 'terminate'], 'missing <thredId…>'],
    [['threds', 'terminate', 'a', '--pattern', 'p'], 'not both'],
    [['threds', 'transition', 'a'], 'transition needs --to <reaction>'],
    [['threds', 'reset', 'a', '--to', 'middle'], '--to: must be last, first or a workflow task event id'],
    [['threds', 'terminate', 'a', '--to', 'x'], '--to does not apply to "terminate"'],
    [['threds', 'terminate', 'a', '--wait'], '--dry-run and --wait are for --query or filter selections'],
    [['patterns', 'put', '/no/such/file.json'], 'cannot read /no/such/file.json'],
    [['dead-letters', 'retry'], 'missing <deadLetterId>'],
  ])('%j → exit 2: %s', async (args, message) => {
    const r = await threds(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(`Usage: threds ${args[0]}`);
  });

  it('--help prints the usage with the exit codes (exit 0)', async () => {
    const r = await threds(['threds', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: threds threds list');
    expect(r.stdout).toContain('Exit codes: 0 done, 1 the gateway refused or failed');
  });
});
