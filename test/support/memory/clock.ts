/** A clock the test moves by hand: the domain's `now` port. */
export class ManualClock {
  private at: number;

  constructor(start: string | Date = '2026-12-07T10:00:00.000Z') {
    this.at = new Date(start).getTime();
  }

  /** The port: `deps.now`. */
  readonly now = (): Date => new Date(this.at);

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock only moves forward');
    this.at += ms;
  }

  /** Moves the clock to an instant (forward only). */
  set(instant: string | Date): void {
    this.advance(new Date(instant).getTime() - this.at);
  }

  iso(): string {
    return new Date(this.at).toISOString();
  }
}
