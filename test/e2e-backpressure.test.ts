import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startPipeline } from "../scripts/lib/pipeline.js";
import { peakRss } from "../scripts/lib/process-stats.js";
import { TAP_BIN } from "./helpers.js";
import { startFixtureServer } from "../fixtures/src/index.js";
import { prepareReportingRun, reportingConfig } from "./reporting-tap.js";

const SLOW_TARGET = resolve(fileURLToPath(import.meta.url), "../fakes/slow-target.js");
const MB = 1024 * 1024;
const DAY = 86400;
const START = Date.UTC(2024, 0, 1) / 1000;

/** Resolves once `read()` has returned the same value `times` polls in a row (the producer has stopped). */
async function settled(read: () => number, times: number, everyMs: number, giveUpMs: number): Promise<number> {
  let last = read();
  let same = 0;
  for (let waited = 0; same < times && waited < giveUpMs; waited += everyMs) {
    await new Promise((r) => setTimeout(r, everyMs));
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

describe("end to end: a slow target", function () {
  this.timeout(180_000);

  it("holds the tap back through the pipe: it stops downloading while the target stops reading, and its RSS stays bounded", async function () {
    if (process.platform !== "linux") this.skip();
    // ~1.3 kB rows, one a second for a day: about 110 MB of CSV in one export download.
    const server = await startFixtureServer({ exportJobSeconds: 0, log: () => undefined, reportingLoad: { rowsPerDay: DAY, textBytes: 1200 } });
    const dir = await mkdtemp(join(tmpdir(), "e2e-backpressure-"));
    try {
      const { configPath, catalogPath } = await prepareReportingRun(dir, reportingConfig(server, START, START + DAY, { reporting_datasets: ["load_test"] }));
      let tapLog = "";
      let onPaused: () => void = () => undefined;
      const paused = new Promise<void>((r) => (onPaused = r));
      const running = startPipeline({
        tap: { command: TAP_BIN, args: ["--config", configPath, "--catalog", catalogPath] },
        target: { command: process.execPath, args: [SLOW_TARGET] },
        env: { SLOW_TARGET_PAUSE_AFTER: String(8 * MB) },
        timeoutMs: 150_000,
        onLog: (source, line) => {
          if (source === "target" && line === "paused") onPaused();
          else if (!line.includes("METRIC")) tapLog += line + "\n";
        },
      });
      const { tapPid, targetPid } = await running.started;
      await paused;
      // The target reads nothing now. A tap that waits for the pipe stops pulling the download.
      const downloaded = await settled(() => server.exportedCsvBytes(), 5, 200, 30_000);
      const peakWhileBlocked = peakRss(tapPid);
      process.kill(targetPid, "SIGUSR1");
      const result = await running.done;
      assert.ok(result.ok, `tap ${JSON.stringify(result.tap)}, target ${JSON.stringify(result.target)}\n${tapLog}`);
      const total = server.exportedCsvBytes();
      const { bytes } = result.states.at(-1) as { bytes: number };
      assert.ok(total >= 100 * MB && bytes >= total, `${Math.round(total / MB)} MB of CSV, ${Math.round(bytes / MB)} MB through the pipe`);
      assert.ok(downloaded < total / 4, `while the target was not reading, the tap pulled ${Math.round(downloaded / MB)} of ${Math.round(total / MB)} MB`);
      assert.ok(peakWhileBlocked > 0 && peakWhileBlocked < 150 * MB, `the tap's peak RSS while held back was ${Math.round(peakWhileBlocked / MB)} MB`);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
