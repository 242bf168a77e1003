import type { Logger } from "../../singer/src/index.js";

/**
 * Progress of a long stream on stderr, only when stderr is a terminal: a whole line every few
 * seconds (records, rate, elapsed), never a line redrawn in place, so the target's log lines on
 * the same terminal never run into it. Each stream's summary line is logged when it finishes.
 */

export interface Progress {
  start(stream: string): void;
  add(stream: string, records: number): void;
  finish(stream: string): void;
}

export class TtyProgress implements Progress {
  private readonly counts = new Map<string, { records: number; started: number; lastLine: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  start(stream: string): void {
    const at = this.now();
    this.counts.set(stream, { records: 0, started: at, lastLine: at });
  }

  add(stream: string, records: number): void {
    const entry = this.counts.get(stream);
    if (!entry) return this.start(stream);
    entry.records += records;
    const at = this.now();
    if (at - entry.lastLine < this.intervalMs) return;
    entry.lastLine = at;
    const seconds = (at - entry.started) / 1000;
    const rate = seconds > 0 ? entry.records / seconds : 0;
    this.logger.forStream(stream).info(`${entry.records} records so far, ${rate.toFixed(1)}/s, ${seconds.toFixed(0)}s elapsed`);
  }

  finish(stream: string): void {
    this.counts.delete(stream);
  }
}

export const noProgress: Progress = { start: () => undefined, add: () => undefined, finish: () => undefined };

/** Progress lines through `logger` when `stream` (where the logger writes) is a terminal. */
export function progressFor(logger: Logger, stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? new TtyProgress(logger) : noProgress;
}
