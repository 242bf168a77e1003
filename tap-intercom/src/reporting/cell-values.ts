/** Converts CSV cells (always text) into JSON values of the type a field's schema asks for. */
import type { JsonSchema } from "../../../singer/src/index.js";

export type CellConverter = (cell: string) => unknown;

export class CellValueError extends Error {
  constructor(
    readonly field: string,
    readonly cell: string,
    expected: string,
  ) {
    super(`field "${field}": ${JSON.stringify(cell.length > 60 ? `${cell.slice(0, 60)}…` : cell)} is not ${expected}`);
    this.name = "CellValueError";
  }
}

const ZONELESS_DATE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const INTEGER = /^[+-]?\d+$/;
const TRUE = new Set(["true", "t", "yes", "y", "1"]);
const FALSE = new Set(["false", "f", "no", "n", "0"]);

const PLAIN_UTC = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * "2024-06-04 08:33:20" (the common export form) straight to RFC 3339, without a Date round trip;
 * false for that form with an impossible date, undefined for any other form.
 */
function plainUtc(text: string): string | false | undefined {
  const m = PLAIN_UTC.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1];
  if (days === undefined || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return false;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
}

/** Epoch seconds (or milliseconds, when that large) or an ISO 8601 text; a text without zone is UTC. */
export function parseTimestamp(text: string): string | undefined {
  const plain = plainUtc(text);
  if (plain !== undefined) return plain === false ? undefined : plain;
  let ms: number;
  if (INTEGER.test(text)) {
    const n = Number(text);
    ms = Math.abs(n) >= 1e11 ? n : n * 1000;
  } else {
    let iso = text.replace(/ UTC$/, "Z");
    if (ZONELESS_DATE_TIME.test(iso)) iso = `${iso.replace(" ", "T")}Z`;
    ms = Date.parse(iso);
  }
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (typeof schema.type === "string") return [schema.type];
  const branches = schema.anyOf ?? schema.oneOf;
  return branches ? branches.flatMap(typesOf) : [];
}

function formatOf(schema: JsonSchema): string | undefined {
  return schema.format ?? (schema.anyOf ?? schema.oneOf)?.map(formatOf).find((f) => f !== undefined);
}

/** The converter for one field; an empty cell is always null. */
export function converterFor(field: string, schema: JsonSchema): CellConverter {
  const types = typesOf(schema);
  const nonNull = types.filter((t) => t !== "null");
  const check = <T>(convert: (text: string) => T | undefined, expected: string): CellConverter => {
    return (cell) => {
      if (cell === "") return null;
      const value = convert(cell.trim());
      if (value === undefined) throw new CellValueError(field, cell, expected);
      return value;
    };
  };
  if (nonNull.includes("string") || nonNull.length === 0) {
    if (formatOf(schema) === "date-time" && nonNull.length <= 1) return check(parseTimestamp, "a timestamp");
    return (cell) => (cell === "" ? null : cell);
  }
  if (nonNull.includes("number")) {
    return check((text) => {
      const n = text === "" ? NaN : Number(text);
      return Number.isFinite(n) ? n : undefined;
    }, "a number");
  }
  if (nonNull.includes("integer")) {
    return check((text) => {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : undefined;
    }, "an integer");
  }
  if (nonNull.includes("boolean")) {
    return check((text) => {
      const lower = text.toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
    }, "a boolean");
  }
  return (cell) => (cell === "" ? null : cell);
}
