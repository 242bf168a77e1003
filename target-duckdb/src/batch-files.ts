import { constants, createReadStream } from "node:fs";
import { access, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import { duplicateNamePath } from "../../singer/src/duplicate-names.js";
import { readLines } from "../../singer/src/index.js";
import { isBigint } from "./record-checks.js";

/** A BATCH message (the Meltano SDK's batch extension), its shape checked. */
export interface BatchMessage {
  stream: string;
  compression: "gzip" | "none";
  /** Local paths of the manifest's file:// URLs, in order. */
  files: string[];
  version: number | undefined;
  /** The message's time_extracted (an extension: the SDK's BATCH has none), as an ISO time. */
  timeExtracted: string | undefined;
}

/** What is wrong with a BATCH message, and which field; thrown before any file is read. */
export class BatchShapeError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const ACCEPTED = '{"type":"BATCH","stream":…,"encoding":{"format":"jsonl","compression":"gzip"|"none"},"manifest":["file://…"]}';

/** Reads a BATCH message's fields; throws BatchShapeError naming the field and the accepted form. */
export function batchMessageOf(raw: Record<string, unknown>): BatchMessage {
  const fail = (field: string, what: string): never => {
    throw new BatchShapeError(`BATCH message ${what} (accepted: ${ACCEPTED})`, field);
  };
  const stream = raw["stream"];
  if (typeof stream !== "string" || stream.length === 0) fail("stream", 'needs a non-empty string "stream"');
  const encoding = raw["encoding"];
  if (typeof encoding !== "object" || encoding === null || Array.isArray(encoding)) return fail("encoding", 'needs an object "encoding"');
  const { format, compression } = encoding as Record<string, unknown>;
  if (format !== "jsonl") fail("encoding.format", `has format ${JSON.stringify(format)}: only "jsonl" is supported`);
  if (compression !== undefined && compression !== "gzip" && compression !== "none") {
    fail("encoding.compression", `has compression ${JSON.stringify(compression)}: "gzip" or "none"`);
  }
  const manifest = raw["manifest"];
  if (!Array.isArray(manifest) || manifest.some((url) => typeof url !== "string")) return fail("manifest", 'needs "manifest", an array of file:// URLs');
  const files = (manifest as string[]).map((url) => {
    if (!/^file:\/\//i.test(url)) return fail("manifest", `lists ${JSON.stringify(url)}: only local file:// URLs are supported`);
    try {
      return fileURLToPath(url);
    } catch (error) {
      return fail("manifest", `lists ${JSON.stringify(url)}, not a usable file URL (${(error as Error).message})`);
    }
  });
  const version = raw["version"];
  if (version !== undefined && (typeof version !== "number" || !isBigint(version))) {
    fail("version", '"version" must be an integer from -2^63 to 2^63-1');
  }
  const extracted = raw["time_extracted"];
  const time = typeof extracted === "string" && /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}/.test(extracted) ? Date.parse(extracted) : Number.NaN;
  if (extracted !== undefined && Number.isNaN(time)) fail("time_extracted", '"time_extracted" must be an RFC 3339 date-time');
  const timeExtracted = extracted === undefined ? undefined : new Date(time).toISOString();
  return { stream: stream as string, compression: compression === "gzip" ? "gzip" : "none", files, version: version as number | undefined, timeExtracted };
}

/** Why a listed file cannot be loaded (missing, a folder, unreadable), or undefined when it can be read. */
export async function unreadableReason(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return "is not a file";
    await access(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "does not exist";
    if (code === "EACCES") return "cannot be read (permission denied)";
    return `cannot be read (${(error as Error).message})`;
  }
}

/** The problem found on one line of a batch file. */
export interface LineProblem {
  line: number;
  message: string;
  field?: string;
}

/**
 * Reads a batch file line by line (blank lines skipped, as DuckDB's reader does) and returns the
 * first line that is not a JSON object or that `check` refuses; undefined when every line passes.
 */
export async function firstBadLine(
  path: string,
  compression: "gzip" | "none",
  check: (record: Record<string, unknown>) => { message: string; field?: string } | undefined,
): Promise<LineProblem | undefined> {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const input: Readable = compression === "gzip" ? file.pipe(createGunzip()) : file;
  file.on("error", (error) => input.destroy(error));
  try {
    for await (const { lineNumber, text } of readLines(input, () => false, path)) {
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch (error) {
        return { line: lineNumber, message: `malformed JSON (${(error as Error).message})` };
      }
      if (typeof record !== "object" || record === null || Array.isArray(record)) return { line: lineNumber, message: "a batch file line must be a JSON object (a record)" };
      const repeated = duplicateNamePath(text, record);
      if (repeated) return { line: lineNumber, message: `the key "${repeated.at(-1)}" appears twice in one JSON object`, field: repeated.join(".") };
      const problem = check(record as Record<string, unknown>);
      if (problem) return { line: lineNumber, ...problem };
    }
    return undefined;
  } catch (error) {
    return { line: 0, message: `cannot be read: ${(error as Error).message}` };
  } finally {
    file.destroy();
  }
}
