/**
 * `make sync CONFIG=tap.json STATE=.sync/state.json [TARGET_CONFIG=target.json] [CATALOG=catalog.json]`:
 * a reproducible run against real Intercom. See scripts/lib/sync-run.ts for what it guarantees.
 */
import { Command } from "commander";
import { access, mkdir, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runSync } from "./lib/sync-run.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

const program = new Command()
  .name("sync")
  .description("run tap-intercom | target-duckdb, keeping the state file between runs")
  .requiredOption("--config <file>", "tap config file (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option("--state <file>", "state file, read before and replaced after a successful run", ".sync/state.json")
  .option("--target-config <file>", "target config file; default: .sync/target.json with path .sync/intercom.duckdb")
  .option("--catalog <file>", "catalog with stream selection; default: the tap's own default selection")
  .option("--log-dir <dir>", "directory of the per-run log files", ".sync/logs");

async function defaultTargetConfig(): Promise<string> {
  const path = resolve(".sync/target.json");
  try {
    await access(path);
  } catch {
    await mkdir(resolve(".sync"), { recursive: true });
    await writeFile(path, JSON.stringify({ path: resolve(".sync/intercom.duckdb") }, null, 2) + "\n");
  }
  return path;
}

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{ config: string[]; state: string; targetConfig?: string; catalog?: string; logDir: string }>();
  const outcome = await runSync({
    tap: { command: join(ROOT, "tap-intercom/bin/tap-intercom") },
    target: { command: join(ROOT, "target-duckdb/bin/target-duckdb") },
    tapConfigs: opts.config.map((c) => resolve(c)),
    targetConfigs: [opts.targetConfig ? resolve(opts.targetConfig) : await defaultTargetConfig()],
    statePath: resolve(opts.state),
    ...(opts.catalog ? { catalogPath: resolve(opts.catalog) } : {}),
    logDir: resolve(opts.logDir),
    echo: (line) => process.stderr.write(line + "\n"),
  });
  process.stderr.write(`log: ${outcome.logPath}\n`);
  process.exitCode = outcome.interrupted ? 128 + constants.signals[outcome.interrupted] : outcome.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`sync: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
