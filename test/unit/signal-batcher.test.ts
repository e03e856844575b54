import { describe, expect, it } from 'vitest';
import { createSignalBatcher } from '../../gateway/signal-batcher';
import { CLOSING_HOLD_MS, closingHold } from '../../gateway/routing/bound';
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

describe('signal batcher holds', () => {
  it('holds a thred’s next signal while its newest event asks, lifts it when a newer one does not, never near the deadline', async () => {
    const { calls, send } = deferredSend();
    let t = 1_000;
    const b = createSignalBatcher(send, undefined, () => t);
    const held = b.signal('t1', ev('a'), undefined, 1_500);
    const other = b.signal('t2', ev('x')); // other threds are not held
    await new Promise((r) => setTimeout(r, 120));
    expect(calls.map((c) => c.ids)).toEqual([['x']]);
    t = 1_600; // past the hold
    await new Promise((r) => setTimeout(r, 120));
    expect(calls.map((c) => c.ids)).toEqual([['x'], ['a']]);
    calls.forEach((c) => c.finish());
    await Promise.all([held, other]);

    // A later event routed on a fresher read (no hold) lifts the hold of the events before it.
    const first = b.signal('t3', ev('b'), undefined, 99_999);
    await new Promise((r) => setTimeout(r, 80));
    expect(calls).toHaveLength(2);
    const second = b.signal('t3', ev('c'));
    await new Promise((r) => setTimeout(r, 120));
    expect(calls.map((c) => c.ids)[2]).toEqual(['b', 'c']);
    calls[2]!.finish();
    await Promise.all([first, second]);

    // A hold never runs a batch into its deadline.
    const late = b.signal('t4', ev('d'), t + 900, 99_999);
    await new Promise((r) => setTimeout(r, 120));
    expect(calls.map((c) => c.ids)[3]).toEqual(['d']);
    calls[3]!.finish();
    await late;
  });
});

describe('closingHold (the router holds a closing thred’s signals)', () => {
  it('holds for CLOSING_HOLD_MS from the mark, from the gateway’s clock when that is behind, and not for a stale mark', () => {
    expect(closingHold(undefined, 10_000)).toBeUndefined();
    expect(closingHold(10_000, 10_500)).toBe(10_000 + CLOSING_HOLD_MS);
    expect(closingHold(50_000, 10_000)).toBe(10_000 + CLOSING_HOLD_MS); // the workflow's clock is ahead
    expect(closingHold(10_000, 10_000 + CLOSING_HOLD_MS)).toBeUndefined();
  });
});
