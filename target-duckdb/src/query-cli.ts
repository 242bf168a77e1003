#!/usr/bin/env node
/**
 * intercom-query: runs SQL against a DuckDB file (read-only) and prints the result as a table,
 * so looking at a sync's result needs nothing beyond what `npm ci` installed. Without SQL it
 * lists the tables of the schema with their rows and latest `updated_at`.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { Command } from "commander";
import { existsSync } from "node:fs";
import { ConfigError, Logger, packageVersion, runMain } from "../../singer/src/index.js";
import { isLocalFile, refuseNonDuckDbFile } from "./database.js";
import { latestUpdatedAt, tableRowCounts } from "./summary.js";
import { textTable } from "./text-table.js";

const logger = new Logger("intercom-query");

const program = new Command()
  .name("intercom-query")
  .description("Print the result of SQL against a DuckDB file as a table; without SQL, list the tables")
  .version(packageVersion)
  .argument("[sql]", "the query, e.g. \"SELECT state, count(*) FROM tap_intercom.conversations GROUP BY 1\"")
  .option("--db <path>", "the DuckDB file", "intercom.duckdb")
  .option("--schema <name>", "the schema listed when no SQL is given", "tap_intercom");

async function listTables(connection: DuckDBConnection, schema: string): Promise<string[]> {
  const rows: unknown[][] = [];
  for (const [table, count] of await tableRowCounts(connection, schema)) {
    const columns = (await connection.runAndReadAll("SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?", [schema, table]))
      .getRowsJson()
      .map((r) => String(r[0]));
    rows.push([`${schema}.${table}`, count, await latestUpdatedAt(connection, schema, table, columns)]);
  }
  return rows.length > 0 ? textTable(["table", "rows", "latest updated_at"], rows) : [`no tables in schema ${schema}`];
}

runMain(async () => {
  program.parse();
  const [sql] = program.args;
  const options = program.opts<{ db: string; schema: string }>();
  if (isLocalFile(options.db)) {
    if (!existsSync(options.db)) throw new ConfigError(`no database at ${options.db}; run a sync first, or pass --db PATH`);
    refuseNonDuckDbFile(options.db, "--db");
  }
  const instance = await DuckDBInstance.create(options.db, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  try {
    let lines: string[];
    if (sql === undefined || sql.trim() === "") {
      lines = await listTables(connection, options.schema);
    } else {
      const result = await connection.runAndReadAll(sql);
      lines = textTable(result.columnNames(), result.getRowsJson());
      lines.push(`(${result.currentRowCount} row${result.currentRowCount === 1 ? "" : "s"})`);
    }
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}, logger);
