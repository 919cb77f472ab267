import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.ts';

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, half-opens after the cool-down, closes on a successful trial', () => {
    let t = 0;
    const b = new CircuitBreaker('deepseek', { failures: 3, cooldownMs: 1000, now: () => t });
    expect(b.failure()).toBe(false);
    b.success();
    expect(b.failure()).toBe(false);
    expect(b.failure()).toBe(false);
    expect(b.state).toBe('closed');
    expect(b.failure()).toBe(true);
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    t = 999;
    expect(b.tryAcquire()).toBe(false);
    t = 1000;
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // one trial at a time
    expect(b.success()).toBe(true);
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('re-opens for another cool-down when the trial fails', () => {
    let t = 0;
    const b = new CircuitBreaker('qwen', { failures: 1, cooldownMs: 100, now: () => t });
    b.failure();
    t = 150;
    expect(b.tryAcquire()).toBe(true);
    expect(b.failure()).toBe(true);
    expect(b.state).toBe('open');
    t = 200;
    expect(b.tryAcquire()).toBe(false);
    t = 250;
    expect(b.tryAcquire()).toBe(true);
  });

  it('frees the trial slot of a call that never got a verdict', () => {
    let t = 0;
    const b = new CircuitBreaker('x', { failures: 1, cooldownMs: 10, now: () => t });
    b.failure();
    t = 10;
    expect(b.tryAcquire()).toBe(true);
    b.release();
    expect(b.tryAcquire()).toBe(true);
  });
});
