import { InternalError } from "../../singer/src/index.js";
import { qualifiedName, quoteIdentifier } from "./sql.js";
import type { ColumnSpec } from "./type-mapping.js";

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
   * rows a batch replaces cannot be told by rowid, so each chunk deletes them before its insert
   * (chunk-sql.ts deleteKeys).
   */
  hidesRowid: boolean;
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
 * The upsert for loads whose rows may land out of line order (inserted by several threads) but
 * carry `_sdc_sequence` increasing with the line (RECORD chunks): of a key's rows the load
 * inserted, the one of the highest sequence stays, and every older row of that key goes. Takes the
 * lastRowidStatement read before the load, twice.
 */
export function replaceByKeyInSequenceStatement(target: MergeTarget): string {
  const table = qualifiedName(target.schema, target.table);
  const keyColumns = keyColumnsOf(target);
  const keys = keyColumns.map((c, i) => `${quoteIdentifier(c.name)} AS k${i}`).join(", ");
  return (
    `DELETE FROM ${table} AS t USING (SELECT ${keys}, max(_sdc_sequence) AS last FROM ${table} WHERE rowid > ? GROUP BY ALL) AS b ` +
    `WHERE ${keysMatch(keyColumns)} AND (t.rowid <= ? OR t._sdc_sequence < b.last)`
  );
}

/**
 * Counts the rows a load inserted (rowid above the parameter) with SQL NULL in a column of one of
 * `properties`: top-level properties whose missing and null the load's SQL checks cannot tell
 * apart, so such rows are checked again line by line.
 */
export function nullsAfterStatement(target: MergeTarget, properties: string[]): string {
  const column = (name: string) => target.columns.find((c) => c.path.length === 1 && c.path[0] === name)?.name ?? name;
  const nulls = properties.map((name) => `${quoteIdentifier(column(name))} IS NULL`);
  return `SELECT count(*) FROM ${qualifiedName(target.schema, target.table)} WHERE rowid > ? AND (${nulls.join(" OR ")})`;
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
