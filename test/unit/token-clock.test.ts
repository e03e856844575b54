// TokenClock (gateway/session-hub.ts): the per-session access-token deadline behind the WebSocket 4401 at expiry.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenClock } from '../../gateway/session-hub';

const WARN = 60_000;
let events: string[];
let clock: TokenClock;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  events = [];
  clock = new TokenClock(() => Date.now(), WARN, {
    warn: (at) => events.push(`warn:${at}`),
    expire: () => events.push(`expire@${Date.now()}`),
  });
});
afterEach(() => {
  clock.disarm();
  vi.useRealTimers();
});

describe('TokenClock', () => {
  it('warns once warnMs before the expiry and expires at it', () => {
    const at = Date.now() + 5 * 60_000;
    clock.arm(at);
    vi.advanceTimersByTime(4 * 60_000 - 1);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual([`warn:${at}`]);
    vi.advanceTimersByTime(WARN - 1);
    expect(events).toEqual([`warn:${at}`]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual([`warn:${at}`, `expire@${at}`]);
    expect(clock.armed).toBe(false);
  });

  it('warns at once when less than warnMs is left', () => {
    const at = Date.now() + 2_000;
    clock.arm(at);
    expect(events).toEqual([`warn:${at}`]);
    vi.advanceTimersByTime(2_000);
    expect(events).toEqual([`warn:${at}`, `expire@${at}`]);
  });

  it('expires at once for a token already past its expiry', () => {
    clock.arm(Date.now() - 1);
    expect(events).toEqual([`expire@${Date.now()}`]);
  });

  it('re-arming (a refresh) moves the expiry and warns again for the new token', () => {
    const first = Date.now() + 30_000;
    clock.arm(first);
    const second = Date.now() + 10 * 60_000;
    vi.advanceTimersByTime(20_000);
    clock.arm(second);
    vi.advanceTimersByTime(30_000); // past the first expiry
    expect(events).toEqual([`warn:${first}`]);
    vi.advanceTimersByTime(second - Date.now());
    expect(events).toEqual([`warn:${first}`, `warn:${second}`, `expire@${second}`]);
  });

  it('outlasts setTimeout range for long-lived tokens instead of firing early', () => {
    const at = Date.now() + 60 * 86_400_000; // 60 days: beyond 2^31 - 1 ms
    clock.arm(at);
    vi.advanceTimersByTime(59 * 86_400_000);
    expect(events).toEqual([]);
    expect(clock.armed).toBe(true);
    vi.advanceTimersByTime(86_400_000);
    expect(events).toEqual([`warn:${at}`, `expire@${at}`]);
  });

  it('disarm leaves no timer and nothing fires', () => {
    clock.arm(Date.now() + 5 * 60_000);
    expect(vi.getTimerCount()).toBe(1);
    clock.disarm();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * 60_000);
    expect(events).toEqual([]);
  });

  it('a token without expiry arms nothing', () => {
    clock.arm(undefined);
    expect(clock.armed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
