/** The source of "now" for every time-based rule. Injected, so tests control time. */
export interface Clock {
  now(): Date;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that only moves when told to; for tests of validity windows and expiry.
 * @example const clock = new ManualClock('2026-01-01T00:00:00Z'); clock.advance(60_000);
 */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string | number = Date.UTC(2026, 0, 1)) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(to: Date | string | number): void {
    this.current = new Date(to).getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
