import { streamLabel, type Logger } from "../../singer/src/index.js";

/**
 * One whole line at most every few seconds on stderr: total rows, rows per second, and the rows of
 * the streams that moved since the last line (not every stream seen so far).
 */
export class Progress {
  private readonly startedAt = Date.now();
  private lastAt = Date.now();
  private lastTotal = 0;
  private readonly lastCounts = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 2000,
  ) {}

  tick(counts: Map<string, number>, now = Date.now()): void {
    if (now - this.lastAt < this.intervalMs) return;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const rate = Math.round(((total - this.lastTotal) * 1000) / (now - this.lastAt));
    const moved = [...counts].filter(([name, rows]) => this.lastCounts.get(name) !== rows);
    for (const [name, rows] of moved) this.lastCounts.set(name, rows);
    const streams = moved.map(([name, rows]) => `${streamLabel(name)} ${rows}`).join(", ");
    this.logger.info(`progress: ${total} rows (${rate} rows/s; ${Math.round((now - this.startedAt) / 1000)} s)${streams ? `: ${streams}` : "; nothing new"}`);
    this.lastAt = now;
    this.lastTotal = total;
  }
}
