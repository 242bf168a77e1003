/** The checks every record gets beyond JSON Schema, whichever message brought it (RECORD, or a line of a BATCH file). */
import type { RecordValidator } from "./record-validator.js";

export interface RecordProblem {
  message: string;
  field?: string;
}

const KEY_VALUE_NEEDED =
  "a stream with key_properties needs a value (a string, number or boolean) in each key property of every record, " +
  "or records with equal keys would replace each other; a stream whose records have no key declares key_properties []";

/** Whether a number fits DuckDB's BIGINT (-2^63 to 2^63-1) as an integer. */
export function isBigint(value: number): boolean {
  return Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63;
}

/** A key property that is null or missing: records with equal keys would replace each other. */
export function keyProblem(keyProperties: string[], record: Record<string, unknown>): RecordProblem | undefined {
  for (const key of keyProperties) {
    const value = record[key];
    if (value === null || value === undefined) {
      return { message: `${key in record ? "key property is null" : "record lacks a key property"}: ${KEY_VALUE_NEEDED}`, field: key };
    }
  }
  return undefined;
}

/** The schema's verdict, then integers outside the range of their BIGINT columns (`bigintPaths`, empty when records are not validated). */
export function valueProblem(stream: { validate: RecordValidator | undefined; bigintPaths: string[][] }, record: Record<string, unknown>): RecordProblem | undefined {
  const failure = stream.validate?.(record);
  if (failure) return { message: `record does not match the schema: ${failure.message}`, field: failure.field };
  for (const path of stream.bigintPaths) {
    const value = valueAtPath(record, path);
    if (typeof value === "number" && (value >= 2 ** 63 || value < -(2 ** 63))) {
      return { message: "integer is outside the range of its BIGINT column (-2^63 to 2^63-1)", field: path.join(".") };
    }
  }
  return undefined;
}

/** The value a column reads from a record: the record at the column's path (undefined where the path ends early). */
function valueAtPath(record: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = record;
  for (const name of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}
