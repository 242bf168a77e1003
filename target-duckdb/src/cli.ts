#!/usr/bin/env node
import { Command } from "commander";
import { createReadStream } from "node:fs";
import { constants } from "node:os";
import {
  ConfigError,
  Logger,
  packageVersion,
  readConfigFiles,
  renderAbout,
  runMain,
  type AboutFormat,
} from "../../singer/src/index.js";
import { runTarget } from "./run.js";
import { about, resolveSettings } from "./settings.js";

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
  const options = program.opts<{ config: string[]; input?: string; about?: boolean; format: string }>();
  if (options.about) {
    if (!["json", "markdown", "text"].includes(options.format)) throw new ConfigError(`--format must be json, markdown or text`);
    process.stdout.write(renderAbout(about, options.format as AboutFormat) + "\n");
    return;
  }
  const settings = resolveSettings(await readConfigFiles(options.config));
  const input = options.input ? createReadStream(options.input, { highWaterMark: 1 << 20 }) : process.stdin;
  let signal: NodeJS.Signals | undefined;
  try {
    signal = await runTarget({
      settings,
      input,
      source: options.input ?? "stdin",
      output: process.stdout,
      logger,
      showProgress: process.stderr.isTTY === true,
    });
  } finally {
    // A run that stopped early must not wait for the rest of its input.
    input.destroy();
  }
  if (signal) process.exitCode = 128 + constants.signals[signal];
}, logger);
