/**
 * A discrete-event queue in simulated time: services schedule what happens later (an instance
 * finishes booting, a task starts) and the simulator runs events in time order, each at its time.
 */
interface ScheduledEvent {
  readonly at: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => void;
}

export class Scheduler {
  private events: ScheduledEvent[] = [];
  private seq = 0;
  private current: number;

  constructor(start: number) {
    this.current = start;
  }

  /** The simulated time of the event being run, or of the last sync. */
  get now(): number {
    return this.current;
  }

  get pending(): number {
    return this.events.length;
  }

  /** Runs `run` at simulated time `at` (now, if `at` has passed). */
  at(at: number, label: string, run: () => void): void {
    const event = { at: Math.max(at, this.current), seq: this.seq++, label, run };
    // Binary insertion keeps the queue ordered by (time, insertion order).
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.events[mid] as ScheduledEvent;
      if (e.at < event.at || (e.at === event.at && e.seq < event.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.events.splice(lo, 0, event);
  }

  /** Runs `run` `delayMs` after the current simulated time. */
  after(delayMs: number, label: string, run: () => void): void {
    this.at(this.current + delayMs, label, run);
  }

  /** Runs every event due up to `to` in order, then stands at `to`. Returns how many ran. */
  runUntil(to: number): number {
    let ran = 0;
    for (;;) {
      const next = this.events[0];
      if (!next || next.at > to) break;
      this.events.shift();
      this.current = Math.max(this.current, next.at);
      next.run();
      ran++;
      if (ran > 1_000_000) throw new Error(`scheduler runaway at ${next.label}`);
    }
    this.current = Math.max(this.current, to);
    return ran;
  }

  clear(): void {
    this.events = [];
  }
}
