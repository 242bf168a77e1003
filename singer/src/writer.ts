import { once } from "node:events";
import type { Writable } from "node:stream";
import { OutputClosedError } from "./errors.js";
import type { SingerMessage } from "./messages.js";

/**
 * Writes newline-delimited JSON to a stream, one whole line per write call, waiting for
 * 'drain' whenever the stream's buffer is full so memory never grows without bound.
 */
export class NdjsonWriter {
  private readonly output: Writable;
  private closedError: Error | undefined;
  private draining: Promise<void> | undefined;

  constructor(output: Writable) {
    this.output = output;
    output.on("error", (error: Error) => {
      this.closedError = error;
    });
  }

  /** Writes one JSON value as a line; resolves once the stream can take more. */
  async writeLine(value: unknown): Promise<void> {
    if (this.closedError) throw this.closedError;
    const line = JSON.stringify(value) + "\n";
    if (!this.output.write(line)) await this.waitForDrain();
  }

  /** Writers that wait at the same time (a tap's concurrent streams) share one wait. */
  private waitForDrain(): Promise<void> {
    this.draining ??= this.waitForDrainOnce().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async waitForDrainOnce(): Promise<void> {
    const ac = new AbortController();
    try {
      await Promise.race([
        once(this.output, "drain", { signal: ac.signal }),
        once(this.output, "error", { signal: ac.signal }).then(([error]) => {
          throw error as Error;
        }),
        once(this.output, "close", { signal: ac.signal }).then(() => {
          throw this.closedError ?? new OutputClosedError();
        }),
      ]);
    } finally {
      ac.abort();
    }
  }

  /** Ends the stream and resolves once everything written has been flushed. */
  async end(): Promise<void> {
    if (this.output === process.stdout || this.output === process.stderr) {
      if (this.output.writableNeedDrain) await this.waitForDrain();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.output.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }
}

/** Writes Singer messages as NDJSON. */
export class SingerWriter {
  private readonly lines: NdjsonWriter;

  constructor(output: Writable = process.stdout) {
    this.lines = new NdjsonWriter(output);
  }

  write(message: SingerMessage): Promise<void> {
    return this.lines.writeLine(message);
  }

  end(): Promise<void> {
    return this.lines.end();
  }
}
