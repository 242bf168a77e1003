/** At most `limit` holders at once; the others wait in arrival order, urgent ones first. */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly urgent: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Resolves with the function that gives the slot back (calling it twice is harmless). */
  async acquire(urgent = false): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => (urgent ? this.urgent : this.waiting).push(resolve));
    else this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.urgent.shift() ?? this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    };
  }
}
