/**
 * bin/commands/simulate.ts and validate.ts through their `run(argv)` entry points (exit codes and output); the
 * dispatcher (bin/threds.ts) through the real entry point `node bin/threds.mjs`: every command's --help/-h, exit codes
 * of usage errors. Servers are configured unreachable, so a command that started anything instead of printing its
 * usage would fail or hang rather than pass.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runThreds, type Ran } from '../helpers/cli';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { run as simulate } from '../../bin/commands/simulate';
import { run as validate } from '../../bin/commands/validate';
import { parseBenchArgs } from '../../bin/commands/bench';
import { parseTokenArgs } from '../../bin/commands/token';
import { parseUserArgs } from '../../bin/commands/user';
import { COMMANDS } from '../../bin/threds.ts'; // .ts: bin/threds.mjs (the entry) would resolve first
import { UsageError } from '../../bin/usage';

const ROOT = join(import.meta.dirname, '..', '..');
const UAV = join(ROOT, 'patterns', 'library', 'uav_detect.json');
const EVENTS = join(ROOT, 'test', 'unit', 'fixtures', 'uav-events.json');

let out: MockInstance;
const printed = (): string => out.mock.calls.map((c) => c.join(' ')).join('\n');

beforeEach(() => {
  out = vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe('threds simulate', () => {
  it('runs uav_detect to send_video and the end (readable trace)', async () => {
    expect(await simulate([UAV, EVENTS])).toBe(0);
    const text = printed();
    expect(text).toContain('started thred; matched lookup_contact → notify_contact [active]');
    expect(text).toContain('agent.call     org.wt.persistence');
    expect(text).toContain('matched notify_contact → send_video [active]');
    expect(text).toContain('message.send   org.wt.tell "Possible UAV Detected" → participant0');
    expect(text).toContain('matched send_video → ∅ [terminated]');
    expect(text).toContain('message.send   org.wt.tell "UAV Video" → participant0');
    expect(text).toContain('thred.end      terminated');
  });

  it('--json prints the trace', async () => {
    expect(await simulate([UAV, EVENTS, '--json'])).toBe(0);
    const trace = JSON.parse(printed()) as {
      steps: { reaction: string | null; started: boolean }[];
      final: { status: string };
    };
    expect(trace.steps.map((s) => s.reaction)).toEqual(['lookup_contact', 'notify_contact', 'send_video']);
    expect(trace.steps[0]?.started).toBe(true);
    expect(trace.final.status).toBe('terminated');
  });

  it('usage error → UsageError (the dispatcher prints the usage, exit 2)', async () => {
    await expect(simulate([UAV])).rejects.toThrow(UsageError);
  });
});

describe('threds validate', () => {
  it('valid pattern → 0', async () => {
    expect(await validate([UAV])).toBe(0);
    expect(printed()).toContain('valid: uav_detect (0 error(s), 0 warning(s))');
  });

  it('invalid pattern → 1 with paths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'threds-validate-'));
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'Bad',
        reactions: [{ condition: { type: 'filter', xpr: 'true', transition: { name: 'nowhere' } } }],
      }),
    );
    expect(await validate([file])).toBe(1);
    expect(printed()).toContain("error   /reactions/0/condition/transition/name: unknown transition target 'nowhere'");
    expect(await validate([file, '--json'])).toBe(1);
  });

  it('missing file → 2', async () => {
    expect(await validate(['/nonexistent/pattern.json'])).toBe(2);
  });
});

const scratch = mkdtempSync(join(tmpdir(), 'threds-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function threds(...args: string[]): Promise<Ran> {
  return runThreds(args, {
    ...process.env,
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    MONGO_URL: 'mongodb://127.0.0.1:1',
    THREDS_DATA_DIR: scratch,
    THREDS_JWT_SECRET: 'x'.repeat(32),
    THREDS_PORT: '1',
  });
}

describe('threds <command> --help (real entry point)', () => {
  it.each(Object.keys(COMMANDS))(
    '%s --help prints its usage and exits 0 without starting anything',
    { timeout: 30_000 },
    async (name) => {
      const ran = await threds(name, '--help');
      expect(ran).toMatchObject({ code: 0, stderr: '' });
      expect(ran.stdout.split('\n')[0]).toBe(`Usage: threds ${COMMANDS[name]!.usage}`);
      expect(ran.stdout).toContain(COMMANDS[name]!.summary);
    },
  );

  it('-h anywhere before `--` is help too, also after other arguments', { timeout: 30_000 }, async () => {
    const ran = await threds('bench', '--duration', '1s', '-h');
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    expect(ran.stdout).toMatch(/^Usage: threds bench /);
  });

  it("test --help is threds' usage with the note on vitest arguments", { timeout: 30_000 }, async () => {
    const ran = await threds('test', '--help');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('Usage: threds test [vitest args…]');
    expect(ran.stdout).toContain('threds test -- --help');
  });

  it('threds help <command>, threds --help: exit 0 on stdout', { timeout: 30_000 }, async () => {
    const topic = await threds('help', 'token');
    expect(topic).toMatchObject({ code: 0, stderr: '' });
    expect(topic.stdout).toMatch(/^Usage: threds token <participantId>/);
    const all = await threds('--help');
    expect(all.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(all.stdout).toContain(`  ${name} `);
  });
});

describe('threds usage errors (real entry point): exit 2, usage on stderr', () => {
  it('no command', { timeout: 30_000 }, async () => {
    const ran = await threds();
    expect(ran).toMatchObject({ code: 2, stdout: '' });
    expect(ran.stderr).toContain('Usage: threds <command>');
  });

  it('unknown command', { timeout: 30_000 }, async () => {
    const ran = await threds('frobnicate');
    expect(ran).toMatchObject({ code: 2, stdout: '' });
    expect(ran.stderr).toContain('unknown command "frobnicate"');
  });

  it.each([
    [['bench', '--duration', 'forever'], '--duration: not a duration: "forever"'],
    [['bench', '--concurrency', '0'], '--concurrency: expected an integer ≥ 1'],
    [['bench', '--warp'], "Unknown option '--warp'"],
    [['worker', 'extra'], 'unexpected argument "extra"'],
    [['simulate', UAV], 'expected <pattern.json> <events.json>'],
    [['validate'], 'expected one <pattern.json>'],
    [['sensor', '--interval', 'often'], '--interval: not a duration: "often"'],
  ])('%j', { timeout: 30_000 }, async (args, why) => {
    const ran = await threds(...args);
    expect(ran).toMatchObject({ code: 2, stdout: '' });
    expect(ran.stderr).toContain(why);
    expect(ran.stderr).toContain(`Usage: threds ${COMMANDS[args[0]!]!.usage}`);
  });
});

describe('argument parsing', () => {
  it('user add: roles split and trimmed; absent roles stay absent (stored ones are kept)', () => {
    expect(parseUserArgs(['add', 'p1', '--password', 'pw'])).toEqual({ participantId: 'p1', password: 'pw' });
    expect(parseUserArgs(['add', 'p1', '--password', 'pw', '--roles', ' a, b,,'])).toEqual({
      participantId: 'p1',
      password: 'pw',
      roles: ['a', 'b'],
    });
    expect(parseUserArgs(['add', 'p1', '--password', 'pw', '--roles', ''])).toMatchObject({ roles: [] });
  });

  it('token: ttl default 1h, units', () => {
    expect(parseTokenArgs(['p1'])).toEqual({ participantId: 'p1', ttlMs: 3_600_000 });
    expect(parseTokenArgs(['p1', '--ttl', '7d', '--roles', 'x'])).toEqual({
      participantId: 'p1',
      ttlMs: 7 * 86_400_000,
      roles: ['x'],
    });
    expect(() => parseTokenArgs(['p1', '--ttl', '-1h'])).toThrow(UsageError);
  });

  it('bench: defaults, and --profile-dir only with --profile', () => {
    expect(parseBenchArgs([])).toEqual({ durationMs: 15_000, concurrency: 8, idleThreds: 10_000, longEvents: 3000 });
    expect(parseBenchArgs(['--duration', '1m', '--idle', '0', '--profile'])).toMatchObject({
      durationMs: 60_000,
      idleThreds: 0,
      profileDir: expect.stringContaining('profiles'),
    });
    expect(() => parseBenchArgs(['--profile-dir', 'x'])).toThrow('--profile-dir needs --profile');
  });
});
