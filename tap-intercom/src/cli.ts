#!/usr/bin/env node
import { Command } from "commander";
import { Logger, packageVersion, runMain } from "../../singer/src/index.js";

const logger = new Logger("tap-intercom");

const program = new Command()
  .name("tap-intercom")
  .description("Singer tap for Intercom: REST streams and Reporting Data Export datasets")
  .version(packageVersion)
  .option("-c, --config <file>", "config file (repeatable; later files win)", (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option("-s, --state <file>", "state file from a previous run")
  .option("--catalog <file>", "catalog with stream and field selection")
  .option("-p, --properties <file>", "legacy alias of --catalog")
  .option("-d, --discover", "print the catalog and exit")
  .option("--about", "print name, version, capabilities and settings")
  .option("--format <format>", "format of --about: json, markdown or text", "text")
  .option("--test", "check the access token with one cheap call");

runMain(async () => {
  program.parse();
  logger.warn("no streams yet");
}, logger);
