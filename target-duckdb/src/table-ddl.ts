import type { DuckDBConnection } from "@duckdb/node-api";
import { qualifiedName, quoteIdentifier } from "./sql.js";
import { columnTypeFromCatalog, evolveColumnType, type ColumnSpec, type ColumnType } from "./type-mapping.js";

export interface ExistingColumn {
  name: string;
  type: ColumnType | undefined;
}

/** Columns of a table keyed by lower-cased name (DuckDB names are case-insensitive); empty if there is no table. */
export async function readColumns(connection: DuckDBConnection, schema: string, table: string): Promise<Map<string, ExistingColumn>> {
  const reader = await connection.runAndReadAll(
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
    [schema, table],
  );
  const columns = new Map<string, ExistingColumn>();
  for (const [name, dataType] of reader.getRowsJS() as [string, string][]) {
    columns.set(name.toLowerCase(), { name, type: columnTypeFromCatalog(dataType) });
  }
  return columns;
}

export async function createSchemaIfMissing(connection: DuckDBConnection, schema: string): Promise<void> {
  await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
}

/**
 * A number column (BIGINT, DOUBLE) whose stream now sends date-times: widening would turn it into
 * text, mixing numbers with timestamps. The message names what to run instead.
 */
export class ColumnTypeChangeError extends Error {}

function isNumber(type: ColumnType): boolean {
  return type === "BIGINT" || type === "DOUBLE";
}

function isTime(type: ColumnType): boolean {
  return type === "TIMESTAMPTZ" || type === "DATE";
}

function typeChangeMessage(target: string, changes: { name: string; from: ColumnType; to: ColumnType }[]): string {
  const lines = changes.map(({ name, from, to }) => `column "${name}" is ${from} in the database, the stream now sends ${to}`);
  const statements = changes.map(({ name, to }) => {
    const column = quoteIdentifier(name);
    return `  ALTER TABLE ${target} ALTER COLUMN ${column} TYPE ${to} USING to_timestamp(${column})${to === "DATE" ? "::DATE" : ""};`;
  });
  return [
    `table ${target}: ${lines.join("; ")} (tap-intercom now emits Intercom times as date-time strings; earlier versions sent Unix seconds).`,
    "Nothing was changed. If these columns hold Unix seconds, convert them in place, keeping their rows (duckdb CLI or any DuckDB client, on this file):",
    ...statements,
    "or drop the table and sync the stream again from the start (remove its bookmark from the state).",
  ].join("\n");
}

export interface PreparedTable {
  /** The wanted columns, with the names and types the table now has. */
  columns: ColumnSpec[];
  /** Every column of the table, wanted or not, by lower-cased name. */
  columnNames: Set<string>;
}

/**
 * Makes the table fit the columns: creates it, adds missing columns and widens column types;
 * never drops a column or a row.
 */
export async function prepareTable(connection: DuckDBConnection, schema: string, table: string, wanted: ColumnSpec[]): Promise<PreparedTable> {
  const target = qualifiedName(schema, table);
  const existing = await readColumns(connection, schema, table);
  const columnNames = new Set([...existing.keys(), ...wanted.map((column) => column.name.toLowerCase())]);
  if (existing.size === 0) {
    const definitions = wanted.map((column) => `${quoteIdentifier(column.name)} ${column.type}`).join(", ");
    await connection.run(`CREATE TABLE ${target} (${definitions})`);
    return { columns: wanted, columnNames };
  }
  const statements: string[] = [];
  const numbersBecomingTimes: { name: string; from: ColumnType; to: ColumnType }[] = [];
  const effective = wanted.map((column) => {
    const current = existing.get(column.name.toLowerCase());
    if (!current) {
      statements.push(`ALTER TABLE ${target} ADD COLUMN ${quoteIdentifier(column.name)} ${column.type}`);
      return column;
    }
    if (current.type !== undefined && isNumber(current.type) && isTime(column.type)) {
      numbersBecomingTimes.push({ name: current.name, from: current.type, to: column.type });
    }
    // A column of a type this target does not create (made by hand, say) is left alone and loaded as text.
    const type = current.type === undefined ? "VARCHAR" : evolveColumnType(current.type, column.type);
    if (current.type !== undefined && type !== current.type) {
      statements.push(`ALTER TABLE ${target} ALTER COLUMN ${quoteIdentifier(current.name)} TYPE ${type}`);
    }
    return { ...column, name: current.name, type };
  });
  if (numbersBecomingTimes.length > 0) throw new ColumnTypeChangeError(typeChangeMessage(target, numbersBecomingTimes));
  if (statements.length > 0) {
    await connection.run("BEGIN TRANSACTION");
    try {
      for (const statement of statements) await connection.run(statement);
      await connection.run("COMMIT");
    } catch (error) {
      await connection.run("ROLLBACK");
      throw error;
    }
  }
  return { columns: effective, columnNames };
}
