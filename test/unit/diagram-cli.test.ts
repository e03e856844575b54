/**
 * `threds diagram` and `threds cover` through the real entry point (`node bin/threds.mjs`, child processes): output,
 * exit codes, and that the sequences `cover --out` writes run with `threds simulate`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'threds.mjs');
const lib = (f: string) => join(ROOT, 'patterns', 'library', f);
const dir = mkdtempSync(join(tmpdir(), 'threds-cover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function threds(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', MONGO_URL: 'mongodb://127.0.0.1:1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Each case starts the real CLI (node + tsx) one or more times: seconds each on a loaded 2-core machine.
describe('threds diagram', { timeout: 60_000 }, () => {
  it('prints the Mermaid diagram (the committed docs/patterns/*.mmd)', () => {
    const r = threds('diagram', lib('uav_detect.json'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'docs', 'patterns', 'uav_detect.mmd'), 'utf8'));
  });

  it('exit 1 for an invalid pattern, 2 for bad arguments or an unreadable file', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', reactions: [] }));
    const invalid = threds('diagram', bad);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('/reactions');
    expect(threds('diagram').code).toBe(2);
    expect(threds('diagram', join(dir, 'missing.json')).code).toBe(2);
    const usage = threds('diagram', lib('echo.json'), '--nope');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: threds diagram <pattern.json>');
  });
});

describe('threds cover', { timeout: 60_000 }, () => {
  it('prints coverage, writes events.json files that threds simulate runs to the claimed ends', () => {
    const out = join(dir, 'uav');
    const r = threds('cover', lib('uav_detect.json'), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('pattern uav_detect: 5 / 5 transitions covered (100 %)');
    const sequences = readdirSync(out).sort();
    expect(sequences).toEqual(['path-1', 'path-2', 'path-3']);
    for (const name of sequences) {
      const file = join(out, name, 'events.json');
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { covers: string[] };
      const sim = threds('simulate', lib('uav_detect.json'), file, '--json');
      expect(sim.code, sim.stderr).toBe(0);
      const trace = JSON.parse(sim.stdout) as {
        final: { status: string };
        steps: { effects: { type: string; kind?: string; from?: string | null; to?: string | null }[] }[];
      };
      const made = trace.steps.flatMap((s) =>
        s.effects
          .filter((e) => e.type === 'thred.log' && (e.kind === 'matched' || e.kind === 'expired'))
          .map((e) => `${e.from} -> ${e.to ?? '[*]'}`),
      );
      for (const id of doc.covers) expect(made).toContain(id.replace(/ \(.*\)$/, ''));
      expect(trace.final.status).toBe('terminated');
    }
  });

  it('--json prints the report; exit 1 and the reason when a transition cannot be taken', () => {
    const orphan = join(dir, 'orphan.json');
    writeFileSync(
      orphan,
      JSON.stringify({
        name: 'orphan',
        reactions: [
          { name: 'a', condition: { type: 'filter', xpr: "$event.type = 'go'", transition: { name: '$terminate' } } },
          { name: 'island', condition: { type: 'filter', xpr: 'true' } },
        ],
      }),
    );
    const text = threds('cover', orphan);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('1 / 2 transitions covered (50 %)');
    expect(text.stdout).toContain("✗ island -> [*] ($next)  — reaction 'island' is never reached");
    const json = threds('cover', orphan, '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { covered: number; total: number; transitions: { covered: boolean }[] };
    expect([report.covered, report.total]).toEqual([1, 2]);
  });

  it('bad arguments exit 2 with the usage', () => {
    for (const args of [
      [],
      ['--out'],
      [lib('echo.json'), '--out'],
      [lib('echo.json'), '--bogus'],
      ['a.json', 'b.json'],
    ]) {
      const r = threds('cover', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage: threds cover <pattern.json> [--out dir] [--json]');
    }
  });
});
