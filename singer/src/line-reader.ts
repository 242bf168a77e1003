import type { Readable } from "node:stream";
import { SingerInputError } from "./errors.js";

export interface NumberedLine {
  /** 1-based line number in the input. */
  lineNumber: number;
  text: string;
}

const EF_BF_BD = Buffer.from("\uFFFD");

/**
 * Decoding turned something into U+FFFD: throws unless every U+FFFD was sent as such (bytes
 * EF BF BD). Before the first replacement the text decoded one to one, so its UTF-8 length is
 * the offset of the bytes that were replaced.
 */
function refuseInvalidUtf8(buffer: Buffer, start: number, text: string, where: { lineNumber: number; source: string; lineStart: number }): void {
  for (let index = text.indexOf("\uFFFD"); index !== -1; index = text.indexOf("\uFFFD", index + 1)) {
    const offset = Buffer.byteLength(text.slice(0, index));
    if (buffer.compare(EF_BF_BD, 0, 3, start + offset, Math.min(start + offset + 3, buffer.length)) === 0) continue;
    const byte = (buffer[start + offset] as number).toString(16).padStart(2, "0");
    throw new SingerInputError(
      `invalid UTF-8 at byte offset ${offset} of the line (byte 0x${byte}; input byte offset ${where.lineStart + offset}): Singer messages are UTF-8 text, and the reader never replaces what it cannot decode`,
      { lineNumber: where.lineNumber, source: where.source },
    );
  }
}

/**
 * Yields the complete lines of a stream with their 1-based numbers: any length, LF or CRLF
 * endings, a last line with or without a newline; blank lines are counted, not yielded. Once
 * `stopped()` turns true, reading ends without yielding the partial line in hand, so a signal
 * never turns half a message into an error. Bytes that are not UTF-8 are an error naming the
 * line and the byte.
 */
export async function* readLines(input: Readable, stopped: () => boolean = () => false, source = "stdin"): AsyncGenerator<NumberedLine> {
  let pieces: Buffer[] = [];
  let lineNumber = 0;
  /** Where the next line starts in the input, in bytes. */
  let nextLineStart = 0;
  const lineOf = (buffer: Buffer, start: number, end: number): string | undefined => {
    lineNumber += 1;
    const lineStart = nextLineStart;
    nextLineStart += end - start + 1;
    if (end > start && buffer[end - 1] === 13) end -= 1;
    if (end === start) return undefined;
    const text = buffer.toString("utf8", start, end);
    if (text.indexOf("\uFFFD") !== -1) refuseInvalidUtf8(buffer, start, text, { lineNumber, source, lineStart });
    return text.charCodeAt(0) <= 32 && text.trim().length === 0 ? undefined : text;
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
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
