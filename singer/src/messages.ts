/** Singer protocol messages, as specified by the Singer spec (plus ACTIVATE_VERSION). */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A JSON Schema document as carried by SCHEMA messages and catalogs. */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  enum?: JsonValue[];
  description?: string;
  [keyword: string]: unknown;
}

export interface SchemaMessage {
  type: "SCHEMA";
  stream: string;
  schema: JsonSchema;
  /** Required by the Singer spec, and always written by this project's tap; absent in some taps' output. */
  key_properties?: string[];
  bookmark_properties?: string[];
}

export interface RecordMessage {
  type: "RECORD";
  stream: string;
  record: Record<string, unknown>;
  version?: number;
  /** RFC 3339 timestamp with time zone. */
  time_extracted?: string;
}

export interface StateMessage {
  type: "STATE";
  value: unknown;
}

export interface ActivateVersionMessage {
  type: "ACTIVATE_VERSION";
  stream: string;
  version: number;
}

export type SingerMessage = SchemaMessage | RecordMessage | StateMessage | ActivateVersionMessage;
export type SingerMessageType = SingerMessage["type"];
export const SINGER_MESSAGE_TYPES: readonly SingerMessageType[] = ["SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION"];

export function schemaMessage(
  stream: string,
  schema: JsonSchema,
  keyProperties: string[],
  bookmarkProperties?: string[],
): SchemaMessage {
  const message: SchemaMessage = { type: "SCHEMA", stream, schema, key_properties: keyProperties };
  if (bookmarkProperties && bookmarkProperties.length > 0) message.bookmark_properties = bookmarkProperties;
  return message;
}

export function recordMessage(
  stream: string,
  record: Record<string, unknown>,
  options: { timeExtracted?: Date | string; version?: number } = {},
): RecordMessage {
  const message: RecordMessage = { type: "RECORD", stream, record };
  if (options.version !== undefined) message.version = options.version;
  if (options.timeExtracted !== undefined) message.time_extracted = toRfc3339(options.timeExtracted);
  return message;
}

export function stateMessage(value: unknown): StateMessage {
  return { type: "STATE", value };
}

export function activateVersionMessage(stream: string, version: number): ActivateVersionMessage {
  return { type: "ACTIVATE_VERSION", stream, version };
}

/** Formats a date as RFC 3339 in UTC with millisecond precision, e.g. 2024-01-02T03:04:05.678Z. */
export function toRfc3339(value: Date | string): string {
  if (typeof value === "string") return value;
  if (Number.isNaN(value.getTime())) throw new RangeError("invalid date for time_extracted");
  return value.toISOString();
}
