import type { Logger } from "../../singer/src/index.js";

/** Rows per stream and overall rows per second, on stderr, at most every few seconds. */
export class Progress {
  private readonly startedAt = Date.now();
  private lastAt = Date.now();
  private lastTotal = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 2000,
  ) {}

  tick(counts: Map<string, number>, now = Date.now()): void {
    if (now - this.lastAt < this.intervalMs) return;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const rate = Math.round(((total - this.lastTotal) * 1000) / (now - this.lastAt));
    const streams = [...counts].map(([name, rows]) => `${name} ${rows}`).join(", ");
    this.logger.info(`progress: ${total} rows (${rate} rows/s; ${Math.round((now - this.startedAt) / 1000)} s): ${streams}`);
    this.lastAt = now;
    this.lastTotal = total;
  }
}
