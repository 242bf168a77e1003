#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";
import { Command, Option } from "commander";
import {
  ConfigError,
  Logger,
  packageVersion,
  parseCatalog,
  parseState,
  readConfigFiles,
  readJsonFile,
  readJsonFileIfExists,
  renderAbout,
  runMain,
  selectedStreams,
  SingerWriter,
  type AboutFormat,
} from "../../singer/src/index.js";
import { about } from "./about.js";
import { BatchingWriter } from "./batch-output.js";
import { explicitlySelected } from "./explicit-selection.js";
import { checkForeignCatalog, checkForeignState } from "./foreign-input.js";
import { checkTokenBeforeSync, discover, sync, testConnection } from "./tap.js";
import { resolveConfig, settingsSchema } from "./settings.js";

// What a sync holds is bounded (see streams/family.ts); without this V8 lets garbage grow the heap
// to about twice that before collecting it. Costs some CPU; the sync is bound by the API, not by it.
setFlagsFromString("--optimize-for-size");

const logger = new Logger("tap-intercom");

interface Options {
  config: string[];
  state?: string;
  catalog?: string;
  properties?: string;
  discover?: boolean;
  about?: boolean;
  format: AboutFormat;
  test?: boolean;
}

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
  .addOption(new Option("--format <format>", "format of --about").choices(["json", "markdown", "text"]).default("text"))
  .option("--test", "check the access token with one cheap call");

/** A state file that does not exist yet is the first run's empty state (the README's usage passes one from the start). */
async function readStateFile(path: string): Promise<ReturnType<typeof parseState>> {
  const value = await readJsonFileIfExists(path, "state");
  if (value === undefined) {
    logger.info(`state file ${path} does not exist yet: starting with an empty state (a full sync)`);
    return parseState(null);
  }
  return checkForeignState(parseState(value, path), `state file ${path}`, logger);
}

runMain(async () => {
  program.parse();
  const options = program.opts<Options>();
  if (options.about) {
    process.stdout.write(renderAbout(about, options.format) + "\n");
    return;
  }
  const config = resolveConfig(await readConfigFiles(options.config));
  // Every setting marked secret (the token, and any added later) is redacted from all output.
  for (const [name, schema] of Object.entries(settingsSchema.properties ?? {})) {
    if (schema.secret === true && typeof config.raw[name] === "string") logger.addSecret(config.raw[name]);
  }
  logger.addSecret(config.accessToken);
  if (config.metrics) logger.enableMetrics();
  if (options.test) {
    await testConnection(config, logger);
    return;
  }
  const writer = config.batch ? new BatchingWriter(process.stdout, config.batch) : new SingerWriter(process.stdout);
  if (options.discover) {
    const catalog = await discover(config, logger);
    process.stdout.write(JSON.stringify(catalog, null, 2) + "\n");
    return;
  }
  if (options.catalog && options.properties && options.catalog !== options.properties) {
    throw new ConfigError("--catalog and --properties name different files; give one");
  }
  const catalogPath = options.catalog ?? options.properties;
  // Every file is read and checked before the first request.
  const catalogFile = catalogPath
    ? checkForeignCatalog(parseCatalog(await readJsonFile(catalogPath, "catalog"), catalogPath), `catalog file ${catalogPath}`, logger)
    : undefined;
  const state = options.state ? await readStateFile(options.state) : parseState(null);
  // A rejected token fails here, before any stream: a stream that skips on 401 could not tell it from a missing scope.
  if (catalogFile) await checkTokenBeforeSync(config, logger);
  const catalog = catalogFile ?? (await discover(config, logger));
  await sync({ config, logger, writer, state, streams: selectedStreams(catalog), explicit: catalogFile ? explicitlySelected(catalog) : new Set() });
  await writer.end();
}, logger);
