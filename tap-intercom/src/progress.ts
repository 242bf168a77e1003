/** A live progress line per stream (records, rate, elapsed) on stderr, only when stderr is a terminal. */

export interface Progress {
  start(stream: string): void;
  add(stream: string, records: number): void;
  finish(stream: string): void;
}

export class TtyProgress implements Progress {
  private readonly counts = new Map<string, { records: number; started: number }>();
  private lastDraw = 0;

  constructor(private readonly output: NodeJS.WriteStream = process.stderr) {}

  start(stream: string): void {
    this.counts.set(stream, { records: 0, started: Date.now() });
    this.draw(stream, true);
  }

  add(stream: string, records: number): void {
    const entry = this.counts.get(stream);
    if (!entry) return this.start(stream);
    entry.records += records;
    this.draw(stream, false);
  }

  finish(stream: string): void {
    this.draw(stream, true);
    this.output.write("\n");
    this.counts.delete(stream);
  }

  private draw(stream: string, force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const entry = this.counts.get(stream);
    if (!entry) return;
    const seconds = (now - entry.started) / 1000;
    const rate = seconds > 0 ? entry.records / seconds : 0;
    this.output.write(`\r\x1b[2K${stream}: ${entry.records} records, ${rate.toFixed(1)}/s, ${seconds.toFixed(1)}s elapsed`);
  }
}

export const noProgress: Progress = { start: () => undefined, add: () => undefined, finish: () => undefined };

export function progressFor(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? new TtyProgress(stream) : noProgress;
}
