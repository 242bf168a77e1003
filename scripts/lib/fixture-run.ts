/**
 * What the demo and the end-to-end tests share: a tap config pointing at the offline fixture
 * server (REST streams plus a quick, bounded reporting export), and reading the DuckDB result
 * back — row counts and keys per table, compared with the fixture's truth.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import type { FixtureServer } from "../../fixtures/src/index.js";
import { DATA_END, DATA_START } from "../../fixtures/src/index.js";
import { getMetadata, type Catalog } from "../../singer/src/index.js";
import { apiVersionAtLeast } from "../../tap-intercom/src/settings.js";

export const DEFAULT_SCHEMA = "tap_intercom";

export const rfc3339 = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/**
 * A tap config for the fixture server: all history, every reporting dataset exported in windows
 * as long as the fixture's fixed data range, with quick polling. The fixture's data lies in 2024,
 * its reporting clock in January 2025: no settle delay is needed, and the retention limit is
 * counted from today, so it is set wide enough to reach 2024.
 */
export function fixtureTapConfig(server: FixtureServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    access_token: server.token,
    base_url: server.url,
    start_date: rfc3339(DATA_START),
    app_id: server.truth().appId,
    client_id: "demo-client",
    reporting_end_date: rfc3339(DATA_END),
    reporting_window_seconds: DATA_END - DATA_START,
    reporting_poll_interval_seconds: 0.05,
    reporting_settle_delay_seconds: 0,
    reporting_retention_days: 3650,
    content_data_export: true,
    // Whole days covering the data range: two content export jobs.
    content_data_window_seconds: Math.ceil((DATA_END - DATA_START) / 86400) * 86400,
    ...extra,
  };
}

export type Row = Record<string, unknown>;

/** Runs queries on a DuckDB file (opened for this call only, so the target can open it next). */
export async function withDuckDb<T>(path: string, work: (query: (sql: string) => Promise<Row[]>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(path);
  try {
    const connection = await instance.connect();
    try {
      return await work(async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Row[]);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Row count per table of a schema. */
export async function tableCounts(path: string, schema = DEFAULT_SCHEMA): Promise<Map<string, number>> {
  return withDuckDb(path, async (query) => {
    const tables = await query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema.replace(/'/g, "''")}' ORDER BY table_name`,
    );
    const counts = new Map<string, number>();
    for (const { table_name: table } of tables) {
      const [row] = await query(`SELECT count(*) AS n FROM ${quoteIdent(schema)}.${quoteIdent(String(table))}`);
      counts.set(String(table), Number(row?.["n"]));
    }
    return counts;
  });
}

/**
 * The key of every row of a table, as the fixture's truth writes ids: key columns joined by ":".
 * Returns all keys (duplicates included), sorted.
 */
export async function tableKeys(path: string, table: string, keyColumns: string[], schema = DEFAULT_SCHEMA): Promise<string[]> {
  const key = keyColumns.map((c) => `CAST(${quoteIdent(c)} AS VARCHAR)`).join(" || ':' || ");
  return withDuckDb(path, async (query) => {
    const rows = await query(`SELECT ${key} AS k FROM ${quoteIdent(schema)}.${quoteIdent(table)}`);
    return rows.map((r) => String(r["k"])).sort();
  });
}

/** Streams the configured API version lacks (metadata `min-api-version`): the tap skips them. */
export function unavailableAt(catalog: Catalog, apiVersion: string): Map<string, string> {
  const gaps = new Map<string, string>();
  for (const stream of catalog.streams) {
    const since = getMetadata(stream, [])["min-api-version"];
    if (typeof since === "string" && !apiVersionAtLeast(apiVersion, since)) gaps.set(stream.tap_stream_id, since);
  }
  return gaps;
}
