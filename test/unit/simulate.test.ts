/**
 * The dry-run simulator: thred start detection, bound delivery, timers firing by event time and
 * advanceMs, invalid patterns, determinism.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate, type ThredsEvent } from '../../patterns/index';

const ROOT = join(import.meta.dirname, '..', '..');
const uav = JSON.parse(readFileSync(join(ROOT, 'patterns/library/uav_detect.json'), 'utf8')) as unknown;
const detection: ThredsEvent = {
  id: 'evt_01',
  type: 'org.wt.sensor.detectionEvent',
  source: { id: 'sensor_agent0' },
  time: 1000,
  data: { content: { values: { sensorId: 's0' } } },
};

describe('simulate', () => {
  it('reports events that start nothing, then starts the thred with the first matching event', async () => {
    const trace = await simulate(uav, [{ ...detection, id: 'noise', source: { id: 'other' } }, detection]);
    expect(trace.valid).toBe(true);
    expect(trace.thredId).toBe('uav_detect_evt_01');
    expect(trace.steps.map((s) => [s.started, s.matched, s.note ?? null])).toEqual([
      [false, false, 'does not start a thred'],
      [true, true, null],
    ]);
    expect(trace.steps[1]?.effects.map((e) => e.type)).toEqual(['timer.start', 'thred.log', 'message.send']);
  });

  it('fires expiry timers when a later event time passes them', async () => {
    const late: ThredsEvent = {
      id: 'late',
      type: 'org.wt.persistence',
      source: { id: 'org.wt.persistence' },
      time: 1000 + 60_000,
    };
    const trace = await simulate(uav, [detection, late], { agents: [{ nodeType: 'org.wt.persistence' }] });
    expect(trace.steps.map((s) => [s.kind, s.time, s.to, s.status])).toEqual([
      ['event', 1000, 'notify_contact', 'active'],
      ['expiry', 61_000, null, 'terminated'],
      ['event', 61_000, null, 'terminated'],
    ]);
    expect(trace.steps[2]?.error?.code).toBe(5203);
  });

  it('advanceMs moves the clock without an event', async () => {
    const trace = await simulate(uav, [detection, { advanceMs: 59_999 }, { advanceMs: 1 }]);
    expect(trace.steps.map((s) => s.kind)).toEqual(['event', 'expiry']);
    expect(trace.final?.status).toBe('terminated');
  });

  it('an invalid pattern yields its errors and no steps', async () => {
    const trace = await simulate({ name: 'x', reactions: [] }, [detection]);
    expect(trace.valid).toBe(false);
    expect(trace.errors[0]?.path).toBe('/reactions');
    expect(trace.steps).toEqual([]);
  });

  it('is deterministic', async () => {
    const events = [
      detection,
      {
        ...detection,
        id: 'evt_02',
        type: 'org.wt.persistence',
        re: '$outIds.contact_query',
        source: { id: 'org.wt.persistence' },
      },
    ];
    expect(await simulate(uav, events)).toEqual(await simulate(uav, events));
  });
});
