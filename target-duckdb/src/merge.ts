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
  /**
   * The table has keys and a column named rowid, which hides DuckDB's rowid pseudocolumn: the
   * rows a batch replaces cannot be told by rowid, so each chunk deletes them before its insert.
   */
  hidesRowid: boolean;
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

/**
 * Inserts a stage's rows into the target table; takes one parameter, the batch time (ISO string),
 * when metadata is on. Every staged row, unless `latestPerKey`: then only the last line of each key.
 */
export function insertStatement(target: MergeTarget, stageSqlName: string, latestPerKey: boolean): string {
  const groups = transformGroups(target.columns);
  const aliasOf = new Map(groups.flatMap((group) => group.columns.map((column) => [column, group.alias] as const)));
  const names = [...target.columns.map((c) => c.name), ...(target.metadata ? METADATA_COLUMNS.map((c) => c.name) : [])];
  const values = [
    ...target.columns.map((c) => valueAt(c.path, aliasOf.get(c))),
    ...(target.metadata ? METADATA_COLUMNS.map((c) => METADATA_VALUES[c.name] as string) : []),
  ];
  const insertInto = `INSERT INTO ${qualifiedName(target.schema, target.table)} (${names.map(quoteIdentifier).join(", ")}) SELECT ${values.join(", ")} FROM `;
  const parsed = (lines: string) => {
    const transforms = groups.map((g, i) => `json_transform(line, ${quoteString(JSON.stringify(structureOf(g.columns, i === 0 && target.metadata)))}) AS ${g.alias}`);
    return `(SELECT ${transforms.join(", ")}, received_us, seq FROM ${lines}) AS src`;
  };
  const lines = `(SELECT line, received_us, rowid AS seq FROM ${stageSqlName})`;
  if (!latestPerKey) return insertInto + parsed(lines);
  // Wide tables pick the last line per key among the staged lines (narrow rows), before the parse: a window over parsed wide rows holds them all in memory.
  if (groups.length > 1) return insertInto + parsed(`(SELECT * FROM ${lines} QUALIFY row_number() OVER (PARTITION BY ${stagedKeys(target).join(", ")} ORDER BY seq DESC) = 1)`);
  return insertInto + parsed(lines) + ` QUALIFY row_number() OVER (PARTITION BY ${target.keyProperties.map((k) => valueAt([k])).join(", ")} ORDER BY seq DESC) = 1`;
}

/** The key values of each staged line, parsed from it, as SQL expressions over the stage. */
function stagedKeys(target: MergeTarget): string[] {
  const keyStructure = quoteString(JSON.stringify(structureOf(keyColumnsOf(target), false)));
  return target.keyProperties.map((k) => `json_transform(line, ${keyStructure}).record.${quoteIdentifier(k)}`);
}

/** For tables that hide rowid (see MergeTarget.hidesRowid): deletes the table's rows whose keys staged lines carry, before the stage's insert. */
export function deleteStagedKeysStatement(target: MergeTarget, stageSqlName: string): string {
  const keys = stagedKeys(target).map((expression, i) => `${expression} AS k${i}`);
  return `DELETE FROM ${qualifiedName(target.schema, target.table)} AS t USING (SELECT DISTINCT ${keys.join(", ")} FROM ${stageSqlName}) AS b WHERE ${keysMatch(keyColumnsOf(target))}`;
}

/** The table's largest rowid, -1 when it is empty: read before a load's first insert, it tells the rows from before the load from the load's own. */
export function lastRowidStatement(target: MergeTarget): string {
  return `SELECT coalesce(max(rowid), -1) FROM ${qualifiedName(target.schema, target.table)}`;
}

/**
 * Upsert, once a load's rows are in (a batch of RECORDs, a BATCH file): of the rows sharing a key,
 * the last inserted stays, so a later record beats an earlier one and the load beats older rows.
 * Takes the lastRowidStatement read before the load; for keyed tables that do not hide rowid.
 */
export function replaceByKeyStatement(target: MergeTarget): string {
  const table = qualifiedName(target.schema, target.table);
  const keyColumns = keyColumnsOf(target);
  const keys = keyColumns.map((c, i) => `${quoteIdentifier(c.name)} AS k${i}`).join(", ");
  return `DELETE FROM ${table} AS t USING (SELECT ${keys}, max(rowid) AS last FROM ${table} WHERE rowid > ? GROUP BY ALL) AS b WHERE ${keysMatch(keyColumns)} AND t.rowid < b.last`;
}

/**
 * hard_delete: drops the rows marked deleted. Records carrying _sdc_deleted_at are deleted ones:
 * its metadata column, or without metadata columns a declared property of that name.
 */
export function deleteMarkedStatement(target: MergeTarget): string | undefined {
  if (!target.hardDelete || !(target.metadata || target.columns.some((c) => c.name === "_sdc_deleted_at"))) return undefined;
  return `DELETE FROM ${qualifiedName(target.schema, target.table)} WHERE _sdc_deleted_at IS NOT NULL`;
}

/** The columns of the target's key properties, in key order. */
export function keyColumnsOf(target: MergeTarget): ColumnSpec[] {
  return target.keyProperties.map((key) => {
    const column = target.columns.find((c) => c.path.length === 1 && c.path[0] === key);
    if (!column) throw new InternalError(`key property "${key}" has no column`);
    return column;
  });
}

/** Rows `t` of the table whose keys equal the k0, k1… of rows `b`. */
export function keysMatch(keyColumns: ColumnSpec[]): string {
  return keyColumns.map((c, i) => `t.${quoteIdentifier(c.name)} IS NOT DISTINCT FROM b.k${i}`).join(" AND ");
}

/** ACTIVATE_VERSION: rows of older versions are deleted (hard) or marked deleted (soft). */
export function activateVersionStatement(schema: string, table: string, hardDelete: boolean): string {
  const target = qualifiedName(schema, table);
  return hardDelete
    ? `DELETE FROM ${target} WHERE _sdc_table_version < ?`
    : `UPDATE ${target} SET _sdc_deleted_at = CAST(? AS TIMESTAMPTZ) WHERE _sdc_table_version < ? AND _sdc_deleted_at IS NULL`;
}
