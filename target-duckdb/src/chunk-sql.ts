import type { JsonSchema } from "../../singer/src/index.js";
import { batchLoadPlan, topLevelProperties } from "./batch-sql.js";
import { keyColumnsOf, keysMatch, METADATA_COLUMNS, type MergeTarget } from "./merge.js";
import { qualifiedName, quoteIdentifier, quoteString } from "./sql.js";
import type { ColumnSpec, ColumnType } from "./type-mapping.js";

/**
 * SQL that loads a chunk file of RECORD messages (chunk-file.ts) with DuckDB's read_json: the
 * message's members are read as JSON, the record's top-level properties too (one parse of each
 * line), and the BATCH path's condition and casts (batch-sql.ts) check and type them. A row the
 * condition refuses fails the statement; the caller then names the line and field with the
 * JavaScript checks.
 */

export interface ChunkStream {
  schema: JsonSchema;
  target: MergeTarget;
  /** Whether records are checked against the schema in SQL (validate_records, unless they are checked line by line in JavaScript). */
  validate: boolean;
  /** Whether only the last line of each key goes in (see Loader's latestPerChunk). */
  latestPerChunk: boolean;
}

export interface ChunkPlan {
  /** Inserts a chunk's rows; parameters $1 the chunk file, $2 the batch time (ISO text, with metadata columns). */
  insert(maximumObjectSize: number): string;
  /** For latestPerChunk streams, the checks as a statement of their own, run before the insert; parameter $1 the chunk file. */
  check(maximumObjectSize: number): string | undefined;
  /** For tables that hide rowid: deletes the table's rows whose keys the chunk's lines carry; parameter $1 the chunk file. */
  deleteKeys(maximumObjectSize: number): string | undefined;
  /** Top-level properties whose missing and null the condition cannot tell apart (see BatchLoadPlan.ambiguous), with their columns. */
  ambiguous: string[];
}

/** read_json's `columns` for the message: the record as a structure of its top-level properties, each JSON. */
function messageColumns(properties: Iterable<string>): string {
  const members = [...properties].map((name) => `${quoteIdentifier(name)} JSON`);
  const record = members.length > 0 ? `STRUCT(${members.join(", ")})` : "JSON";
  // type and stream are read so that a second "stream" (or "type") member fails the line as a repeated name.
  return `{__td_line: 'BIGINT', __td_seq: 'BIGINT', type: 'VARCHAR', stream: 'VARCHAR', version: 'JSON', time_extracted: 'JSON', record: ${quoteString(record)}}`;
}

function readChunk(columns: string, maximumObjectSize: number): string {
  return `read_json($1, format = 'newline_delimited', maximum_object_size = ${Math.ceil(maximumObjectSize)}, columns = ${columns})`;
}

/** A JSON value's text as a DOUBLE (NULL unless it is a number). */
function numberOf(v: string): string {
  return `TRY_CAST(CAST(${v} AS VARCHAR) AS DOUBLE)`;
}

/**
 * What the message must be beside its record's schema (as the JavaScript reader requires): a
 * record object, keys with values, a version that is an integer within BIGINT, a time_extracted
 * that is a timestamp string.
 */
function messageChecks(target: MergeTarget, record: string): string[] {
  const version = numberOf("r.version");
  const timeText = "CAST(r.time_extracted AS VARCHAR)";
  return [
    `${record} IS NOT NULL`,
    ...target.keyProperties.map((key) => `${record}.${quoteIdentifier(key)} IS NOT NULL`),
    `(r.version IS NULL OR (${version} = trunc(${version}) AND ${version} >= -9223372036854775808.0 AND ${version} < 9223372036854775808.0))`,
    `(r.time_extracted IS NULL OR (left(${timeText}, 1) = '"' AND TRY_CAST(r.time_extracted ->> '$' AS TIMESTAMPTZ) IS NOT NULL))`,
  ];
}

export function chunkLoadPlan(stream: ChunkStream): ChunkPlan {
  const { target } = stream;
  const record = "r.record";
  const properties = topLevelProperties({ schema: stream.schema, columns: target.columns, metadata: target.metadata });
  const columns = messageColumns(properties);
  const plan = batchLoadPlan({ schema: stream.schema, columns: target.columns, keyProperties: target.keyProperties, metadata: false, validate: stream.validate }, record);
  const names = [...plan.insertColumns];
  const values = [...plan.values];
  if (target.metadata) {
    const deletedAt = batchLoadPlan({ schema: {}, columns: [], keyProperties: [], metadata: true, validate: false }, record).values[3] as string;
    names.push(...METADATA_COLUMNS.map((c) => quoteIdentifier(c.name)));
    values.push(
      "CAST(r.time_extracted ->> '$' AS TIMESTAMPTZ)",
      "to_timestamp((r.__td_seq // 1000) / 1000000.0)",
      "CAST($2 AS TIMESTAMPTZ)",
      deletedAt,
      "r.__td_seq",
      "CAST(r.version AS BIGINT)",
    );
  }
  const checks = [...messageChecks(target, record), ...(plan.valid ? [plan.valid] : [])];
  const where = `CASE WHEN ${checks.join(" AND ")} THEN true ELSE error('the RECORD message in line ' || r.__td_line || ' does not pass the checks') END`;
  const table = qualifiedName(target.schema, target.table);

  // The key values of each line, typed as the key columns, over a read of the keys alone.
  const keyColumns = target.keyProperties.length > 0 ? keyColumnsOf(target) : [];
  const keyValues = batchLoadPlan({ schema: {}, columns: keyColumns, keyProperties: [], metadata: false, validate: false }, "k.record").values;
  const keyRead = (size: number) => readChunk(messageColumns(target.keyProperties), size);

  return {
    insert(size) {
      const statement = `INSERT INTO ${table} (${names.join(", ")}) SELECT ${values.join(", ")} FROM ${readChunk(columns, size)} AS r WHERE ${where}`;
      // The last line of each key, picked over a read of the keys alone: a window over the parsed rows would hold them all (wide tables).
      if (stream.latestPerChunk) return `${statement} AND r.__td_seq IN (SELECT max(k.__td_seq) FROM ${keyRead(size)} AS k GROUP BY ${keyValues.join(", ")})`;
      return statement;
    },
    check(size) {
      // Every line is checked, the ones a later line of the same key replaces too: a filter of its own, which the optimizer cannot order after the pick.
      return stream.latestPerChunk ? `SELECT count(*) FROM ${readChunk(columns, size)} AS r WHERE ${where}` : undefined;
    },
    deleteKeys(size) {
      if (!target.hidesRowid) return undefined;
      const keys = keyValues.map((value, i) => `${value} AS k${i}`).join(", ");
      return `DELETE FROM ${table} AS t USING (SELECT DISTINCT ${keys} FROM ${keyRead(size)} AS k) AS b WHERE ${keysMatch(keyColumns)}`;
    },
    ambiguous: stream.validate ? plan.ambiguous : [],
  };
}

type Structure = { [name: string]: Structure | ColumnType };

/**
 * Top-level properties per json_transform for wide streams. DuckDB's cost of one STRUCT grows
 * faster than its width (one record of 5,000 fields took 1.6 GB through a single structure, about
 * 350 MB in groups of 500), so wider streams read each line as one JSON value and parse it once
 * per group instead of through read_json's columns.
 */
export const PROPERTIES_PER_TRANSFORM = 500;

/** json_transform's structure for a whole RECORD message (or, for wide tables, one group of its properties). */
function structureOf(columns: ColumnSpec[], metadata: boolean): Structure {
  const record: Structure = {};
  for (const column of columns) {
    let node = record;
    column.path.forEach((name, depth) => {
      if (depth === column.path.length - 1) node[name] = column.type;
      else node = (node[name] ??= {}) as Structure;
    });
  }
  if (!metadata) return { record };
  record["_sdc_deleted_at"] ??= "TIMESTAMPTZ";
  return { record, time_extracted: "TIMESTAMPTZ", version: "BIGINT", __td_seq: "BIGINT" };
}

/** The columns in groups of at most PROPERTIES_PER_TRANSFORM top-level properties (a flattened property's columns stay together); the first group also carries the metadata. */
function transformGroups(columns: ColumnSpec[]): { columns: ColumnSpec[]; alias: string }[] {
  const groups: { columns: ColumnSpec[]; alias: string }[] = [];
  const groupOf = new Map<string, number>();
  for (const column of columns) {
    const top = column.path[0] as string;
    let index = groupOf.get(top);
    if (index === undefined) {
      index = Math.floor(groupOf.size / PROPERTIES_PER_TRANSFORM);
      groupOf.set(top, index);
    }
    (groups[index] ??= { columns: [], alias: index === 0 ? "m" : `m${index}` }).columns.push(column);
  }
  return groups.length > 0 ? groups : [{ columns: [], alias: "m" }];
}

function valueAt(path: string[], alias = "m"): string {
  return [alias, "record", ...path.map(quoteIdentifier)].join(".");
}

/**
 * The chunk plan for streams of more than PROPERTIES_PER_TRANSFORM top-level properties: each line
 * is read as one JSON value and typed with json_transform per group of properties. Their records
 * are parsed and checked in JavaScript as they arrive (keys, version, schema), so the SQL only types them.
 */
export function wideChunkPlan(target: MergeTarget, latestPerChunk: boolean): ChunkPlan {
  const groups = transformGroups(target.columns);
  const aliasOf = new Map(groups.flatMap((group) => group.columns.map((column) => [column, group.alias] as const)));
  const metadata: Record<string, string> = {
    _sdc_extracted_at: "m.time_extracted",
    _sdc_received_at: "to_timestamp((m.__td_seq // 1000) / 1000000.0)",
    _sdc_batched_at: "CAST($2 AS TIMESTAMPTZ)",
    _sdc_deleted_at: valueAt(["_sdc_deleted_at"]),
    _sdc_sequence: "m.__td_seq",
    _sdc_table_version: "m.version",
  };
  const names = [...target.columns.map((c) => c.name), ...(target.metadata ? METADATA_COLUMNS.map((c) => c.name) : [])];
  const values = [...target.columns.map((c) => valueAt(c.path, aliasOf.get(c))), ...(target.metadata ? METADATA_COLUMNS.map((c) => metadata[c.name] as string) : [])];
  const table = qualifiedName(target.schema, target.table);
  const keyColumns = target.keyProperties.length > 0 ? keyColumnsOf(target) : [];
  const keyStructure = quoteString(JSON.stringify({ ...structureOf(keyColumns, false), __td_seq: "BIGINT" }));
  const stagedKeys = target.keyProperties.map((k) => `json_transform(line, ${keyStructure}).record.${quoteIdentifier(k)}`);
  const lines = (size: number) => `(SELECT json AS line FROM read_json_objects($1, format = 'newline_delimited', maximum_object_size = ${Math.ceil(size)}))`;
  return {
    insert(size) {
      let source = lines(size);
      // The last line per key among the chunk's lines (narrow rows), before the parse: a window over parsed wide rows holds them all in memory.
      if (latestPerChunk) source = `(SELECT line FROM ${source} QUALIFY row_number() OVER (PARTITION BY ${stagedKeys.join(", ")} ORDER BY json_transform(line, ${keyStructure}).__td_seq DESC) = 1)`;
      const transforms = groups.map((g, i) => `json_transform(line, ${quoteString(JSON.stringify(structureOf(g.columns, i === 0 && target.metadata)))}) AS ${g.alias}`);
      return `INSERT INTO ${table} (${names.map(quoteIdentifier).join(", ")}) SELECT ${values.join(", ")} FROM (SELECT ${transforms.join(", ")} FROM ${source}) AS src`;
    },
    check: () => undefined,
    deleteKeys(size) {
      if (!target.hidesRowid) return undefined;
      const keys = stagedKeys.map((expression, i) => `${expression} AS k${i}`);
      return `DELETE FROM ${table} AS t USING (SELECT DISTINCT ${keys.join(", ")} FROM ${lines(size)}) AS b WHERE ${keysMatch(keyColumns)}`;
    },
    ambiguous: [],
  };
}
