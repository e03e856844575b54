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
});
