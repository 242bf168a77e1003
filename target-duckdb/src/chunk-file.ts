import { closeSync, createReadStream, existsSync, ftruncateSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InternalError, readLineBytes } from "../../singer/src/index.js";

/** Where a process reaches its own open files by number (Linux): a file read there can be deleted while open. */
const OWN_FILES = "/proc/self/fd";
const WRITE_BUFFER_BYTES = 1024 * 1024;
const HEADER = /^\{"__td_line":(\d+),"__td_seq":(\d+),/;

/**
 * The moments records are read, as _sdc_sequence values: microseconds since the epoch times 1,000
 * plus a count within the microsecond, so values rise strictly within a run (and beyond a
 * microsecond's 1,000th record, the microsecond advances) and exceed earlier runs' values.
 * Decimal text, since the values pass 2^53.
 */
export class SequenceClock {
  private micros = 0;
  private index = 0;

  next(): string {
    const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    if (now > this.micros) {
      this.micros = now;
      this.index = 0;
    } else if (++this.index === 1000) {
      this.micros += 1;
      this.index = 0;
    }
    return `${this.micros}${this.index < 10 ? "00" : this.index < 100 ? "0" : ""}${this.index}`;
  }
}

/**
 * A stream's chunk of RECORD lines on disk, for DuckDB's read_json: each line as received, its first
 * `{` replaced by `{"__td_line":<input line>,"__td_seq":<sequence>,`, buffered into large writes. On Linux the
 * file is deleted as soon as it is created and read through /proc/self/fd, so it vanishes with the
 * process whatever ends it; elsewhere it lives in a private directory removed by `close`.
 */
export class ChunkFile {
  /** Lines not yet written; allocated while the chunk fills (a run may have many streams, most of them idle). */
  private buffer: Buffer | undefined;
  private buffered = 0;
  private written = 0;
  private rowCount = 0;
  private longest = 0;
  private firstLineNumber = 0;
  private lastLineNumber = 0;
  private fd: number | undefined;
  /** Bytes of the chunk's large records (the loader decides which are). */
  largeBytes = 0;

  private constructor(
    private readonly fdPath: string,
    fd: number,
    private readonly directory: string | undefined,
  ) {
    this.fd = fd;
  }

  static create(): ChunkFile {
    const directory = mkdtempSync(join(tmpdir(), "target-duckdb-"));
    const file = join(directory, "chunk.ndjson");
    const fd = openSync(file, "w+", 0o600);
    if (!existsSync(OWN_FILES)) return new ChunkFile(file, fd, directory);
    unlinkSync(file);
    rmSync(directory, { recursive: true, force: true });
    return new ChunkFile(`${OWN_FILES}/${fd}`, fd, undefined);
  }

  /** The path DuckDB reads. */
  get path(): string {
    return this.fdPath;
  }

  get rows(): number {
    return this.rowCount;
  }

  /** The longest line written, in bytes (header included). */
  get longestLine(): number {
    return this.longest;
  }

  /** The input lines the chunk holds: first and last. */
  get lineRange(): [number, number] {
    return [this.firstLineNumber, this.lastLineNumber];
  }

  /** Adds a line: `line` from byte `from` on, which must be just after its opening `{`. */
  append(lineNumber: number, sequence: string, line: Buffer, from: number): void {
    const header = `{"__td_line":${lineNumber},"__td_seq":${sequence},`;
    const length = header.length + line.length - from + 1;
    if (this.buffered + length > WRITE_BUFFER_BYTES) this.flush();
    const buffer = (this.buffer ??= Buffer.allocUnsafe(WRITE_BUFFER_BYTES));
    if (length > WRITE_BUFFER_BYTES) {
      this.writeOut(Buffer.from(header));
      this.writeOut(line.subarray(from));
      this.writeOut(Buffer.from("\n"));
    } else {
      this.buffered += buffer.write(header, this.buffered, "latin1");
      this.buffered += line.copy(buffer, this.buffered, from);
      buffer[this.buffered++] = 10;
    }
    if (this.rowCount === 0) this.firstLineNumber = lineNumber;
    this.lastLineNumber = lineNumber;
    this.rowCount += 1;
    if (length > this.longest) this.longest = length;
  }

  /** Writes what is buffered, so DuckDB reads every line. */
  flush(): void {
    if (this.buffered === 0 || !this.buffer) return;
    this.writeOut(this.buffer.subarray(0, this.buffered));
    this.buffered = 0;
  }

  private writeOut(data: Buffer): void {
    if (this.fd === undefined) throw new InternalError("chunk file is closed");
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, this.written + done);
    this.written += data.length;
  }

  /** After the chunk was loaded: empty, ready for the next. */
  reset(): void {
    if (this.fd !== undefined) ftruncateSync(this.fd, 0);
    this.buffer = undefined;
    this.buffered = 0;
    this.written = 0;
    this.rowCount = 0;
    this.longest = 0;
    this.largeBytes = 0;
  }

  /** The chunk's lines as received, with their input line numbers (to explain a refused chunk). */
  async *lines(): AsyncGenerator<{ lineNumber: number; bytes: Buffer }> {
    this.flush();
    if (this.written === 0) return;
    const input = createReadStream(this.fdPath, { end: this.written - 1 });
    for await (const line of readLineBytes(input)) {
      const header = HEADER.exec(line.bytes.toString("latin1", 0, Math.min(line.bytes.length, 64)));
      if (!header) throw new InternalError(`chunk file line ${line.lineNumber} lacks its header`);
      const bytes = Buffer.from(line.bytes.subarray(header[0].length - 1));
      bytes[0] = 0x7b;
      yield { lineNumber: Number(header[1]), bytes };
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.directory) rmSync(this.directory, { recursive: true, force: true });
  }
}
