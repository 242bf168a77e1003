import { InternalError } from "../../singer/src/index.js";
import { qualifiedName, quoteIdentifier, quoteString } from "./sql.js";
import type { ColumnSpec, ColumnType } from "./type-mapping.js";

/** The _sdc_ metadata columns, in table order. */
export const METADATA_COLUMNS: readonly ColumnSpec[] = [
  { name: "_sdc_extracted_at", type: "TIMESTAMPTZ", path: [] },
  { name: "_sdc_received_at", type: "TIMESTAMPTZ", path: [] },
  { name: "_sdc_batched_at", type: "TIMESTAMPTZ", path: [] },
  { name: "_sdc_deleted_at", type: "TIMESTAMPTZ", path: [] },
  { name: "_sdc_sequence", type: "BIGINT", path: [] },
  { name: "_sdc_table_version", type: "BIGINT", path: [] },
];

export interface MergeTarget {
  schema: string;
  table: string;
  /** Data columns with the types the table has. */
  columns: ColumnSpec[];
  keyProperties: string[];
  metadata: boolean;
  hardDelete: boolean;
}

/** Statements that move a stage's rows into the target table; run them in one transaction. */
export interface MergeStatements {
  /** Removes target rows whose keys are in the batch (upsert), reading keys from the lines; absent without keys. */
  deleteReplaced?: string;
  /** The same from the stage's key text columns, much cheaper; absent when a key column is JSON (no exact text form). */
  deleteReplacedByStagedKeys?: string;
  /** Inserts the staged rows, the last record per key only; takes one parameter: the batch time (ISO string) when metadata is on. */
  insert: string;
  /** Inserts every staged row: the cheaper statement when the staged keys are known to be distinct. */
  insertAll: string;
  /** Drops rows marked deleted (hard_delete with metadata). */
  deleteMarked?: string;
}

type Structure = { [name: string]: Structure | ColumnType };

/**
 * Top-level properties per json_transform. DuckDB's cost of one STRUCT grows faster than its width
 * (one record of 5,000 fields took 1.6 GB through a single structure, about 350 MB in groups of 500),
 * so wider tables parse each line once per group instead.
 */
export const PROPERTIES_PER_TRANSFORM = 500;

/** json_transform's structure for a whole RECORD message (or, for wide tables, one group of its properties): DuckDB parses each line once per structure, in parallel. */
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
  return { record, time_extracted: "TIMESTAMPTZ", version: "BIGINT" };
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

const METADATA_VALUES: Record<string, string> = {
  _sdc_extracted_at: "m.time_extracted",
  _sdc_received_at: "to_timestamp(received_us / 1000000.0)",
  _sdc_batched_at: "CAST(? AS TIMESTAMPTZ)",
  _sdc_deleted_at: valueAt(["_sdc_deleted_at"]),
  _sdc_sequence: "CAST(received_us AS BIGINT)",
  _sdc_table_version: "m.version",
};

export function mergeStatements(target: MergeTarget, stageSqlName: string): MergeStatements {
  const table = qualifiedName(target.schema, target.table);
  const parsed = (structure: Structure) =>
    `(SELECT json_transform(line, ${quoteString(JSON.stringify(structure))}) AS m, received_us, rowid AS seq FROM ${stageSqlName}) AS src`;

  const groups = transformGroups(target.columns);
  const aliasOf = new Map(groups.flatMap((group) => group.columns.map((column) => [column, group.alias] as const)));
  const names = [...target.columns.map((c) => c.name), ...(target.metadata ? METADATA_COLUMNS.map((c) => c.name) : [])];
  const values = [
    ...target.columns.map((c) => valueAt(c.path, aliasOf.get(c))),
    ...(target.metadata ? METADATA_COLUMNS.map((c) => METADATA_VALUES[c.name] as string) : []),
  ];
  const keys = target.keyProperties;
  const insertInto = `INSERT INTO ${table} (${names.map(quoteIdentifier).join(", ")}) SELECT ${values.join(", ")} FROM `;
  let insert: string;
  let insertAll: string;
  if (groups.length === 1) {
    insertAll = insertInto + parsed(structureOf(target.columns, target.metadata));
    const latestPerKey =
      keys.length > 0 ? ` QUALIFY row_number() OVER (PARTITION BY ${keys.map((k) => valueAt([k])).join(", ")} ORDER BY seq DESC) = 1` : "";
    insert = insertAll + latestPerKey;
  } else {
    // The last record per key is picked among the staged lines (narrow rows), before the wide parse:
    // a window over thousands of parsed columns holds them all in memory.
    const wideParsed = (rows: string) => {
      const transforms = groups.map((g, i) => `json_transform(line, ${quoteString(JSON.stringify(structureOf(g.columns, i === 0 && target.metadata)))}) AS ${g.alias}`);
      return `(SELECT ${transforms.join(", ")}, received_us, seq FROM ${rows}) AS src`;
    };
    insertAll = insertInto + wideParsed(`(SELECT line, received_us, rowid AS seq FROM ${stageSqlName})`);
    if (keys.length === 0) insert = insertAll;
    else {
      const keyStructure = quoteString(JSON.stringify(structureOf(keyColumnsOf(target), false)));
      const partition = keys.map((k) => `json_transform(line, ${keyStructure}).record.${quoteIdentifier(k)}`).join(", ");
      insert = insertInto + wideParsed(`(SELECT line, received_us, rowid AS seq FROM ${stageSqlName} QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY rowid DESC) = 1)`);
    }
  }

  const statements: MergeStatements = { insert, insertAll };
  if (keys.length > 0) {
    const keyColumns = keyColumnsOf(target);
    const batchKeys = keyColumns.map((c, i) => `${valueAt(c.path)} AS k${i}`).join(", ");
    const matches = keysMatch(keyColumns);
    statements.deleteReplaced =
      `DELETE FROM ${table} AS t USING (SELECT DISTINCT ${batchKeys} FROM ${parsed(structureOf(keyColumns, false))}) AS b ` +
      `WHERE ${matches}`;
    if (keyColumns.every((c) => c.type !== "JSON")) {
      const stagedKeys = keyColumns.map((c, i) => `TRY_CAST(k${i} AS ${c.type}) AS k${i}`).join(", ");
      statements.deleteReplacedByStagedKeys = `DELETE FROM ${table} AS t USING (SELECT DISTINCT ${stagedKeys} FROM ${stageSqlName}) AS b WHERE ${matches}`;
    }
  }
  const deleteMarked = deleteMarkedStatement(target);
  if (deleteMarked) statements.deleteMarked = deleteMarked;
  return statements;
}

/**
 * hard_delete: drops the rows marked deleted. Records carrying _sdc_deleted_at are deleted ones:
 * its metadata column, or without metadata columns a declared property of that name.
 */
export function deleteMarkedStatement(target: MergeTarget): string | undefined {
  if (!target.hardDelete || !(target.metadata || target.columns.some((c) => c.name === "_sdc_deleted_at"))) return undefined;
  return `DELETE FROM ${qualifiedName(target.schema, target.table)} WHERE _sdc_deleted_at IS NOT NULL`;
}

function keyColumnsOf(target: MergeTarget): ColumnSpec[] {
  return target.keyProperties.map((key) => {
    const column = target.columns.find((c) => c.path.length === 1 && c.path[0] === key);
    if (!column) throw new InternalError(`key property "${key}" has no column`);
    return column;
  });
}

/** Rows `t` of the table whose keys equal the k0, k1… of rows `b`. */
function keysMatch(keyColumns: ColumnSpec[]): string {
  return keyColumns.map((c, i) => `t.${quoteIdentifier(c.name)} IS NOT DISTINCT FROM b.k${i}`).join(" AND ");
}

/** The table's largest rowid (NULL when empty): read before a batch's first insert, it tells the rows from before the batch from the batch's own. */
export function lastRowidStatement(target: MergeTarget): string {
  return `SELECT max(rowid) FROM ${qualifiedName(target.schema, target.table)}`;
}

/**
 * Once per batch instead of once per chunk: removes the rows from before the batch (rowid at most
 * the parameter, given twice) whose keys rows of the batch (rowid above it) carry. Only for tables
 * with keys and without a column named rowid (it would hide the pseudocolumn).
 */
export function deleteReplacedByBatchStatement(target: MergeTarget): string {
  const table = qualifiedName(target.schema, target.table);
  const keyColumns = keyColumnsOf(target);
  const keys = keyColumns.map((c, i) => `${quoteIdentifier(c.name)} AS k${i}`).join(", ");
  return `DELETE FROM ${table} AS t USING (SELECT DISTINCT ${keys} FROM ${table} WHERE rowid > ?) AS b WHERE ${keysMatch(keyColumns)} AND t.rowid <= ?`;
}

/** ACTIVATE_VERSION: rows of older versions are deleted (hard) or marked deleted (soft). */
export function activateVersionStatement(schema: string, table: string, hardDelete: boolean): string {
  const target = qualifiedName(schema, table);
  return hardDelete
    ? `DELETE FROM ${target} WHERE _sdc_table_version < ?`
    : `UPDATE ${target} SET _sdc_deleted_at = CAST(? AS TIMESTAMPTZ) WHERE _sdc_table_version < ? AND _sdc_deleted_at IS NULL`;
}
