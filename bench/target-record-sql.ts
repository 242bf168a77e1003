/**
 * Prototype (not used by target-duckdb, not a test): the RECORD path of issue 18 item 1 with
 * JavaScript only routing lines and DuckDB parsing, type-checking and typing the records.
 *
 * - Lines are split on bytes; a line starting `{"type":"RECORD","stream":"<name>",` for a stream
 *   with a SCHEMA is appended as a BLOB with its line number (no JS string, no JSON.parse;
 *   `decode()` in SQL refuses invalid UTF-8); any other line is parsed in JS (SCHEMA, STATE).
 * - Every CHUNK_ROWS lines one transaction runs while JS stages the next chunk: one INSERT …
 *   SELECT with two parses per line, json_transform (typed values; date-times read as text) and
 *   one json_type call with every schema path (type and nullability of each property and nested
 *   property, key presence, version), plus json_type with `[*]` on the small JSON text of
 *   array-valued properties (items) and the date-time/date regexes of record-validator.ts; a row
 *   failing a check aborts the statement (`error('flagged line N')`): the real path would then
 *   re-read that chunk with JSON.parse + ajv to name line, stream and field. Then one delete of
 *   the rows the chunk replaces, COMMIT, and the chunk's STATE. PROTO_CHECK=v1 runs the checks
 *   as a separate query on the JSON text of each value instead (slower); PROTO_NOCHECK=1 loads
 *   without checks (the parse-and-type floor of this design).
 * - Checked by hand: 1.5 and "12" for an integer, 30 February and a bare date for date-time,
 *   null and missing keys, a number in a nested object, an integer id in an array's items, 1 for
 *   a boolean, a number for a string, an array for an object: each flagged; a valid record loads.
 * - Not covered (why it stays a prototype): duplicate JSON names (DuckDB keeps both in json_keys
 *   and json(), json_transform takes the first), DuckDB's lenient syntax (NaN, Infinity, -inf,
 *   nan and trailing commas are accepted by every DuckDB JSON function and by read_json; only a
 *   JS check or JSON.parse refuses them), schemas with keywords other than
 *   type/format/properties/items, more than one stream, schema changes, ACTIVATE_VERSION.
 *
 * Measured at 300k contacts with the first SQL checks (bench/target-duckdb.ts input, 3 interleaved rounds per line of the
 * table, each with read_json and the current target; 2 shared vCPUs, load average 5-11; median
 * [min-max], CPU = user+sys seconds, RSS = peak):
 *
 *   read_json              wall 4.1 [2.8-8.7]   CPU 4.2 [3.4-4.4]
 *   target (current path)  wall 11.4 [6.3-16.0] CPU 8.7 [7.3-8.9]  RSS 562 [556-562] MB  CPU ratio 2.07 [2.01-2.14]
 *   prototype, SQL checks  wall 11.7 [10.6-17.0] CPU 8.3 [8.2-9.3] RSS 891 [830-908] MB  CPU ratio 2.21 [1.86-2.44]
 *   prototype, no checks   wall 5.4 [5.3-12.1]  CPU 5.1 [4.9-5.7]  RSS 778 [756-806] MB  CPU ratio 1.36 [1.11-1.50]
 *
 * At 1M (one round, same method): read_json wall 28.8 s, CPU 12.5 s; target 57.8 s, 28.3 CPU-s,
 * 630 MB (CPU ratio 2.27); prototype with checks 74.8 s, 33.3 CPU-s, 958 MB (2.66); without
 * checks 57.0 s, 19.9 CPU-s, 807 MB (1.59).
 *
 * PROTO_CHECK=plan (later): the same lines checked and typed by the BATCH path's SQL
 * (batch-sql.ts batchLoadPlan, with its fast patterns for nested values) over one json_transform
 * of each line into its top-level JSON texts. At 200k contacts, load average ~10: chunks of 100k
 * lines 4.2-4.4 CPU-s, peak RSS 653-830 MB (no checks: 2.9-3.2 CPU-s, 710-734 MB); chunks of 20k
 * lines 5.9 CPU-s, 557 MB; the target itself 5.2 CPU-s, 506 MB; read_json about 3.0-3.5 CPU-s.
 * A line it flags fails the chunk ("flagged line N"), to be re-read by ajv for the field.
 *
 * So the first SQL checks (default mode) cost as much CPU as JSON.parse + ajv in JS (about 3 CPU-s per
 * 300k: a 70-path json_type list per row is not cheap); the BATCH path's cheaper ones (plan) save
 * about a sixth of the target's CPU; and 100k-row chunks staged through the
 * appender (whose buffer DuckDB keeps outside memory_limit) raise peak RSS far above the current
 * path. Usage: BENCH_DIR=<dir with contacts.singer> node dist/bench/target-record-sql.js <database> [chunk rows].
 */
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import { createReadStream, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { JsonSchema } from "../singer/src/index.js";
import { columnsForSchema, type ColumnSpec } from "../target-duckdb/src/type-mapping.js";
import { METADATA_COLUMNS } from "../target-duckdb/src/merge.js";
import { quoteIdentifier, quoteString } from "../target-duckdb/src/sql.js";
import { batchLoadPlan } from "../target-duckdb/src/batch-sql.js";

const DATABASE = process.argv[2] ?? "proto.duckdb";
const CHUNK_ROWS = Number(process.argv[3] ?? 100_000);
const MEMORY_LIMIT = process.env["PROTO_MEMORY_LIMIT"] ?? "256MB";
const INPUT = join(process.env["BENCH_DIR"] ?? ".", "contacts.singer");

// The same spellings record-validator.ts accepts (RE2 syntax).
const DATE_TIME = String.raw`(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?`;
const DATE = String.raw`(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])`;
const INTEGER = String.raw`-?(0|[1-9]\d*)`;
const NUMBER = String.raw`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`;

function typesOf(schema: JsonSchema): string[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** A condition on `v`, the JSON text of a value (NULL when the key is missing). */
function textCheck(v: string, schema: JsonSchema): string {
  const types = typesOf(schema);
  const unsupported = Object.keys(schema).filter((k) => !["type", "format", "properties", "items", "description", "title"].includes(k));
  if (unsupported.length > 0) throw new Error(`prototype cannot check keywords ${unsupported.join(", ")}`);
  const alternatives = types.map((type) => {
    switch (type) {
      case "null":
        return `${v} = 'null'`;
      case "string": {
        const inner = `${v}[2:-2]`;
        if (schema.format === "date-time") return `(${v}[1] = '"' AND regexp_full_match(${inner}, ${quoteString(DATE_TIME)}) AND TRY_CAST(${inner}[1:10] AS DATE) IS NOT NULL)`;
        if (schema.format === "date") return `(${v}[1] = '"' AND regexp_full_match(${inner}, ${quoteString(DATE)}) AND TRY_CAST(${inner} AS DATE) IS NOT NULL)`;
        return `${v}[1] = '"'`;
      }
      case "integer":
        return `regexp_full_match(${v}, ${quoteString(INTEGER)})`;
      case "number":
        return `regexp_full_match(${v}, ${quoteString(NUMBER)})`;
      case "boolean":
        return `${v} IN ('true', 'false')`;
      case "object":
        return `${v}[1] = '{'`;
      case "array":
        return `${v}[1] = '['`;
      default:
        throw new Error(`type ${type}`);
    }
  });
  const own = alternatives.length > 0 ? `(${alternatives.join(" OR ")})` : "true";
  const nested = nestedChecks(v, schema, "$");
  return `(${v} IS NULL OR (${[own, ...nested].join(" AND ")}))`;
}

const JSON_TYPES: Record<string, string[]> = {
  null: ["NULL"],
  string: ["VARCHAR"],
  integer: ["BIGINT", "UBIGINT"],
  number: ["BIGINT", "UBIGINT", "DOUBLE"],
  boolean: ["BOOLEAN"],
  object: ["OBJECT"],
  array: ["ARRAY"],
};

/** Conditions on the inner values of an object/array value, by json_type on its (small) JSON text. */
function nestedChecks(v: string, schema: JsonSchema, path: string): string[] {
  const checks: string[] = [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, sub] of Object.entries(properties)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`prototype cannot address ${name}`);
    checks.push(...pathChecks(v, sub, `${path}.${name}`));
  }
  const items = schema.items as JsonSchema | undefined;
  if (items) checks.push(...pathChecks(v, items, `${path}[*]`));
  return checks;
}

function pathChecks(v: string, schema: JsonSchema, path: string): string[] {
  const unsupported = Object.keys(schema).filter((k) => !["type", "properties", "items", "description", "title"].includes(k));
  if (unsupported.length > 0) throw new Error(`prototype cannot check ${unsupported.join(", ")} at ${path}`);
  const allowed = typesOf(schema).flatMap((t) => JSON_TYPES[t] ?? []);
  const checks: string[] = [];
  if (allowed.length > 0) {
    const list = allowed.map((t) => `'${t}'`).join(", ");
    checks.push(
      path.includes("[*]")
        ? `coalesce(list_bool_and(list_transform(json_type(${v}, ${quoteString(path)}), t -> t IN (${list}))), true)`
        : `coalesce(json_type(${v}, ${quoteString(path)}) IN (${list}), true)`,
    );
  }
  return [...checks, ...nestedChecks(v, schema, path)];
}


/** One check: the json_type of a path (index into the one multi-path json_type call), the types it may have. */
interface PathCheck {
  path: string;
  allowed: string[];
  /** Key properties must be present and not null. */
  required: boolean;
}

/** Paths without wildcards, checked by one json_type call over the whole line; wildcard (items) checks on the property's small JSON text. */
function collectChecks(schema: JsonSchema, path: string, property: string | undefined, out: PathCheck[], wildcards: string[]): void {
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`prototype cannot address ${name}`);
    const unsupported = Object.keys(sub).filter((k) => !["type", "format", "properties", "items", "description", "title"].includes(k));
    if (unsupported.length > 0) throw new Error(`prototype cannot check ${unsupported.join(", ")} at ${path}.${name}`);
    const top = property ?? name;
    out.push({ path: `${path}.${name}`, allowed: typesOf(sub).flatMap((t) => JSON_TYPES[t] ?? []), required: false });
    collectChecks(sub, `${path}.${name}`, top, out, wildcards);
    const items = sub.items as JsonSchema | undefined;
    if (items) {
      const within = `$${`${path}.${name}`.slice(`$.record.${top}`.length)}[*]`;
      wildcards.push(...pathChecks(`m.record.${quoteIdentifier(top)}`, items, within));
    }
  }
}

interface Stream {
  name: string;
  prefix: Buffer;
  columns: ColumnSpec[];
  checkSql: string;
  insertSql: string;
  deleteSql: string;
}

type Structure = { [name: string]: Structure | string };

async function prepare(connection: DuckDBConnection, name: string, schema: JsonSchema, keys: string[]): Promise<Stream> {
  const columns = columnsForSchema(schema, 0, keys);
  const all = [...columns, ...METADATA_COLUMNS];
  await connection.run(`CREATE TABLE IF NOT EXISTS ${quoteIdentifier(name)} (${all.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(", ")})`);
  const properties = schema.properties as Record<string, JsonSchema>;
  const asText: Structure = Object.fromEntries(Object.keys(properties).map((p) => [p, "JSON"]));
  const checks = [
    `j.type::VARCHAR = '"RECORD"'`,
    `j.stream::VARCHAR = ${quoteString(JSON.stringify(name))}`,
    `j.record IS NOT NULL`,
    `(j.version IS NULL OR TRY_CAST(j.version::VARCHAR AS BIGINT) IS NOT NULL AND regexp_full_match(j.version::VARCHAR, ${quoteString(INTEGER)}))`,
    `(j.time_extracted IS NULL OR (j.time_extracted::VARCHAR)[1] = '"')`,
    ...keys.map((k) => `coalesce(j.record.${quoteIdentifier(k)}::VARCHAR <> 'null', false)`),
    ...Object.entries(properties).map(([p, s]) => textCheck(`(j.record.${quoteIdentifier(p)}::VARCHAR)`, s)),
  ];
  const shape = { type: "JSON", stream: "JSON", version: "JSON", time_extracted: "JSON", record: asText };
  const checkSql =
    `SELECT ln FROM (SELECT ln, json_transform(decode(line), ${quoteString(JSON.stringify(shape))}) AS j FROM stage) ` + `WHERE NOT coalesce(${checks.join("\n AND ")}, false) ORDER BY ln LIMIT 100`;
  const typed: Structure = {};
  const timeText = (c: ColumnSpec) => c.type === "TIMESTAMPTZ" || c.type === "DATE";
  for (const c of columns) typed[c.path[0] as string] = timeText(c) ? "VARCHAR" : c.type;
  typed["_sdc_deleted_at"] = "TIMESTAMPTZ";
  const structure = { type: "VARCHAR", stream: "VARCHAR", record: typed, time_extracted: "VARCHAR", version: "BIGINT" };
  const pathChecksList: PathCheck[] = [
    { path: "$.record", allowed: ["OBJECT"], required: true },
    { path: "$.time_extracted", allowed: ["VARCHAR"], required: false },
    { path: "$.version", allowed: ["BIGINT", "UBIGINT"], required: false },
    ...keys.map((k) => ({ path: `$.record.${k}`, allowed: [], required: true })),
  ];
  const wildcardChecks: string[] = [];
  collectChecks(schema, "$.record", undefined, pathChecksList, wildcardChecks);
  const paths = `[${pathChecksList.map((c) => quoteString(c.path)).join(", ")}]`;
  const conditions = [
    `m.type = 'RECORD'`,
    `m.stream = ${quoteString(name)}`,
    `(t[3] IS NULL OR m.version IS NOT NULL)`,
    ...pathChecksList.map((c, i) => {
      const type = `t[${i + 1}]`;
      const own = c.allowed.length > 0 ? `${type} IN (${c.allowed.map((a) => `'${a}'`).join(", ")})` : "true";
      return c.required ? `(${type} IS NOT NULL AND ${type} <> 'NULL' AND ${own})` : `(${type} IS NULL OR ${own})`;
    }),
    ...columns.filter((c) => c.type === "BIGINT").map((c) => `(m.record.${quoteIdentifier(c.path[0] as string)} IS NOT NULL OR coalesce(t[${pathChecksList.findIndex((p) => p.path === `$.record.${c.path[0]}`) + 1}], 'NULL') = 'NULL')`),
    ...columns.filter(timeText).map((c) => {
      const v = `m.record.${quoteIdentifier(c.path[0] as string)}`;
      const pattern = c.type === "DATE" ? DATE : DATE_TIME;
      return `(${v} IS NULL OR regexp_full_match(${v}, ${quoteString(pattern)}) AND TRY_CAST(${v}[1:10] AS DATE) IS NOT NULL)`;
    }),
    ...wildcardChecks,
  ];
  const values = [
    ...columns.map((c) => (timeText(c) ? `CAST(m.record.${quoteIdentifier(c.path[0] as string)} AS ${c.type})` : `m.record.${quoteIdentifier(c.path[0] as string)}`)),
    "CAST(m.time_extracted AS TIMESTAMPTZ)",
    "now()",
    "now()",
    "m.record._sdc_deleted_at",
    "ln",
    "m.version",
  ];
  let insertSql =
    `INSERT INTO ${quoteIdentifier(name)} SELECT ${values.join(", ")} FROM ` +
    `(SELECT ln, json_transform(decode(line), ${quoteString(JSON.stringify(structure))}) AS m, json_type(decode(line), ${paths}) AS t FROM stage) ` +
    `WHERE CASE WHEN NOT coalesce(${process.env["PROTO_NOCHECK"] ? "true" : conditions.join("\n AND ")}, false) THEN error('flagged line ' || ln) END IS NULL ` +
    (keys.length > 0 ? `QUALIFY row_number() OVER (PARTITION BY ${keys.map((k) => `m.record.${quoteIdentifier(k)}`).join(", ")} ORDER BY ln DESC) = 1` : "");
  if (process.env["PROTO_CHECK"] === "plan") {
    // The BATCH path's checks and conversions (batch-sql.ts: fast patterns for nested values) over
    // the record's top-level properties as JSON texts, one json_transform parse per line.
    const plan = batchLoadPlan({ schema, columns, keyProperties: keys, metadata: false, validate: true });
    const envelope = { type: "VARCHAR", stream: "VARCHAR", record: asText, time_extracted: "VARCHAR", version: "JSON" };
    const envelopeOk = [
      `_msg_type = 'RECORD'`,
      `_msg_stream = ${quoteString(name)}`,
      `(_msg_version IS NULL OR regexp_full_match(_msg_version::VARCHAR, ${quoteString(INTEGER)}) AND TRY_CAST(_msg_version AS BIGINT) IS NOT NULL)`,
    ];
    const keyOrder = keys.map((k) => `r.${quoteIdentifier(k)}`).join(", ");
    insertSql =
      `INSERT INTO ${quoteIdentifier(name)} SELECT ${plan.values.join(", ")}, CAST(_msg_time AS TIMESTAMPTZ), now(), now(), NULL, ln, CAST(_msg_version AS BIGINT) FROM ` +
      `(SELECT ln, unnest(j.record), j.type AS _msg_type, j.stream AS _msg_stream, j.time_extracted AS _msg_time, j.version AS _msg_version ` +
      `FROM (SELECT ln, json_transform(decode(line), ${quoteString(JSON.stringify(envelope))}) AS j FROM stage)) AS r ` +
      `WHERE CASE WHEN NOT coalesce(${[...envelopeOk, ...(plan.valid ? [plan.valid] : [])].join(" AND ")}, false) THEN error('flagged line ' || ln) END IS NULL` +
      (keys.length > 0 ? ` QUALIFY row_number() OVER (PARTITION BY ${keyOrder} ORDER BY ln DESC) = 1` : "");
  }
  const keyList = keys.map(quoteIdentifier).join(", ");
  const deleteSql =
    keys.length > 0
      ? `DELETE FROM ${quoteIdentifier(name)} AS t USING (SELECT ${keyList}, max(_sdc_sequence) AS s FROM ${quoteIdentifier(name)} WHERE rowid > $1 GROUP BY ALL) AS b ` +
        `WHERE ${keys.map((k) => `t.${quoteIdentifier(k)} = b.${quoteIdentifier(k)}`).join(" AND ")} AND t._sdc_sequence < b.s`
      : "";
  return { name, prefix: Buffer.from(`{"type":"RECORD","stream":${JSON.stringify(name)},`), columns, checkSql, insertSql, deleteSql };
}

async function main(): Promise<void> {
  if (!existsSync(INPUT)) {
    console.log(`target-record-sql: prototype skipped (it reads ${INPUT}: run BENCH_DIR=<dir> node dist/bench/target-duckdb.js first)`);
    return;
  }
  rmSync(DATABASE, { force: true });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const instance = await DuckDBInstance.create(DATABASE, { threads: "1", memory_limit: MEMORY_LIMIT });
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  const loader = connection;
  await connection.run("CREATE TEMP TABLE stage_a (ln BIGINT, line BLOB)");
  await connection.run("CREATE TEMP TABLE stage_b (ln BIGINT, line BLOB)");
  let stream: Stream | undefined;
  let active = { table: "stage_a", appender: await connection.createAppender("stage_a", "main", "temp"), rows: 0 };
  let spare = { table: "stage_b", appender: undefined as DuckDBAppender | undefined, rows: 0 };
  let background: Promise<void> | undefined;
  let pendingState: unknown;
  let states = 0;
  let flagged = 0;

  const load = async (table: string, state: unknown): Promise<void> => {
    const s = stream as Stream;
    const sql = (text: string) => text.replaceAll("FROM stage)", `FROM temp.main.${table})`);
    const bad = process.env["PROTO_CHECK"] === "v1" ? (await loader.runAndReadAll(sql(s.checkSql))).getRowsJS() : [];
    flagged += bad.length;
    if (bad.length > 0 && process.env["PROTO_SHOW"]) console.log("flagged lines", bad.map((r) => String(r[0])).join(" "));
    await loader.run("BEGIN TRANSACTION");
    const before = (await loader.runAndReadAll(`SELECT coalesce(max(rowid), -1) FROM ${quoteIdentifier(s.name)}`)).getRowsJS()[0]?.[0] as bigint;
    await loader.run(sql(s.insertSql));
    if (before >= 0n && s.deleteSql) await loader.run(s.deleteSql, [before]);
    await loader.run(`DELETE FROM temp.main.${table}`);
    await loader.run("COMMIT");
    if (state !== undefined) states += 1;
  };
  const flush = async (): Promise<void> => {
    if (background) await background;
    active.appender.closeSync();
    const full = active;
    active = { table: spare.table, appender: await connection.createAppender(spare.table, "main", "temp"), rows: 0 };
    spare = { table: full.table, appender: undefined, rows: 0 };
    const state = pendingState;
    pendingState = undefined;
    background = load(full.table, state);
  };

  let lineNumber = 0;
  let rest: Buffer | undefined;
  for await (const piece of createReadStream(INPUT, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buffer = rest ? Buffer.concat([rest, piece]) : piece;
    let start = 0;
    for (let end = buffer.indexOf(10); end !== -1; start = end + 1, end = buffer.indexOf(10, start)) {
      lineNumber += 1;
      const line = buffer.subarray(start, end);
      if (stream && line.length > stream.prefix.length && line.compare(stream.prefix, 0, stream.prefix.length, 0, stream.prefix.length) === 0) {
        active.appender.appendBigInt(BigInt(lineNumber));
        active.appender.appendBlob(line);
        active.appender.endRow();
        active.rows += 1;
        if (active.rows >= CHUNK_ROWS) await flush();
        continue;
      }
      const message = JSON.parse(line.toString("utf8")) as { type: string; stream: string; schema: JsonSchema; key_properties: string[]; value: unknown };
      if (message.type === "SCHEMA") stream = await prepare(connection, message.stream, message.schema, message.key_properties);
      else if (message.type === "STATE") pendingState = message.value;
    }
    rest = start < buffer.length ? buffer.subarray(start) : undefined;
  }
  await flush();
  await background;
  const rows = (await connection.runAndReadAll(`SELECT count(*) FROM ${quoteIdentifier(stream?.name ?? "contacts")}`)).getRowsJS()[0]?.[0];
  connection.closeSync();
  instance.closeSync();
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(
    `prototype chunk ${CHUNK_ROWS} memory_limit ${MEMORY_LIMIT}: ${seconds.toFixed(2)} s, ${((used.user + used.system) / 1e6).toFixed(1)} CPU s (${rows} rows, ${states} states, ${flagged} lines flagged), peak RSS ${peak.toFixed(0)} MB`,
  );
}

await main();
