// The W3C trace context helpers the gateway, the workflow and the agents share (telemetry/trace-context.ts).
import { describe, expect, it } from 'vitest';
import {
  childTraceparent,
  parseTraceparent,
  stepSpanId,
  traceIdOf,
  traceOf,
  withTrace,
} from '../../telemetry/trace-context';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context', () => {
  it('parses valid traceparents and refuses malformed or all-zero ones', () => {
    expect(parseTraceparent(TP)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: '01',
    });
    expect(parseTraceparent(TP.toUpperCase())?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    for (const bad of [
      '',
      'x',
      '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
      42,
      undefined,
    ])
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
  });

  it('reads and writes event.trace, keeping its other fields', () => {
    const event = { id: 'e1', trace: { tracestate: 'k=v' } };
    expect(traceOf(event)).toBeUndefined();
    const traced = withTrace(event, TP);
    expect(traced).toEqual({ id: 'e1', trace: { tracestate: 'k=v', traceparent: TP } });
    expect(event.trace).toEqual({ tracestate: 'k=v' }); // not mutated
    expect(traceOf(traced)).toBe(TP);
    expect(traceIdOf(traced)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceOf({ trace: { traceparent: 'garbage' } })).toBeUndefined();
    expect(traceOf(null)).toBeUndefined();
  });

  it('derives stable, distinct step span ids in the parent trace', () => {
    const a = stepSpanId('thred_1', 1);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(stepSpanId('thred_1', 1)).toBe(a);
    const ids = new Set(Array.from({ length: 2000 }, (_, i) => stepSpanId(`thred_${i % 50}`, i)));
    expect(ids.size).toBe(2000);
    expect(childTraceparent(TP, a)).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${a}-01`);
    expect(childTraceparent('bad', a)).toBeUndefined();
  });
});
