import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

export interface NumberedLine {
  /** 1-based line number in the input. */
  lineNumber: number;
  text: string;
}

/**
 * Yields the lines of a stream with their numbers: any length, LF or CRLF endings,
 * a last line with or without a newline. Blank lines are counted but not yielded.
 */
export async function* readLines(input: Readable): AsyncGenerator<NumberedLine> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber += 1;
    if (text.trim().length === 0) continue;
    yield { lineNumber, text };
  }
}
