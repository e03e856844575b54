/**
 * maxInstances / instanceInterval bookkeeping on the real MongoDB wire server, with two counters on one database
 * standing for two processes (each serializes only its own calls).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstanceCounter } from '../../store/instances';
import { connectTestServers, type TestServers } from '../helpers/servers';

let s: TestServers;
beforeAll(async () => {
  s = await connectTestServers('instances');
});
afterAll(async () => s?.close());

describe('instance limits', () => {
  it('admits at most maxInstances across processes, idempotently per thred, and again after a release', async () => {
    const [a, b] = [createInstanceCounter(s.db), createInstanceCounter(s.db)];
    const ids = Array.from({ length: 6 }, (_, k) => `max_${k}`);
    const admissions = await Promise.all(ids.map((id, k) => (k % 2 ? a : b).admit('max', id, { maxInstances: 2 }, 1)));
    const admitted = ids.filter((_, k) => admissions[k]!.ok);
    expect(admitted).toHaveLength(2);
    expect(await a.admit('max', admitted[0]!, { maxInstances: 2 }, 2)).toEqual({ ok: true, already: true });
    await b.release(admitted[0]!);
    expect(await a.active('max')).toBe(1);
    expect(await a.admit('max', 'max_late', { maxInstances: 2 }, 3)).toEqual({ ok: true, already: false });
  });

  it('measures instanceInterval from the newest start, whichever process made it and however stale its hint', async () => {
    const [a, b] = [createInstanceCounter(s.db), createInstanceCounter(s.db)];
    const spaced = { instanceInterval: 1000 };
    expect(await a.admit('iv', 'iv_1', spaced, 10_000)).toEqual({ ok: true, already: false });
    expect(await b.admit('iv', 'iv_2', spaced, 10_500)).toEqual({
      ok: false,
      reason: 'pattern iv started a thred 500 ms ago (instanceInterval 1000 ms)',
    });
    expect(await b.admit('iv', 'iv_2', spaced, 11_000)).toEqual({ ok: true, already: false });
    // A hint that lags behind the chain (written late by a slower process) is walked past.
    await s.db.collection('pattern_last_start').replaceOne({ _id: 'iv' as never }, { lastStartAt: 10_000, n: 1 });
    expect(await a.admit('iv', 'iv_3', spaced, 11_800)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('800 ms ago'),
    });
    expect(await a.admit('iv', 'iv_3', spaced, 12_000)).toEqual({ ok: true, already: false });
    expect(await s.db.collection('pattern_starts').countDocuments({ patternId: 'iv' })).toBe(3);
  });

  it('honours a last start recorded before the chain existed', async () => {
    await s.db.collection('pattern_last_start').insertOne({ _id: 'old' as never, lastStartAt: 5_000 });
    const c = createInstanceCounter(s.db);
    expect(await c.admit('old', 'old_1', { instanceInterval: 1000 }, 5_400)).toMatchObject({ ok: false });
    expect(await c.admit('old', 'old_1', { instanceInterval: 1000 }, 6_000)).toEqual({ ok: true, already: false });
  });
});
