/**
 * The optional `batch_config` setting (the Meltano SDK's shape): RECORD messages are written as
 * bare records to jsonl files (gzip or plain) and announced with BATCH messages. A STATE is held
 * back while records it covers sit in an open file, and written right after the BATCH messages
 * that carry them, so a target never sees a STATE before the data it covers.
 */
import { randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import { resolve, join } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { createGzip } from "node:zlib";
import { ConfigError, NdjsonWriter, SingerWriter, type JsonSchema, type SingerMessage } from "../../singer/src/index.js";

export const BATCH_SETTINGS: Record<string, JsonSchema> = {
  batch_config: {
    type: "object",
    description:
      'Write records as BATCH files instead of RECORD messages (the Meltano SDK\'s batch_config): {"encoding": {"format": "jsonl", "compression": "gzip" or "none"}, ' +
      '"storage": {"root": "file://DIR", "prefix": "…"}, "batch_size": records per file (default 100000)}. Needs a target that reads BATCH messages (target-duckdb does); the files are left in DIR.',
    properties: {
      encoding: {
        type: "object",
        properties: { format: { type: "string", enum: ["jsonl"] }, compression: { type: "string", enum: ["gzip", "none"] } },
        required: ["format"],
        additionalProperties: false,
      },
      storage: {
        type: "object",
        properties: { root: { type: "string", minLength: 1 }, prefix: { type: "string" } },
        required: ["root"],
        additionalProperties: false,
      },
      batch_size: { type: "integer", minimum: 1 },
    },
    required: ["encoding", "storage"],
    additionalProperties: false,
  },
};

export interface BatchConfig {
  compression: "gzip" | "none";
  /** Absolute folder the files are written to. */
  root: string;
  prefix: string;
  batchSize: number;
}

const DEFAULT_BATCH_SIZE = 100_000;

/** The validated `batch_config` setting as used here, or undefined when it is not set. */
export function batchConfigOf(raw: Record<string, unknown>): BatchConfig | undefined {
  const value = raw["batch_config"] as
    | { encoding: { compression?: "gzip" | "none" }; storage: { root: string; prefix?: string }; batch_size?: number }
    | undefined;
  if (value === undefined) return undefined;
  const root = value.storage.root;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(root)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== "file") {
    throw new ConfigError(`invalid config: setting "batch_config.storage.root" must be a local folder, a path or file://PATH (got ${JSON.stringify(root)})`);
  }
  return {
    compression: value.encoding.compression ?? "gzip",
    root: resolve(scheme === undefined ? root : root.slice("file://".length)),
    prefix: value.storage.prefix ?? "",
    batchSize: Number(value.batch_size ?? DEFAULT_BATCH_SIZE),
  };
}

/** One stream's file being filled. */
interface OpenFile {
  path: string;
  lines: NdjsonWriter;
  /** Resolves once every byte is on disk. */
  written: Promise<void>;
  close: () => void;
  records: number;
  /** The RECORD messages' version (full-table streams with ACTIVATE_VERSION), carried by the BATCH message. */
  version: number | undefined;
}

/** A SingerWriter that turns RECORD messages into BATCH files. */
export class BatchingWriter extends SingerWriter {
  private readonly open = new Map<string, OpenFile>();
  private heldState: SingerMessage | undefined;
  private readonly runId = randomUUID().slice(0, 8);
  private files = 0;

  constructor(
    output: Writable,
    private readonly config: BatchConfig,
  ) {
    super(output);
  }

  /** Streams sync concurrently: messages are handled one at a time, so a flush never closes a file another write is filling. */
  private queue: Promise<void> = Promise.resolve();

  override write(message: SingerMessage): Promise<void> {
    return this.serially(() => this.writeNow(message));
  }

  override end(): Promise<void> {
    return this.serially(async () => {
      await this.flush();
      await super.end();
    });
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(message: SingerMessage): Promise<void> {
    if (message.type === "RECORD") {
      // One BATCH message carries one version: records of another version start a new file.
      if (this.open.has(message.stream) && this.open.get(message.stream)?.version !== message.version) await this.flush();
      const file = this.open.get(message.stream) ?? this.openFile(message.stream, message.version);
      await file.lines.writeLine(message.record);
      file.records += 1;
      if (file.records >= this.config.batchSize) await this.flush();
      return;
    }
    if (message.type === "STATE" && this.open.size > 0) {
      this.heldState = message;
      return;
    }
    await this.flush();
    await super.write(message);
  }

  /** Closes every open file, writes its BATCH message, then the STATE held back for them. */
  private async flush(): Promise<void> {
    const files = [...this.open.entries()];
    this.open.clear();
    for (const [stream, file] of files) {
      file.close();
      await file.written;
      await super.write({
        type: "BATCH",
        stream,
        encoding: { format: "jsonl", compression: this.config.compression },
        manifest: [pathToFileURL(file.path).href],
        ...(file.version !== undefined ? { version: file.version } : {}),
      } as unknown as SingerMessage);
    }
    const state = this.heldState;
    this.heldState = undefined;
    if (state) await super.write(state);
  }

  private openFile(stream: string, version: number | undefined): OpenFile {
    this.files += 1;
    mkdirSync(this.config.root, { recursive: true });
    const safe = stream.replace(/[^A-Za-z0-9_.-]/g, "_");
    const extension = this.config.compression === "gzip" ? "jsonl.gz" : "jsonl";
    const path = join(this.config.root, `${this.config.prefix}${safe}-${this.runId}-${this.files}.${extension}`);
    const disk = createWriteStream(path);
    let file: OpenFile;
    if (this.config.compression === "gzip") {
      const gzip = createGzip();
      file = { path, lines: new NdjsonWriter(gzip), written: pipeline(gzip, disk), close: () => gzip.end(), records: 0, version };
    } else {
      const done = new Promise<void>((resolveDone, reject) => {
        disk.once("close", () => resolveDone());
        disk.once("error", reject);
      });
      file = { path, lines: new NdjsonWriter(disk), written: done, close: () => disk.end(), records: 0, version };
    }
    // A failure shows when the file is closed; until then keep it from crashing the process unhandled.
    file.written.catch(() => undefined);
    this.open.set(stream, file);
    return file;
  }
}
