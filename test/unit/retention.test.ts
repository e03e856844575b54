// The retention planner (store/retention.ts): which records one round of a sweep removes, as a table.
import { describe, expect, it } from 'vitest';
import { planSweep, retentionCutoff } from '../../store/retention';
import { retentionSettings } from '../../bin/settings';

describe('retentionCutoff', () => {
  it('is the retention before now; 0 keeps everything', () => {
    expect(retentionCutoff(10_000, 3_000)).toBe(7_000);
    expect(retentionCutoff(10_000, 0)).toBeNull();
  });
});

describe('planSweep', () => {
  const cases: {
    what: string;
    expired: string[];
    routed: { id: string; thredIds: string[] }[];
    recorded: string[];
    deleteEvents: string[];
    relink: { id: string; thredIds: string[] }[];
  }[] = [
    {
      what: 'nothing routed: only the threds go',
      expired: ['a', 'b'],
      routed: [],
      recorded: [],
      deleteEvents: [],
      relink: [],
    },
    {
      what: 'an unbound event that only expired threds took goes',
      expired: ['a', 'b'],
      routed: [
        { id: 'e1', thredIds: ['a'] },
        { id: 'e2', thredIds: ['a', 'b'] },
      ],
      recorded: [],
      deleteEvents: ['e1', 'e2'],
      relink: [],
    },
    {
      what: 'an unbound event a recorded thred also took stays, naming that thred only',
      expired: ['a'],
      routed: [{ id: 'e1', thredIds: ['a', 'running', 'b'] }],
      recorded: ['running', 'b'],
      deleteEvents: [],
      relink: [{ id: 'e1', thredIds: ['running', 'b'] }],
    },
    {
      what: 'threds with no record any more (removed earlier, never recorded) do not keep an event',
      expired: ['a'],
      routed: [{ id: 'e1', thredIds: ['a', 'gone'] }],
      recorded: [],
      deleteEvents: ['e1'],
      relink: [],
    },
    {
      what: 'an event whose threds all remain (relinked by another sweep) is left as it is',
      expired: ['a'],
      routed: [{ id: 'e1', thredIds: ['running'] }],
      recorded: ['running'],
      deleteEvents: [],
      relink: [],
    },
  ];
  it.each(cases)('$what', ({ expired, routed, recorded, deleteEvents, relink }) => {
    expect(planSweep(expired, routed, new Set(recorded))).toEqual({ threds: expired, deleteEvents, relink });
  });
});

describe('retentionSettings (THREDS_RETENTION, THREDS_RETENTION_SWEEP_INTERVAL)', () => {
  it('defaults to 30 days swept hourly; 0 keeps forever; units ms…d', () => {
    expect(retentionSettings({})).toEqual({ retentionMs: 30 * 86_400_000, sweepIntervalMs: 3_600_000 });
    expect(retentionSettings({ THREDS_RETENTION: '0' }).retentionMs).toBe(0);
    expect(retentionSettings({ THREDS_RETENTION: '12h', THREDS_RETENTION_SWEEP_INTERVAL: '30s' })).toEqual({
      retentionMs: 12 * 3_600_000,
      sweepIntervalMs: 30_000,
    });
  });
  it('refuses a malformed value, naming the variable', () => {
    expect(() => retentionSettings({ THREDS_RETENTION: '30 days' })).toThrow(
      /^THREDS_RETENTION: "30 days" is not a duration/,
    );
    expect(() => retentionSettings({ THREDS_RETENTION: '-1d' })).toThrow(/^THREDS_RETENTION:/);
    expect(() => retentionSettings({ THREDS_RETENTION_SWEEP_INTERVAL: '0' })).toThrow(
      /^THREDS_RETENTION_SWEEP_INTERVAL: "0" is not a duration/,
    );
  });
});
