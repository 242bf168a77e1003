#!/usr/bin/env node
import { Command } from "commander";
import { Logger, packageVersion, readMessages, runMain } from "../../singer/src/index.js";

const logger = new Logger("target-duckdb");

const program = new Command()
  .name("target-duckdb")
  .description("Singer target that upserts into a DuckDB database file")
  .version(packageVersion)
  .option("-c, --config <file>", "config file (repeatable; later files win)", (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option("--input <file>", "read messages from a file instead of stdin")
  .option("--about", "print name, version, capabilities and settings")
  .option("--format <format>", "format of --about: json, markdown or text", "text");

runMain(async () => {
  program.parse();
  let count = 0;
  for await (const item of readMessages(process.stdin)) {
    if (item.kind === "unknown") logger.warn(`line ${item.lineNumber}: unknown message type "${item.type}" skipped`);
    else count += 1;
  }
  logger.info(`read ${count} messages; loading is not implemented yet`);
}, logger);
