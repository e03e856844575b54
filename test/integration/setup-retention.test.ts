// `threds setup` sets the Temporal namespace's workflow execution retention from THREDS_RETENTION (README "Storage:
// audit and retention"), through the real CLI against the test's Temporal server: a new namespace gets it, a changed
// value updates it, a value below Temporal's one-day minimum is raised to a day and said so, `0` (keep forever) leaves
// an existing namespace as it is and gives a new one Threds' default (30 d), a malformed value fails naming the
// variable. (The cluster suite runs setup against a real Temporal server too.)
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestServers, type TestServers } from '../helpers/servers';
import { startThreds } from '../helpers/threds-process';

let s: TestServers;
const suffix = randomBytes(3).toString('hex');

beforeAll(async () => {
  s = await connectTestServers('setupret');
});
afterAll(async () => s?.close());

async function setup(namespace: string, retention: string | undefined): Promise<{ code: number | null; out: string }> {
  const p = startThreds('setup', ['setup'], {
    TEMPORAL_NAMESPACE: namespace,
    MONGO_DB: s.dbName,
    THREDS_RETENTION: retention,
    THREDS_JWT_SECRET: 'setup-retention-' + suffix,
  });
  const code = await p.exited;
  return { code, out: p.lines.map((l) => l.text).join('\n') };
}

async function retentionDays(namespace: string): Promise<number> {
  const ns = await s.connection.workflowService.describeNamespace({ namespace });
  return Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86_400;
}

describe('threds setup and THREDS_RETENTION', () => {
  it('creates the namespace with it, updates it, raises it to one day, leaves it for 0', async () => {
    const ns = `threds-ret-${suffix}`;
    const created = await setup(ns, '3d');
    expect(created.code, created.out).toBe(0);
    expect(created.out).toMatch(new RegExp(`namespace ${ns} created \\(retention 3 d\\)`));
    expect(await retentionDays(ns)).toBe(3);

    const changed = await setup(ns, '45d');
    expect(changed.code, changed.out).toBe(0);
    expect(changed.out).toMatch(new RegExp(`namespace ${ns}: retention 3 d → 45 d`));
    expect(await retentionDays(ns)).toBe(45);

    const short = await setup(ns, '2h');
    expect(short.code, short.out).toBe(0);
    expect(short.out).toMatch(/below Temporal's minimum: closed thred histories are kept 1 d/);
    expect(await retentionDays(ns)).toBe(1);

    const forever = await setup(ns, '0');
    expect(forever.code, forever.out).toBe(0);
    expect(forever.out).toMatch(
      new RegExp(`namespace ${ns} exists \\(retention 1 d, left as it is: THREDS_RETENTION=0\\)`),
    );
    expect(await retentionDays(ns)).toBe(1);
  });

  it("gives a new namespace Threds' default for 0; refuses a malformed value", async () => {
    const ns = `threds-ret0-${suffix}`;
    const forever = await setup(ns, '0');
    expect(forever.code, forever.out).toBe(0);
    expect(forever.out).toMatch(new RegExp(`namespace ${ns} created \\(retention 30 d, Threds' default`));
    expect(await retentionDays(ns)).toBe(30);

    const bad = await setup(ns, '30 days');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/THREDS_RETENTION/);
  });
});
