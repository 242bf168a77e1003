import type { JsonSchema } from "../../singer/src/index.js";
import { METADATA_COLUMNS } from "./merge.js";
import { quoteIdentifier, quoteString } from "./sql.js";
import type { ColumnSpec, ColumnType } from "./type-mapping.js";

/**
 * SQL for loading BATCH files with DuckDB's own reader: read_json reads every top-level property
 * as JSON text (one parse of each line, in parallel), a per-row condition checks each value's JSON
 * type and format the way the stream's JSON Schema does, and casts turn the values into the
 * column types the RECORD path gives them. Rows the condition refuses fail the statement; the
 * caller then names the line and field by reading the file again (batch-files.ts).
 */

/** Keywords that only annotate: they never refuse a value. */
const ANNOTATIONS = new Set(["description", "title", "$schema", "$id", "$comment", "examples", "default", "readOnly", "writeOnly", "deprecated"]);
/** Keywords the SQL condition checks exactly as the record validator (ajv) does. */
const CHECKED = new Set(["type", "format", "properties", "items", "required", "additionalProperties", "anyOf"]);

// The spellings the record validator accepts for date-time and date (record-validator.ts); the calendar check is a cast.
const DATE_TIME = "^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])[T ]([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d+)?(Z|[+-]\\d{2}(:?\\d{2})?)?$";
const DATE = "^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The first keyword of the schema (at any depth) the SQL condition does not check, if any: records
 * of such streams are validated line by line with the record validator instead.
 */
export function uncheckedKeyword(schema: JsonSchema, where = "schema"): string | undefined {
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    if (!CHECKED.has(keyword)) return `${where}: ${keyword}`;
    if (keyword === "items" && !isObject(value)) return `${where}: items (tuple form)`;
    if (keyword === "additionalProperties" && value !== true && !(isObject(value) && Object.keys(value).every((k) => ANNOTATIONS.has(k)))) {
      return `${where}: additionalProperties`;
    }
    if (keyword === "format" && value !== "date-time" && value !== "date") continue;
  }
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const found = isObject(property) ? uncheckedKeyword(property, `${where}.${name}`) : `${where}.${name}: not a schema`;
    if (found) return found;
  }
  if (isObject(schema.items)) {
    const found = uncheckedKeyword(schema.items, `${where}[]`);
    if (found) return found;
  }
  for (const branch of schema.anyOf ?? []) {
    const found = isObject(branch) ? uncheckedKeyword(branch, `${where} (anyOf)`) : `${where}: anyOf branch not a schema`;
    if (found) return found;
  }
  return undefined;
}

function typesOf(schema: JsonSchema): string[] | undefined {
  if (schema.type === undefined) return undefined;
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** Whether the schema lets a value be JSON null. */
function allowsNull(schema: JsonSchema): boolean {
  const types = typesOf(schema);
  const byType = types === undefined || types.includes("null");
  const byAnyOf = schema.anyOf === undefined || schema.anyOf.some((branch) => allowsNull(branch));
  return byType && byAnyOf;
}

/** A JSON path naming one member, whatever characters its name has. */
function jsonPath(name: string): string {
  return `$.${JSON.stringify(name)}`;
}

/** The JSON text of a JSON value (DuckDB keeps it minified, so its first character tells its JSON type). */
function textOf(v: string): string {
  return `CAST(${v} AS VARCHAR)`;
}

/**
 * Condition that a JSON value `v` (never SQL NULL: present in its parent) matches the schema.
 * Types are told by the first character of the value's text, which costs no parsing;
 * `depth` keeps lambda parameter names apart.
 */
function matches(schema: JsonSchema, v: string, depth: number): string {
  const parts: string[] = [];
  const s = textOf(v);
  const c = `left(${s}, 1)`;
  // prefix compares bytes: cheaper than left(), which counts characters (a third of the check's cost).
  const is = (first: string) => `prefix(${s}, '${first}')`;
  // DuckDB's reader takes NaN and Infinity, which are not JSON numbers: a number starts with a digit, or a minus and a digit.
  const isNumber = `(${c} BETWEEN '0' AND '9' OR (${c} = '-' AND substr(${s}, 2, 1) BETWEEN '0' AND '9'))`;
  const types = typesOf(schema);
  if (types !== undefined) {
    const alternatives = types.map((type) => {
      switch (type) {
        case "null":
          return is("n");
        case "boolean":
          return `(${is("t")} OR ${is("f")})`;
        case "integer":
          // ajv counts 1.0 and 1e3 as integers.
          return `(${isNumber} AND ((NOT contains(${s}, '.') AND NOT contains(${s}, 'e') AND NOT contains(${s}, 'E')) OR (isfinite(TRY_CAST(${s} AS DOUBLE)) AND TRY_CAST(${s} AS DOUBLE) = trunc(TRY_CAST(${s} AS DOUBLE)))))`;
        case "number":
          return isNumber;
        case "string":
          return is('"');
        case "object":
          return is("{");
        case "array":
          return is("[");
        default:
          return "false";
      }
    });
    parts.push(alternatives.length === 1 ? (alternatives[0] as string) : `(${alternatives.join(" OR ")})`);
  }
  if (schema.format === "date-time" || schema.format === "date") {
    const text = `(${v} ->> '$')`;
    const pattern = schema.format === "date-time" ? DATE_TIME : DATE;
    // TRY_CAST of the date part refuses days the calendar lacks (30 February). The pattern has no
    // quote or backslash, so the JSON text itself, quotes included, is tried first (no parse);
    // only a string spelled with escapes needs its value extracted.
    const exact = `(regexp_full_match(${text}, ${quoteString(pattern)}) AND TRY_CAST(left(${text}, 10) AS DATE) IS NOT NULL)`;
    const quoted = `"${pattern.slice(1, -1)}"`;
    parts.push(`(NOT ${is('"')} OR CASE WHEN regexp_full_match(${s}, ${quoteString(quoted)}) THEN TRY_CAST(substr(${s}, 2, 10) AS DATE) IS NOT NULL ELSE ${exact} END)`);
  }
  const properties = schema.properties ?? {};
  const required = schema.required ?? [];
  const members = [...Object.keys(properties), ...required.filter((name) => !(name in properties))];
  const memberChecks = members.map((name) => {
    const property = properties[name];
    const m = `m${depth}`;
    const present = property ? matches(property, m, depth + 1) : "true";
    if (required.includes(name)) return `(${m} IS NOT NULL AND ${present})`;
    return present === "true" ? "true" : `(${m} IS NULL OR ${present})`;
  });
  if (memberChecks.some((check) => check !== "true")) {
    // One parse of the object for all its members (json_extract with a list of paths), then a check per member by position.
    const m = `m${depth}`;
    const i = `i${depth}`;
    const cases = memberChecks.map((check, index) => `WHEN ${index + 1} THEN ${check}`);
    const paths = `[${members.map((name) => quoteString(jsonPath(name))).join(", ")}]`;
    parts.push(`(NOT ${is("{")} OR list_bool_and(list_transform(json_extract(${v}, ${paths}), (${m}, ${i}) -> CASE ${i} ${cases.join(" ")} END)))`);
  }
  if (isObject(schema.items)) {
    const e = `e${depth}`;
    const element = matches(schema.items, e, depth + 1);
    if (element !== "true") parts.push(`(NOT ${is("[")} OR coalesce(list_bool_and(list_transform(json_extract(${v}, '$[*]'), ${e} -> ${element})), true))`);
  }
  if (schema.anyOf && schema.anyOf.length > 0) parts.push(`(${schema.anyOf.map((branch) => matches(branch, v, depth)).join(" OR ")})`);
  return parts.length > 0 ? `(${parts.join(" AND ")})` : "true";
}

// Patterns over minified JSON text (DuckDB hands read_json's JSON values over minified), in RE2 syntax.
const STRING = String.raw`"(?:[^"\\]|\\.)*"`;
// Each accepts a subset of what matches() accepts for its type (that check is the reference).
const INTEGER = String.raw`-?(?:0|[1-9][0-9]*)`;
const NUMBER = String.raw`${INTEGER}(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`;
const SCALAR = `(?:${STRING}|${NUMBER}|true|false|null)`;
/**
 * The longest pattern built: each nesting level repeats its members' patterns, so deep schemas
 * would grow them exponentially, and RE2 refuses to compile very large ones ("pattern too large").
 * A longer pattern is left out: its values get the exact check.
 */
const MAX_PATTERN_LENGTH = 16_000;
/** Keywords the fast pattern expresses (beside annotations); any other sends the value to the exact check. */
const EXPRESSED = new Set(["type", "properties", "items", "additionalProperties"]);

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

/**
 * A regular expression that only JSON texts valid under `schema` fully match: a fast, sufficient
 * test for nested values. It matches the common shapes (known members in any order, arrays of
 * them, scalars of the allowed types; objects and arrays the schema leaves open when their
 * members are scalars) and nothing the exact check (matches) refuses; a valid value it does not
 * match (an escaped name, an unknown member holding an object, a required member, a format) goes
 * to the exact check. Undefined when the schema needs more than a pattern can say.
 */
export function fastPattern(schema: JsonSchema): string | undefined {
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    if (!EXPRESSED.has(keyword)) return undefined;
    if (keyword === "additionalProperties" && value !== true && !(isObject(value) && Object.keys(value).every((k) => ANNOTATIONS.has(k)))) return undefined;
  }
  const types = typesOf(schema);
  if (types === undefined) return undefined;
  const alternatives: string[] = [];
  for (const type of types) {
    switch (type) {
      case "null":
        alternatives.push("null");
        break;
      case "boolean":
        alternatives.push("true|false");
        break;
      case "integer":
        alternatives.push(INTEGER);
        break;
      case "number":
        alternatives.push(NUMBER);
        break;
      case "string":
        alternatives.push(STRING);
        break;
      case "object": {
        let member: string;
        if (schema.properties === undefined) {
          member = `${STRING}:${SCALAR}`;
        } else {
          const known = Object.entries(schema.properties).flatMap(([name, property]) => {
            const value = isObject(property) ? fastPattern(property) : undefined;
            return value === undefined ? [] : [`${escapeRegex(JSON.stringify(name))}:(?:${value})`];
          });
          if (known.length === 0) {
            alternatives.push("\\{\\}");
            break;
          }
          member = `(?:${known.join("|")})`;
        }
        alternatives.push(`\\{(?:${member}(?:,${member})*)?\\}`);
        break;
      }
      case "array": {
        const item = schema.items === undefined ? SCALAR : isObject(schema.items) ? fastPattern(schema.items) : undefined;
        alternatives.push(item === undefined ? "\\[\\]" : `\\[(?:(?:${item})(?:,(?:${item}))*)?\\]`);
        break;
      }
      default:
        break;
    }
  }
  const pattern = alternatives.join("|");
  return alternatives.length > 0 && pattern.length <= MAX_PATTERN_LENGTH ? pattern : undefined;
}

/** How a column's JSON value becomes the column's type, as json_transform does on the RECORD path. */
function conversion(v: string, type: ColumnType): string {
  switch (type) {
    case "VARCHAR":
      return `(${v} ->> '$')`;
    case "TIMESTAMPTZ":
    case "DATE":
      return `CAST(${v} ->> '$' AS ${type})`;
    case "JSON":
      return v;
    default:
      return `CAST(${v} AS ${type})`;
  }
}

export interface BatchStream {
  schema: JsonSchema;
  /** The stream's data columns, with the types the table has. */
  columns: ColumnSpec[];
  keyProperties: string[];
  metadata: boolean;
  validate: boolean;
}

export interface BatchLoadPlan {
  /** read_json's `columns`: every top-level property, as JSON. */
  readColumns: string;
  /** The table's columns the insert fills, quoted, in order. */
  insertColumns: string[];
  /**
   * What goes into them, over the read_json row `r`; with metadata columns, parameters $2 received
   * at, $3 batched at (ISO texts), $4 the sequence, $5 the version ($1 is the file).
   */
  values: string[];
  /** Per-row condition (true for a valid row), absent when records are not validated. */
  valid?: string;
  /**
   * Top-level properties the condition cannot settle: read_json gives SQL NULL for a missing
   * member and for JSON null alike, and the schema treats the two apart (non-nullable but optional,
   * or nullable but required). Rows where one is NULL are checked line by line.
   */
  ambiguous: string[];
}

/** The record's top-level properties the load reads (each as JSON): the schema's and the columns'. */
export function topLevelProperties(stream: Pick<BatchStream, "schema" | "columns" | "metadata">): Set<string> {
  const topLevel = new Set<string>([...Object.keys(stream.schema.properties ?? {}), ...stream.columns.map((c) => c.path[0] as string)]);
  if (stream.metadata) topLevel.add("_sdc_deleted_at");
  return topLevel;
}

/**
 * The read, check and conversion SQL for one stream's BATCH files; `row` is where the record's
 * top-level properties are read from (RECORD chunks read them from the message's record).
 */
export function batchLoadPlan(stream: BatchStream, row = "r"): BatchLoadPlan {
  const properties = stream.schema.properties ?? {};
  const topLevel = topLevelProperties(stream);
  const readColumns = `{${[...topLevel].map((name) => `${quoteString(name)}: 'JSON'`).join(", ")}}`;
  const top = (name: string) => `${row}.${quoteIdentifier(name)}`;
  const valueOf = (path: string[]) =>
    path.length === 1 ? top(path[0] as string) : `json_extract(${top(path[0] as string)}, ${quoteString("$" + path.slice(1).map((p) => `.${JSON.stringify(p)}`).join(""))})`;

  const insertColumns = stream.columns.map((c) => quoteIdentifier(c.name));
  const values = stream.columns.map((c) => {
    const v = valueOf(c.path);
    // Inside an object JSON null is a value: its column holds SQL NULL, as on the RECORD path.
    return c.path.length === 1 ? conversion(v, c.type) : `CASE WHEN json_type(${v}) = 'NULL' THEN NULL ELSE ${conversion(v, c.type)} END`;
  });
  if (stream.metadata) {
    for (const column of METADATA_COLUMNS) insertColumns.push(quoteIdentifier(column.name));
    values.push("NULL", "CAST($2 AS TIMESTAMPTZ)", "CAST($3 AS TIMESTAMPTZ)", conversion(top("_sdc_deleted_at"), "TIMESTAMPTZ"), "CAST($4 AS BIGINT)", "CAST($5 AS BIGINT)");
  }

  const plan: BatchLoadPlan = { readColumns, insertColumns, values, ambiguous: [] };
  if (!stream.validate) return plan;
  const required = new Set([...(stream.schema.required ?? []), ...stream.keyProperties]);
  const checks: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    const v = top(name);
    const nullable = allowsNull(property);
    const isRequired = required.has(name);
    // A key property needs a value: missing and null are both refused (as on the RECORD path).
    const isKey = stream.keyProperties.includes(name);
    if (!isKey && nullable === isRequired) plan.ambiguous.push(name);
    const whenNull = isKey || (!nullable && isRequired) ? "false" : "true";
    const exact = matches(property, v, 0);
    // A nested value matching its fast pattern is valid: the exact check (several parses of the value) runs only for the others.
    const fast = exact !== "true" && (property.properties !== undefined || property.items !== undefined) ? fastPattern(property) : undefined;
    const check = fast === undefined ? exact : `CASE WHEN regexp_full_match(${textOf(v)}, ${quoteString(`(?:${fast})`)}) THEN true ELSE ${exact} END`;
    checks.push(check === "true" ? (whenNull === "true" ? "true" : `${v} IS NOT NULL`) : `CASE WHEN ${v} IS NULL THEN ${whenNull} ELSE ${check} END`);
  }
  for (const name of required) if (!(name in properties)) plan.ambiguous.push(name);
  // An integer outside BIGINT's range (the RECORD path refuses it too): UBIGINT above 2^63-1, or a DOUBLE beyond it.
  for (const column of stream.columns.filter((c) => c.type === "BIGINT")) {
    const v = valueOf(column.path);
    checks.push(`(${v} IS NULL OR length(${textOf(v)}) < 19 OR TRY_CAST(${v} AS BIGINT) IS NOT NULL)`);
  }
  const real = checks.filter((c) => c !== "true");
  if (real.length > 0) plan.valid = real.join(" AND ");
  return plan;
}
