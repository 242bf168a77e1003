/** Running the tap's reporting streams against the fixture server: config and catalog files. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FixtureServer } from "../fixtures/src/index.js";
import { TAP_BIN, runCommand } from "./helpers.js";

export const rfc3339 = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/**
 * A tap config that reads only the given datasets, [start, end), with fast polling, no lookback
 * and no settle delay (the fixture's rows are settled by default); the retention limit counts from
 * today, so it is set wide enough to reach the fixture's 2024 data.
 */
export function reportingConfig(
  server: FixtureServer,
  start: number,
  end: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    access_token: server.token,
    base_url: server.url,
    app_id: server.truth().appId,
    client_id: "tap-tests",
    start_date: rfc3339(start),
    reporting_end_date: rfc3339(end),
    reporting_datasets: ["conversation"],
    reporting_poll_interval_seconds: 0.01,
    reporting_lookback_seconds: 0,
    reporting_settle_delay_seconds: 0,
    reporting_retention_days: 3650,
    ...extra,
  };
}

/** Writes the config to `dir`, discovers, and writes a catalog holding only the report streams; returns both paths. */
export async function prepareReportingRun(dir: string, config: Record<string, unknown>): Promise<{ configPath: string; catalogPath: string }> {
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  const discovered = await runCommand(TAP_BIN, ["--config", configPath, "--discover"]);
  if (discovered.code !== 0) throw new Error(`discovery failed: ${discovered.stderr}`);
  const catalog = JSON.parse(discovered.stdout) as { streams: { tap_stream_id: string }[] };
  const catalogPath = join(dir, "catalog.json");
  writeFileSync(catalogPath, JSON.stringify({ streams: catalog.streams.filter((s) => s.tap_stream_id.startsWith("report_")) }));
  return { configPath, catalogPath };
}
