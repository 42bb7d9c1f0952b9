/** The in-memory `CallCounter` an AWS context owns; its SDK middleware records into it. */
import type { CallCounter } from './ports.ts';

export class CallCounts implements CallCounter {
  private readonly attempts = new Map<string, number>();
  private readonly throttled = new Map<string, number>();

  /** One HTTP attempt of `service:Operation` (a retry is another attempt). */
  recordCall(key: string): void {
    this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
  }

  /** An attempt of `service:Operation` answered with a throttling error. */
  recordThrottle(key: string): void {
    this.throttled.set(key, (this.throttled.get(key) ?? 0) + 1);
  }

  calls(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.attempts);
  }

  throttles(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.throttled);
  }

  reset(): void {
    this.attempts.clear();
    this.throttled.clear();
  }
}
