import type { Readable } from "node:stream";
import type { NumberedLine } from "../../singer/src/index.js";

/**
 * Yields the complete lines of a byte stream with their 1-based numbers (blank lines counted,
 * not yielded; CRLF accepted). Once `stopped()` turns true, reading ends without yielding the
 * partial line in hand, so a signal never turns half a message into an error.
 */
export async function* readCompleteLines(input: Readable, stopped: () => boolean = () => false): AsyncGenerator<NumberedLine> {
  let pieces: Buffer[] = [];
  let lineNumber = 0;
  const lineOf = (buffer: Buffer, start: number, end: number): string | undefined => {
    lineNumber += 1;
    if (end > start && buffer[end - 1] === 13) end -= 1;
    if (end === start) return undefined;
    const text = buffer.toString("utf8", start, end);
    return text.charCodeAt(0) <= 32 && text.trim().length === 0 ? undefined : text;
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const buffer = chunk;
      let start = 0;
      let newline = buffer.indexOf(10);
      if (newline !== -1 && pieces.length > 0) {
        // The first line began in earlier chunks: join just that line.
        pieces.push(buffer.subarray(0, newline + 1));
        const joined = Buffer.concat(pieces);
        pieces = [];
        const text = lineOf(joined, 0, joined.length - 1);
        if (text !== undefined) yield { lineNumber, text };
        if (stopped()) return;
        start = newline + 1;
        newline = buffer.indexOf(10, start);
      }
      while (newline !== -1) {
        const text = lineOf(buffer, start, newline);
        if (text !== undefined) yield { lineNumber, text };
        if (stopped()) return;
        start = newline + 1;
        newline = buffer.indexOf(10, start);
      }
      if (start < buffer.length) pieces.push(buffer.subarray(start));
    }
  } catch (error) {
    if (stopped()) return;
    throw error;
  }
  if (pieces.length > 0 && !stopped()) {
    const rest = Buffer.concat(pieces);
    const text = lineOf(rest, 0, rest.length);
    if (text !== undefined) yield { lineNumber, text };
  }
}
