/**
 * Benchmark (not a test): a full sync of the `small` fixture at Intercom-like latency, against its
 * floor max(requests ÷ allowed rate, requests × latency ÷ max_concurrency): a first sync is bound by
 * whichever of the two is larger. Target: at most 1.25 × the floor; at 1,000/min (rate-bound) at
 * most 1.10. The fixture runs in its own process with the rate limit in 10-second windows, the tap
 * is the CLI (wall is its own "sync done in" figure, which leaves out Node's start; CPU is the whole
 * tap process). Configurations run interleaved for BENCH_ROUNDS rounds (default 3); each prints
 * its median ratio and the spread (min-max).
 *
 * BENCH_TAP_BASELINE=<another checkout, built> runs that tap in the same rounds, for a before/after.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuSeconds, spawnFixtureServer } from "../scripts/lib/process-stats.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

interface Setting {
  latencyMs: number;
  perMinute: number;
  maxConcurrency: number;
  target: number;
}

const ALL_SETTINGS: Setting[] = [
  { latencyMs: 250, perMinute: 10_000, maxConcurrency: 8, target: 1.25 },
  { latencyMs: 250, perMinute: 10_000, maxConcurrency: 24, target: 1.25 },
  { latencyMs: 50, perMinute: 1_000, maxConcurrency: 8, target: 1.1 },
];

/** BENCH_TAP_SETTINGS=0,1 runs only those of ALL_SETTINGS. */
const SETTINGS = (process.env["BENCH_TAP_SETTINGS"] ?? "").split(",").filter((index) => index !== "").map((index) => ALL_SETTINGS[Number(index)] as Setting);
if (SETTINGS.length === 0) SETTINGS.push(...ALL_SETTINGS);

interface Run {
  wall: number;
  cpu: number;
  requests: number;
  floor: number;
}

function runTap(root: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; cpu: number }> {
  const tap = spawn(join(root, "tap-intercom/bin/tap-intercom"), args, { stdio: ["ignore", "pipe", "pipe"] });
  const pid = tap.pid as number;
  let cpu = 0;
  const poll = setInterval(() => (cpu = cpuSeconds(pid) ?? cpu), 20);
  let stdout = "";
  let stderr = "";
  tap.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  tap.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) =>
    tap.once("close", (code) => {
      clearInterval(poll);
      done({ code, stdout, stderr, cpu });
    }),
  );
}

async function measure(root: string, setting: Setting): Promise<Run> {
  const { url, child } = await spawnFixtureServer(["--scale", "small", "--rate-limit", String(setting.perMinute), "--latency", String(setting.latencyMs)]);
  const dir = mkdtempSync(join(tmpdir(), "tap-latency-"));
  try {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ access_token: "fixture-token", base_url: url, max_concurrency: setting.maxConcurrency }));
    const discovered = await runTap(root, ["--config", config, "--discover"]);
    if (discovered.code !== 0) throw new Error(`discovery failed: ${discovered.stderr}`);
    const catalog = join(dir, "catalog.json");
    writeFileSync(catalog, discovered.stdout);
    // A fresh rate window for the sync itself.
    await new Promise((resolveWait) => setTimeout(resolveWait, 10_500));
    const run = await runTap(root, ["--config", config, "--catalog", catalog]);
    const done = /sync done in ([\d.]+)s: (\d+) requests/.exec(run.stderr);
    if (run.code !== 0 || !done) throw new Error(`sync failed (${String(run.code)}): ${run.stderr.slice(-2000)}`);
    const wall = Number(done[1]);
    const requests = Number(done[2]);
    const floor = Math.max(requests / (setting.perMinute / 60), (requests * setting.latencyMs) / 1000 / setting.maxConcurrency);
    return { wall, cpu: run.cpu, requests, floor };
  } finally {
    child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
  const baseline = process.env["BENCH_TAP_BASELINE"];
  const taps: [string, string][] = baseline ? [["before", resolve(baseline)], ["after", ROOT]] : [["tap", ROOT]];
  const runs = new Map<string, Run[]>();
  const label = (tap: string, s: Setting): string => `${tap.padEnd(6)} ${s.latencyMs} ms, ${s.perMinute}/min, max_concurrency ${s.maxConcurrency}`;
  for (let round = 0; round < rounds; round += 1) {
    for (const setting of SETTINGS) {
      for (const [name, root] of taps) {
        const run = await measure(root, setting);
        runs.set(label(name, setting), [...(runs.get(label(name, setting)) ?? []), run]);
        process.stderr.write(`round ${round + 1}: ${label(name, setting)}: wall ${run.wall.toFixed(1)} s, floor ${run.floor.toFixed(1)} s\n`);
      }
    }
  }
  process.stdout.write(`tap-intercom full sync, small fixture, latency and rate limit of the fixture, ${rounds} interleaved rounds (median [min-max])\n`);
  for (const setting of SETTINGS) {
    for (const [name] of taps) {
      const list = runs.get(label(name, setting)) ?? [];
      const ratios = list.map((run) => run.wall / run.floor);
      const show = (values: number[], digits: number): string => `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}]`;
      process.stdout.write(
        `  ${label(name, setting)}: ${median(list.map((run) => run.requests))} requests, wall ${show(list.map((run) => run.wall), 1)} s, ` +
          `CPU ${show(list.map((run) => run.cpu), 1)} s, floor ${median(list.map((run) => run.floor)).toFixed(1)} s, ratio ${show(ratios, 2)} (target <= ${setting.target.toFixed(2)})\n`,
      );
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
