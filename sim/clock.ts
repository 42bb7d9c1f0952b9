/**
 * Simulated time. A virtual clock moves only when told to (a 300 s instance boot takes no real
 * time); a real-time clock follows the wall clock, optionally faster (the demo runs at a speed factor).
 */
export interface SimClock {
  readonly mode: 'virtual' | 'real';
  /** Simulated epoch milliseconds. */
  now(): number;
}

export class VirtualClock implements SimClock {
  readonly mode = 'virtual';
  private current: number;

  constructor(start: number = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward; the simulator runs what falls due on its way. */
  set(to: number): void {
    if (to < this.current) throw new RangeError('a virtual clock never goes backwards');
    this.current = to;
  }
}

export class RealClock implements SimClock {
  readonly mode = 'real';
  /** Simulated seconds per real second. */
  readonly speed: number;
  private readonly simStart: number;
  private readonly realStart = Date.now();
  private offset = 0;

  /** @param speed simulated seconds per real second. @defaultValue 1 */
  constructor(speed = 1, simStart: number = Date.now()) {
    if (!(speed > 0)) throw new RangeError(`speed must be above 0, got ${speed}`);
    this.speed = speed;
    this.simStart = simStart;
  }

  now(): number {
    return this.simStart + (Date.now() - this.realStart) * this.speed + this.offset;
  }

  /** Jumps ahead (the admin API's advance works in real-time mode too). */
  skip(ms: number): void {
    this.offset += ms;
  }
}
