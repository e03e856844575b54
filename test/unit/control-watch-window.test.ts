/**
 * The watchThreds poll window (gateway/control/watch.ts): each poll reads the threds changed since the previous poll
 * (less the overlap), widened only for a watch this gateway has not polled for yet — a long-lived watch must not pin
 * the window at its start (every poll would re-read everything changed since then, and the read is capped).
 */
import { describe, expect, it } from 'vitest';
import { createWatcher } from '../../gateway/control/watch';
import type { Store, ThredRecord, WatchRecord } from '../../store';
import type { SessionHub } from '../../gateway/session-hub';

function setup() {
  let t = 0;
  const watches: WatchRecord[] = [];
  const asked: number[] = [];
  const store = {
    watches: { sweep: async () => 0, live: async () => watches },
    threds: {
      changedSince: async (since: number) => {
        asked.push(since);
        return [] as ThredRecord[];
      },
    },
  } as unknown as Store;
  const hub = {
    all: () => [{}],
    sessionsOf: () => [{}],
    deliver: () => true,
  } as unknown as SessionHub;
  const watcher = createWatcher({
    store,
    hub,
    now: () => t,
    pollMs: 1000,
    overlapMs: 5000,
    push: () => ({}) as never,
    log: { warn: () => undefined },
  });
  const watch = (participantId: string, startedAt: number) =>
    watches.push({ participantId, startedAt } as unknown as WatchRecord);
  return { watcher, watch, asked, at: (ms: number) => (t = ms) };
}

describe('watchThreds poll window', () => {
  it('follows the polls, not the oldest watch; a new watch widens it once to its start', async () => {
    const { watcher, watch, asked, at } = setup();
    watch('ops', 1_000);
    at(2_000);
    await watcher.tick(); // first poll for this watch: from its start
    expect(asked.at(-1)).toBe(1_000 - 5_000);
    at(600_000);
    await watcher.tick();
    at(601_000);
    await watcher.tick(); // ten minutes on: the previous poll bounds it
    expect(asked.at(-1)).toBe(600_000 - 5_000);

    watch('ops2', 600_500); // started between two polls
    at(602_000);
    await watcher.tick();
    expect(asked.at(-1)).toBe(600_500 - 5_000);
    at(603_000);
    await watcher.tick();
    expect(asked.at(-1)).toBe(602_000 - 5_000);
  });
});
