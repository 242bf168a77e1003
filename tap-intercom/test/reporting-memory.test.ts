import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peakRss } from "../../scripts/lib/process-stats.js";
import { TAP_BIN } from "../../test/helpers.js";
import { startFixtureServer } from "../../fixtures/src/index.js";
import { prepareReportingRun, reportingConfig } from "../../test/reporting-tap.js";

const DAY = 86400;
const START = Date.UTC(2024, 0, 1) / 1000;
const MB = 1024 * 1024;

describe("reporting export: memory", function () {
  this.timeout(120_000);

  it("streams a 200 MB uncompressed CSV export with peak RSS under 200 MB", async function () {
    if (process.platform !== "linux") this.skip();
    // One row a second for a day, ~2.5 kB each: about 210 MB of CSV in a single download. The
    // remarks barely compress, so buffering even the gzip body would also break the limit.
    const server = await startFixtureServer({ exportJobSeconds: 0, log: () => undefined, reportingLoad: { rowsPerDay: DAY, textBytes: 2400 } });
    const dir = mkdtempSync(join(tmpdir(), "reporting-memory-"));
    try {
      const { configPath, catalogPath } = await prepareReportingRun(dir, reportingConfig(server, START, START + DAY, { reporting_datasets: ["load_test"] }));
      const child = spawn(TAP_BIN, ["--config", configPath, "--catalog", catalogPath], { stdio: ["ignore", "pipe", "pipe"] });
      const pid = child.pid as number;
      let peak = 0;
      let records = 0;
      let stderr = "";
      const poll = setInterval(() => (peak = Math.max(peak, peakRss(pid))), 25);
      child.stdout.on("data", (chunk: Buffer) => {
        // Sample before the tap can exit; RECORD lines are counted without keeping them.
        peak = Math.max(peak, peakRss(pid));
        for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) records += 1;
      });
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
      clearInterval(poll);
      assert.equal(code, 0, stderr);
      assert.ok(server.exportedCsvBytes() >= 200 * MB, `the export was ${Math.round(server.exportedCsvBytes() / MB)} MB`);
      assert.ok(records >= DAY, `${records} lines`);
      assert.ok(peak > 0, "peak RSS was sampled");
      assert.ok(peak < 200 * MB, `peak RSS ${Math.round(peak / MB)} MB`);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
