import { describe, expect, it } from 'vitest';
import { createSignalBatcher } from '../../gateway/signal-batcher';
import type { ThredsEvent } from '../../patterns';

const ev = (id: string): ThredsEvent => ({ id, type: 't', source: { id: 's' } }) as ThredsEvent;

function deferredSend() {
  const calls: { thredId: string; ids: string[]; finish: (err?: Error) => void }[] = [];
  const send = (thredId: string, events: ThredsEvent[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ thredId, ids: events.map((e) => e.id), finish: (err) => (err ? reject(err) : resolve()) });
    });
  return { calls, send };
}

describe('signal batcher (group commit per thred)', () => {
  it('signals a lone event at once, and groups the events that arrive while it is in flight, in order', async () => {
    const { calls, send } = deferredSend();
    const b = createSignalBatcher(send);
    const first = b.signal('t1', ev('a'));
    expect(calls.map((c) => c.ids)).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((id) => b.signal('t1', ev(id)));
    const other = b.signal('t2', ev('x')); // another thred is not held up
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['x']]);
    calls[0]!.finish();
    await first;
    await Promise.resolve();
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['x'], ['b', 'c', 'd']]);
    calls[1]!.finish();
    calls[2]!.finish();
    await Promise.all([...rest, other]);
  });

  it('fails exactly the callers whose batch failed, then carries on', async () => {
    const { calls, send } = deferredSend();
    const b = createSignalBatcher(send);
    const a = b.signal('t1', ev('a'));
    const bc = ['b', 'c'].map((id) => b.signal('t1', ev(id)));
    calls[0]!.finish();
    await a;
    await Promise.resolve();
    calls[1]!.finish(new Error('workflow not found'));
    for (const p of bc) await expect(p).rejects.toThrow('workflow not found');
    const d = b.signal('t1', ev('d'));
    expect(calls[2]!.ids).toEqual(['d']);
    calls[2]!.finish();
    await d;
  });

  it('keeps a batch under its size bound (always at least one event)', async () => {
    const { calls, send } = deferredSend();
    const b = createSignalBatcher(send);
    const big = (id: string) =>
      ({ ...ev(id), data: { content: { values: { blob: 'x'.repeat(100_000) } } } }) as ThredsEvent;
    const all = [b.signal('t1', ev('a')), ...['b', 'c', 'd', 'e'].map((id) => b.signal('t1', big(id)))];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 0)); // let the next batch go out
      calls[i]!.finish();
    }
    await Promise.all(all);
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  it("sends each batch under the latest deadline of its own callers, not the first caller's", async () => {
    const seen: { ids: string[]; deadline: number | undefined; finish: () => void }[] = [];
    const b = createSignalBatcher(
      (_thredId, events, deadline) =>
        new Promise<void>((resolve) => seen.push({ ids: events.map((e) => e.id), deadline, finish: resolve })),
    );
    const a = b.signal('t1', ev('a'), 1_000);
    const later = [b.signal('t1', ev('b'), 5_000), b.signal('t1', ev('c'), 3_000)];
    seen[0]!.finish();
    await a;
    await Promise.resolve();
    const none = b.signal('t1', ev('d')); // no deadline: its batch has none either
    seen[1]!.finish();
    await Promise.all(later);
    await Promise.resolve();
    seen[2]!.finish();
    await none;
    expect(seen.map((s) => [s.ids, s.deadline])).toEqual([
      [['a'], 1_000],
      [['b', 'c'], 5_000],
      [['d'], undefined],
    ]);
  });

  it('resolves callers once the after-send step settled, without holding up the next batch', async () => {
    const { calls, send } = deferredSend();
    const recorded: string[][] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const b = createSignalBatcher(send, async (_thredId, events) => {
      recorded.push(events.map((e) => e.id));
      if (recorded.length === 1) await held;
      else throw new Error('store down'); // a failed record does not fail a delivered event
    });
    let aDone = false;
    const a = b.signal('t1', ev('a')).then(() => (aDone = true));
    const bb = b.signal('t1', ev('b'));
    calls[0]!.finish();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['b']]); // sent while a's record is still pending
    expect(aDone).toBe(false);
    calls[1]!.finish();
    await bb;
    release();
    await a;
    expect(recorded).toEqual([['a'], ['b']]);
  });
});
