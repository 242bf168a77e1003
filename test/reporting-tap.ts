/** Running the tap's reporting streams against the offline export API: config and catalog files. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TAP_BIN, runCommand } from "./helpers.js";
import type { ExportServer } from "./reporting-export-server.js";

export const rfc3339 = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/** A tap config that reads only the conversation dataset, [start, end), with fast polling. */
export function reportingConfig(server: ExportServer, start: number, end: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    access_token: server.token,
    base_url: server.url,
    app_id: server.appId,
    client_id: server.clientId,
    start_date: rfc3339(start),
    reporting_end_date: rfc3339(end),
    reporting_datasets: ["conversation"],
    reporting_poll_interval_seconds: 0.01,
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
