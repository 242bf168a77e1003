/**
 * Tells a RECORD line's stream from its first bytes, without decoding or parsing the line: lines
 * that start `{"type":"RECORD","stream":"<name>",` (JSON whitespace allowed around `:` and `,`, as
 * Python's json.dumps writes `{"type": "RECORD", "stream": "x", …`) for a stream added here.
 * Anything else (other messages, other member orders, a name spelled with escapes) is not matched
 * and takes the parsed path; the line's remaining JSON is read and checked by DuckDB.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

export class RecordRouter<T> {
  /** The streams by their names' UTF-8 bytes, read as latin1 (one character per byte). */
  private readonly streams = new Map<string, T>();
  private static readonly TYPE = Buffer.from('"type"');
  private static readonly RECORD = Buffer.from('"RECORD"');
  private static readonly STREAM = Buffer.from('"stream"');

  add(name: string, stream: T): void {
    this.streams.set(Buffer.from(name, "utf8").toString("latin1"), stream);
  }

  delete(name: string): void {
    this.streams.delete(Buffer.from(name, "utf8").toString("latin1"));
  }

  /** The stream of a RECORD line spelled the expected way, else undefined. */
  match(bytes: Buffer): T | undefined {
    if (bytes[0] !== 0x7b) return undefined;
    let at = this.expect(bytes, 1, RecordRouter.TYPE, 0x3a);
    if (at < 0) return undefined;
    at = this.expect(bytes, at, RecordRouter.RECORD, 0x2c);
    if (at < 0) return undefined;
    at = this.expect(bytes, at, RecordRouter.STREAM, 0x3a);
    if (at < 0) return undefined;
    at = this.skipSpace(bytes, at);
    if (bytes[at] !== QUOTE) return undefined;
    const nameStart = at + 1;
    let nameEnd = nameStart;
    while (nameEnd < bytes.length && bytes[nameEnd] !== QUOTE) {
      if (bytes[nameEnd] === BACKSLASH) return undefined;
      nameEnd += 1;
    }
    if (nameEnd >= bytes.length) return undefined;
    at = this.skipSpace(bytes, nameEnd + 1);
    if (bytes[at] !== 0x2c) return undefined;
    return this.streams.get(bytes.toString("latin1", nameStart, nameEnd));
  }

  private skipSpace(bytes: Buffer, at: number): number {
    while (isSpace(bytes[at])) at += 1;
    return at;
  }

  /** Whitespace, `token`, whitespace, `then`: the position after them, or -1. */
  private expect(bytes: Buffer, at: number, token: Buffer, then: number): number {
    at = this.skipSpace(bytes, at);
    if (at + token.length > bytes.length || bytes.compare(token, 0, token.length, at, at + token.length) !== 0) return -1;
    at = this.skipSpace(bytes, at + token.length);
    return bytes[at] === then ? at + 1 : -1;
  }
}
