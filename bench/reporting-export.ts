/**
 * Reporting export throughput: CSV rows per second through the tap (download + gunzip + parse +
 * type + emit, as a child process writing to /dev/null) against `zcat | wc -l` on the same gzip
 * file, measured in the same run.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, openSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { TAP_BIN } from "../test/helpers.js";
import { startFixtureServer, type FixtureServer } from "../fixtures/src/index.js";
import { prepareReportingRun, reportingConfig } from "../test/reporting-tap.js";

const ROWS = Number(process.env["BENCH_REPORTING_ROWS"] ?? 1_000_000);
const START = Date.UTC(2024, 0, 1) / 1000;

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

function run(command: string, args: string[], stdout: "pipe" | number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", stdout, "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.slice(-500)}`))));
  });
}

/** Downloads the generated export once (the fixture regenerates the same bytes for the tap). */
async function saveExport(server: FixtureServer, path: string): Promise<void> {
  const headers = { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" };
  const enqueue = await fetch(`${server.url}/export/reporting_data/enqueue`, {
    method: "POST",
    headers,
    body: JSON.stringify({ dataset_id: "load_test", attribute_ids: ["row_id", "created_at", "text"], start_time: START, end_time: START + ROWS }),
  });
  const { job_identifier: job } = (await enqueue.json()) as { job_identifier: string };
  const appId = server.truth().appId;
  await fetch(`${server.url}/export/reporting_data/${job}?app_id=${appId}&client_id=bench`, { headers });
  await new Promise<void>((resolve, reject) => {
    get(
      `${server.url}/download/reporting_data/${job}?app_id=${appId}`,
      { headers: { Authorization: headers.Authorization, Accept: "application/octet-stream" } },
      (res) => pipeline(res, createWriteStream(path)).then(resolve, reject),
    ).on("error", reject);
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-reporting-"));
  try {
    const file = join(dir, "export.csv.gz");
    const server = await startFixtureServer({ exportJobSeconds: 0, log: () => undefined, reportingLoad: { rowsPerDay: 86400, textBytes: 100 } });
    try {
      await saveExport(server, file);

      let started = process.hrtime.bigint();
      const lines = Number((await run("sh", ["-c", `zcat '${file}' | wc -l`], "pipe")).trim());
      const zcatSeconds = seconds(started);
      // One header line, then exactly ROWS rows.
      const rows = ROWS;
      if (lines !== rows + 1) throw new Error(`the export has ${lines} lines for ${rows} rows`);

      const { configPath, catalogPath } = await prepareReportingRun(
        dir,
        reportingConfig(server, START, START + ROWS, { reporting_window_seconds: ROWS, reporting_datasets: ["load_test"] }),
      );
      started = process.hrtime.bigint();
      await run(TAP_BIN, ["--config", configPath, "--catalog", catalogPath], openSync("/dev/null", "w"));
      const tapSeconds = seconds(started);

      const tapRate = rows / tapSeconds;
      const zcatRate = rows / zcatSeconds;
      console.log(`reporting export: ${rows} CSV rows`);
      console.log(`  tap (download+gunzip+parse+emit): ${tapSeconds.toFixed(2)} s, ${Math.round(tapRate)} rows/s`);
      console.log(`  zcat | wc -l:                     ${zcatSeconds.toFixed(2)} s, ${Math.round(zcatRate)} rows/s`);
      console.log(`  ratio tap / zcat|wc: ${(tapRate / zcatRate).toFixed(3)}`);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
