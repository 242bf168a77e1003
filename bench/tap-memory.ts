/**
 * Benchmark (not a test): the tap's peak resident set size over a full sync of every stream, at the
 * `medium` and `large` fixture scales. The fixture runs in its own process (its data would
 * otherwise count), the tap is the CLI a user runs, with stdout drained to nothing. Target: peak
 * RSS under 120 MB at both scales and within 10% of each other (memory flat in the workspace size).
 * `BENCH_TAP_MEMORY_SCALES=medium` measures one scale only.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuSeconds, peakRss, spawnFixtureServer } from "../scripts/lib/process-stats.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const TAP_BIN = join(ROOT, "tap-intercom/bin/tap-intercom");
const MB = 1024 * 1024;
const TARGET_MB = 120;
/** High enough that the run is bound by the tap, not by waiting for windows; memory does not depend on it. */
const RATE_PER_MINUTE = 600_000;

async function measure(scale: string): Promise<{ peakMb: number; records: number; seconds: number; cpu: number }> {
  const { url, child: fixture } = await spawnFixtureServer(["--scale", scale, "--rate-limit", String(RATE_PER_MINUTE)]);
  const dir = mkdtempSync(join(tmpdir(), "tap-memory-"));
  try {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ access_token: "fixture-token", base_url: url, start_date: "2020-01-01T00:00:00Z" }));
    const started = Date.now();
    const tap = spawn(TAP_BIN, ["--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    const pid = tap.pid as number;
    let peak = 0;
    let cpu = 0;
    let records = 0;
    let stderr = "";
    const poll = setInterval(() => {
      peak = Math.max(peak, peakRss(pid));
      cpu = cpuSeconds(pid) ?? cpu;
    }, 20);
    tap.stdout?.on("data", (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) records += 1;
    });
    tap.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const code = await new Promise<number | null>((done) => tap.once("exit", done));
    clearInterval(poll);
    if (code !== 0) throw new Error(`tap exited ${String(code)}: ${stderr}`);
    return { peakMb: peak / MB, records, seconds: (Date.now() - started) / 1000, cpu };
  } finally {
    fixture.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const scales = (process.env["BENCH_TAP_MEMORY_SCALES"] ?? "medium,large").split(",").filter((s) => s !== "");
  const results = new Map<string, number>();
  process.stdout.write(`tap-intercom peak RSS over a full sync (fixture in its own process; target < ${TARGET_MB} MB, scales within 10%)\n`);
  for (const scale of scales) {
    const { peakMb, records, seconds, cpu } = await measure(scale);
    results.set(scale, peakMb);
    process.stdout.write(`  ${scale.padEnd(6)} peak RSS ${peakMb.toFixed(1)} MB, ${records} messages in ${seconds.toFixed(1)} s wall, ${cpu.toFixed(1)} CPU-s\n`);
  }
  const peaks = [...results.values()];
  if (peaks.length > 1) {
    const spread = Math.max(...peaks) / Math.min(...peaks);
    process.stdout.write(`  largest / smallest ${spread.toFixed(3)} (target <= 1.10), max ${Math.max(...peaks).toFixed(1)} MB (target < ${TARGET_MB})\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
