/**
 * bin/commands/simulate.ts and validate.ts through their `run(argv)` entry points (exit codes and output).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { run as simulate } from '../../bin/commands/simulate';
import { run as validate } from '../../bin/commands/validate';

const ROOT = join(import.meta.dirname, '..', '..');
const UAV = join(ROOT, 'patterns', 'library', 'uav_detect.json');
const EVENTS = join(ROOT, 'test', 'unit', 'fixtures', 'uav-events.json');

let out: MockInstance;
let err: MockInstance;
const printed = (): string => out.mock.calls.map((c) => c.join(' ')).join('\n');

beforeEach(() => {
  out = vi.spyOn(console, 'log').mockImplementation(() => {});
  err = vi.spyOn(console, 'error').mockImplementation(() => {});
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

  it('usage error → 2', async () => {
    expect(await simulate([UAV])).toBe(2);
    expect(err).toHaveBeenCalled();
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
