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

/** A line of input as bytes: a view of the read buffer, line ending excluded, valid until the next line is read. */
export interface LineBytes {
  /** 1-based line number in the input. */
  lineNumber: number;
  bytes: Buffer;
  /** Where the line starts in the input, in bytes. */
  lineStart: number;
}

/**
 * Yields the complete lines of a stream as bytes, with their 1-based numbers: any length, LF or
 * CRLF endings, a last line with or without a newline; empty lines are counted, not yielded. Once
 * `stopped()` turns true, reading ends without yielding the partial line in hand, so a signal
 * never turns half a message into an error. `decodeLine` makes a line text.
 */
export async function* readLineBytes(input: Readable, stopped: () => boolean = () => false): AsyncGenerator<LineBytes> {
  let pieces: Buffer[] = [];
  let lineNumber = 0;
  /** Where the next line starts in the input, in bytes. */
  let nextLineStart = 0;
  const lineOf = (buffer: Buffer, start: number, end: number): LineBytes | undefined => {
    lineNumber += 1;
    const lineStart = nextLineStart;
    nextLineStart += end - start + 1;
    if (end > start && buffer[end - 1] === 13) end -= 1;
    return end === start ? undefined : { lineNumber, bytes: buffer.subarray(start, end), lineStart };
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
        const line = lineOf(joined, 0, joined.length - 1);
        if (line !== undefined) yield line;
        if (stopped()) return;
        start = newline + 1;
        newline = buffer.indexOf(10, start);
      }
      while (newline !== -1) {
        const line = lineOf(buffer, start, newline);
        if (line !== undefined) yield line;
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
    const line = lineOf(rest, 0, rest.length);
    if (line !== undefined) yield line;
  }
}

/** A line's text; undefined for a blank line. Bytes that are not UTF-8 are an error naming the line and the byte. */
export function decodeLine(line: LineBytes, source = "stdin"): string | undefined {
  const { bytes } = line;
  const text = bytes.toString("utf8");
  if (text.indexOf("\uFFFD") !== -1) refuseInvalidUtf8(bytes, 0, text, { lineNumber: line.lineNumber, source, lineStart: line.lineStart });
  return text.charCodeAt(0) <= 32 && text.trim().length === 0 ? undefined : text;
}

/**
 * Yields the complete lines of a stream as text with their 1-based numbers (see readLineBytes);
 * blank lines are counted, not yielded. Bytes that are not UTF-8 are an error naming the line and the byte.
 */
export async function* readLines(input: Readable, stopped: () => boolean = () => false, source = "stdin"): AsyncGenerator<NumberedLine> {
  for await (const line of readLineBytes(input, stopped)) {
    const text = decodeLine(line, source);
    if (text !== undefined) yield { lineNumber: line.lineNumber, text };
  }
}
