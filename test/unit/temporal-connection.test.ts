import { describe, expect, it } from 'vitest';
import { gatewayRetryOptions, isWorkflowClosing } from '../../gateway/temporal-connection';

// The exact refusal Temporal sends for a signal that meets a continue-as-new (consts.ErrWorkflowClosing).
const closing = { code: 8, details: 'workflow operation can not be applied because workflow is closing', metadata: {} };
const throttled = { code: 8, details: 'namespace rate limit exceeded', metadata: {} };
const unavailable = { code: 14, details: 'connection refused', metadata: {} };

describe('gateway Temporal retries', () => {
  const { delayFunction, retryableDecider } = gatewayRetryOptions() as unknown as {
    delayFunction: (attempt: number, status: object) => number;
    retryableDecider: (attempt: number, status: object) => boolean;
  };

  it('tells a closing workflow from other RESOURCE_EXHAUSTED refusals', () => {
    expect(isWorkflowClosing(closing)).toBe(true);
    expect(isWorkflowClosing(throttled)).toBe(false);
    expect(isWorkflowClosing({ ...closing, code: 14 })).toBe(false);
  });

  it('retries a signal refused during continue-as-new within tens of milliseconds, then backs off', () => {
    // 20 ms × 1.7^attempt, ± 20 % jitter: 27–41 ms for the first retry, 134–201 ms for the fourth.
    for (let i = 0; i < 200; i++) {
      expect(delayFunction(1, closing)).toBeGreaterThanOrEqual(20 * 1.7 * 0.8);
      expect(delayFunction(1, closing)).toBeLessThanOrEqual(20 * 1.7 * 1.2);
      expect(delayFunction(4, closing)).toBeLessThanOrEqual(20 * 1.7 ** 4 * 1.2);
    }
    const total = Array.from({ length: 9 }, (_, k) => delayFunction(k + 1, closing)).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(3_000); // still seconds of patience in all, for a slow continue-as-new
    expect(retryableDecider(9, closing)).toBe(true);
    expect(retryableDecider(10, closing)).toBe(false);
  });

  it('keeps the SDK policy for throttling and other errors', () => {
    for (let i = 0; i < 200; i++) {
      expect(delayFunction(1, throttled)).toBeGreaterThanOrEqual(1000 * 1.7 * 0.8); // 1 s × 1.7 ± 20 %
      expect(delayFunction(1, unavailable)).toBeGreaterThanOrEqual(100 * 1.7 * 0.8); // 100 ms × 1.7 ± 20 %
      expect(delayFunction(1, unavailable)).toBeLessThanOrEqual(100 * 1.7 * 1.2);
    }
  });
});
