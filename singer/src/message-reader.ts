import type { Readable } from "node:stream";
import { duplicateNamePath } from "./duplicate-names.js";
import { SingerInputError } from "./errors.js";
import { readLines } from "./line-reader.js";
import { SINGER_MESSAGE_TYPES, type SingerMessage, type SingerMessageType } from "./messages.js";

/** A line of input: either a known Singer message, or a message of a type this reader does not know. */
export type ReadItem =
  | { kind: "message"; lineNumber: number; message: SingerMessage }
  | { kind: "unknown"; lineNumber: number; type: string; raw: Record<string, unknown> };

/**
 * Reads Singer messages from NDJSON input. Malformed JSON and malformed known messages throw a
 * SingerInputError naming the line; messages of unknown type are handed to the caller to decide.
 */
export async function* readMessages(input: Readable, source = "stdin"): AsyncGenerator<ReadItem> {
  for await (const { lineNumber, text } of readLines(input, undefined, source)) {
    yield parseMessageLine(text, lineNumber, source);
  }
}

export function parseMessageLine(text: string, lineNumber: number, source = "stdin"): ReadItem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new SingerInputError(`malformed JSON (${(error as Error).message}): ${preview}`, { lineNumber, source });
  }
  if (!isObject(parsed)) {
    throw new SingerInputError("a Singer message must be a JSON object", { lineNumber, source });
  }
  const repeated = duplicateNamePath(text, parsed);
  if (repeated) throw repeatedNameError(parsed, repeated, lineNumber, source);
  const type = parsed["type"];
  if (typeof type !== "string") {
    throw new SingerInputError('message has no string "type" field', { lineNumber, source });
  }
  const upper = type.toUpperCase();
  if (!(SINGER_MESSAGE_TYPES as readonly string[]).includes(upper)) {
    return { kind: "unknown", lineNumber, type, raw: parsed };
  }
  const message = { ...parsed, type: upper } as Record<string, unknown>;
  checkMessageShape(upper as SingerMessageType, message, lineNumber, source);
  return { kind: "message", lineNumber, message: message as unknown as SingerMessage };
}

/** A name twice in one object: JSON readers disagree on which value counts (JSON.parse the last, DuckDB the first). */
function repeatedNameError(message: Record<string, unknown>, path: string[], lineNumber: number, source: string): SingerInputError {
  const stream = typeof message["stream"] === "string" ? message["stream"] : undefined;
  const inRecord = path.length > 1 && path[0] === "record" && typeof message["type"] === "string" && message["type"].toUpperCase() === "RECORD";
  const field = (inRecord ? path.slice(1) : path).join(".");
  const name = path[path.length - 1] as string;
  return new SingerInputError(
    `the key ${JSON.stringify(name)} appears twice in one JSON object; JSON readers disagree on which value counts, so the message is refused: send each key once per object`,
    { lineNumber, source, stream, field },
  );
}

function checkMessageShape(type: SingerMessageType, m: Record<string, unknown>, lineNumber: number, source: string): void {
  const fail = (field: string, what: string): never => {
    const stream = typeof m["stream"] === "string" ? m["stream"] : undefined;
    throw new SingerInputError(`${type} message ${what}`, { lineNumber, source, stream, field });
  };
  if (type !== "STATE" && (typeof m["stream"] !== "string" || m["stream"].length === 0)) {
    fail("stream", 'needs a non-empty string "stream"');
  }
  switch (type) {
    case "SCHEMA":
      if (!isObject(m["schema"])) fail("schema", 'needs an object "schema"');
      // The spec requires key_properties, but taps omit it: the reader's user decides what that means.
      if (m["key_properties"] !== undefined && !isStringArray(m["key_properties"])) fail("key_properties", '"key_properties" must be an array of strings');
      if (m["bookmark_properties"] !== undefined) {
        if (typeof m["bookmark_properties"] === "string") m["bookmark_properties"] = [m["bookmark_properties"]];
        if (!isStringArray(m["bookmark_properties"])) {
          fail("bookmark_properties", '"bookmark_properties" must be an array of strings');
        }
      }
      break;
    case "RECORD":
      if (!isObject(m["record"])) fail("record", 'needs an object "record"');
      if (m["version"] !== undefined && typeof m["version"] !== "number") fail("version", '"version" must be a number');
      if (m["time_extracted"] !== undefined && typeof m["time_extracted"] !== "string") {
        fail("time_extracted", '"time_extracted" must be an RFC 3339 string');
      }
      break;
    case "STATE":
      if (!("value" in m)) fail("value", 'needs a "value"');
      break;
    case "ACTIVATE_VERSION":
      if (typeof m["version"] !== "number") fail("version", 'needs a numeric "version"');
      break;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
