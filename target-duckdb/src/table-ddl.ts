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
  const effective = wanted.map((column) => {
    const current = existing.get(column.name.toLowerCase());
    if (!current) {
      statements.push(`ALTER TABLE ${target} ADD COLUMN ${quoteIdentifier(column.name)} ${column.type}`);
      return column;
    }
    // A column of a type this target does not create (made by hand, say) is left alone and loaded as text.
    const type = current.type === undefined ? "VARCHAR" : evolveColumnType(current.type, column.type);
    if (current.type !== undefined && type !== current.type) {
      statements.push(`ALTER TABLE ${target} ALTER COLUMN ${quoteIdentifier(current.name)} TYPE ${type}`);
    }
    return { ...column, name: current.name, type };
  });
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
