/**
 * The end-of-run summary: per table, its rows, the rows this run inserted and updated, and how
 * fresh it is (the latest `updated_at`). Streams that sent a SCHEMA but no record are listed too.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { streamLabel } from "../../singer/src/index.js";
import { qualifiedName, quoteIdentifier } from "./sql.js";
import { textTable } from "./text-table.js";

export interface LoadedTable {
  stream: string;
  table: string;
  received: number;
  /** Whether the table has the _sdc_ metadata columns (to tell updated rows from inserted ones). */
  metadata: boolean;
  columns: string[];
}

/** Rows per table of the schema, read before the run so the summary can tell inserted from updated rows. */
export async function tableRowCounts(connection: DuckDBConnection, schema: string): Promise<Map<string, number>> {
  const tables = (await connection.runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name", [schema])).getRowsJson();
  const counts = new Map<string, number>();
  for (const [table] of tables) {
    const name = String(table);
    const rows = (await connection.runAndReadAll(`SELECT count(*) FROM ${qualifiedName(schema, name)}`)).getRowsJson();
    counts.set(name, Number(rows[0]?.[0] ?? 0));
  }
  return counts;
}

/** An `updated_at` value as an RFC 3339 time: Intercom's unix seconds, or a timestamp as DuckDB prints it. */
export function freshness(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  if (/^\d+$/.test(text)) return new Date(Number(text) * 1000).toISOString().replace(".000Z", "Z");
  return text;
}

export async function latestUpdatedAt(connection: DuckDBConnection, schema: string, table: string, columns: string[]): Promise<string> {
  if (!columns.includes("updated_at")) return "";
  const rows = (await connection.runAndReadAll(`SELECT max(${quoteIdentifier("updated_at")}) FROM ${qualifiedName(schema, table)}`)).getRowsJson();
  return freshness(rows[0]?.[0]);
}

/** The summary's lines. `runStartedAt` is an ISO time before the run's first batch. */
export async function runSummary(
  connection: DuckDBConnection,
  schema: string,
  before: Map<string, number>,
  loaded: LoadedTable[],
  runStartedAt: string,
): Promise<string[]> {
  const rows: unknown[][] = [];
  const empty: string[] = [];
  for (const t of loaded) {
    if (t.received === 0) {
      empty.push(t.stream);
      continue;
    }
    const name = qualifiedName(schema, t.table);
    const total = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${name}`)).getRowsJson()[0]?.[0] ?? 0);
    const inserted = Math.max(0, total - (before.get(t.table) ?? 0));
    let updated: number | string = "";
    if (t.metadata) {
      const touched = (await connection.runAndReadAll(`SELECT count(*) FROM ${name} WHERE ${quoteIdentifier("_sdc_batched_at")} >= CAST(? AS TIMESTAMPTZ)`, [runStartedAt])).getRowsJson();
      updated = Math.max(0, Number(touched[0]?.[0] ?? 0) - inserted);
    }
    rows.push([t.table, total, t.received, inserted, updated, await latestUpdatedAt(connection, schema, t.table, t.columns)]);
  }
  const lines = rows.length > 0 ? textTable(["table", "rows", "received", "inserted", "updated", "latest updated_at"], rows) : [];
  if (empty.length > 0) lines.push(`no records this run: ${empty.map(streamLabel).join(", ")}`);
  return lines;
}
