/**
 * Benchmark (not a test): a full sync of a fixture workspace at Intercom-like latency, against its
 * floor max(requests ÷ allowed rate, requests × latency ÷ max_concurrency): a first sync is bound by
 * whichever of the two is larger. Goal: at most 1.25 × the floor; at 1,000/min (rate-bound) at most
 * 1.10. The fixture runs in its own process with the rate limit in Intercom's 10-second windows,
 * the tap is the CLI (wall is its own "sync done in" figure, which leaves out Node's start; CPU is
 * the whole tap process). Configurations run interleaved for BENCH_ROUNDS rounds (default 3); each
 * prints its median ratio and the spread (min-max) against its goal.
 *
 * `make bench` runs a reduced set (DEFAULT_SETTINGS: small at both latencies and rates with
 * max_concurrency 8 and 32, medium at 50 ms, 10,000/min, 32; a medium sync at 1,000/min takes about
 * twelve minutes a run, at 250 ms and max_concurrency 8 about six).
 * `node dist/bench/tap-latency.js --full` runs the whole matrix: small and medium, 50 and 250 ms,
 * 1,000 and 10,000/min, max_concurrency 8, 24 and 32 (hours at medium and 1,000/min). Any subset:
 * `--scales small --latencies 50,250 --rates 10000 --concurrency 8,32`, or a list of settings:
 * `--only small:50:1000:8,medium:250:10000:32` (scale:latency ms:requests per minute:max_concurrency).
 *
 * BENCH_TAP_BASELINE=<another checkout, built> runs that tap in the same rounds, for a before/after.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuSeconds, spawnFixtureServer } from "../scripts/lib/process-stats.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

interface Setting {
  scale: "small" | "medium";
  latencyMs: number;
  perMinute: number;
  maxConcurrency: number;
}

const goalOf = (setting: Setting): number => (setting.perMinute <= 1_000 ? 1.1 : 1.25);

const DEFAULT_SETTINGS: Setting[] = [
  { scale: "small", latencyMs: 250, perMinute: 10_000, maxConcurrency: 8 },
  { scale: "small", latencyMs: 250, perMinute: 10_000, maxConcurrency: 32 },
  { scale: "small", latencyMs: 50, perMinute: 10_000, maxConcurrency: 32 },
  { scale: "small", latencyMs: 50, perMinute: 1_000, maxConcurrency: 8 },
  { scale: "medium", latencyMs: 50, perMinute: 10_000, maxConcurrency: 32 },
];

function listArgument(name: string): string[] | undefined {
  const index = process.argv.indexOf(name);
  return index < 0 ? undefined : (process.argv[index + 1] ?? "").split(",").filter((item) => item !== "");
}

function chosenSettings(): Setting[] {
  const only = listArgument("--only");
  if (only) {
    return only.map((item) => {
      const [scale, latency, rate, concurrency] = item.split(":");
      if ((scale !== "small" && scale !== "medium") || [latency, rate, concurrency].some((n) => !Number.isInteger(Number(n)))) {
        throw new Error(`--only takes scale:latency:rate:max_concurrency items, e.g. small:50:1000:8, not ${item}`);
      }
      return { scale, latencyMs: Number(latency), perMinute: Number(rate), maxConcurrency: Number(concurrency) };
    });
  }
  const full = process.argv.includes("--full");
  const scales = listArgument("--scales");
  const latencies = listArgument("--latencies");
  const rates = listArgument("--rates");
  const concurrency = listArgument("--concurrency");
  if (!full && !scales && !latencies && !rates && !concurrency) return DEFAULT_SETTINGS;
  const settings: Setting[] = [];
  for (const scale of scales ?? ["small", "medium"]) {
    if (scale !== "small" && scale !== "medium") throw new Error(`--scales takes small and medium, not ${scale}`);
    for (const latencyMs of (latencies ?? ["50", "250"]).map(Number)) {
      for (const perMinute of (rates ?? ["1000", "10000"]).map(Number)) {
        for (const maxConcurrency of (concurrency ?? ["8", "24", "32"]).map(Number)) settings.push({ scale, latencyMs, perMinute, maxConcurrency });
      }
    }
  }
  return settings;
}

const SETTINGS = chosenSettings();

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
  const { url, child } = await spawnFixtureServer(["--scale", setting.scale, "--rate-limit", String(setting.perMinute), "--latency", String(setting.latencyMs)]);
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
  const label = (tap: string, s: Setting): string =>
    `${baseline ? `${tap.padEnd(6)} ` : ""}${s.scale.padEnd(6)} ${String(s.latencyMs).padStart(3)} ms ${String(s.perMinute).padStart(6)}/min max_concurrency ${String(s.maxConcurrency).padStart(2)}`;
  const load = (): string => loadavg().map((value) => value.toFixed(2)).join(" ");
  const loadBefore = load();
  for (let round = 0; round < rounds; round += 1) {
    for (const setting of SETTINGS) {
      for (const [name, root] of taps) {
        const run = await measure(root, setting);
        runs.set(label(name, setting), [...(runs.get(label(name, setting)) ?? []), run]);
        process.stderr.write(`round ${round + 1}: ${label(name, setting)}: wall ${run.wall.toFixed(1)} s, floor ${run.floor.toFixed(1)} s\n`);
      }
    }
  }
  process.stdout.write(
    `tap-intercom full sync against its floor, latency and rate limit (10 s windows) of the fixture, ${rounds} interleaved rounds (median [min-max]); ` +
      `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average ${loadBefore} before, ${load()} after\n`,
  );
  for (const setting of SETTINGS) {
    for (const [name] of taps) {
      const list = runs.get(label(name, setting)) ?? [];
      const ratios = list.map((run) => run.wall / run.floor);
      const show = (values: number[], digits: number): string => `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}]`;
      process.stdout.write(
        `  ${label(name, setting)}: ${median(list.map((run) => run.requests))} requests, wall ${show(list.map((run) => run.wall), 1)} s, ` +
          `CPU ${show(list.map((run) => run.cpu), 1)} s, floor ${median(list.map((run) => run.floor)).toFixed(1)} s ` +
          // A sync that fits in one 10-second window is not held to the per-minute rate: the latency term alone then says more.
          `(latency term ${median(list.map((run) => (run.requests * setting.latencyMs) / 1000 / setting.maxConcurrency)).toFixed(1)} s), ratio ${show(ratios, 2)} ` +
          `(goal <= ${goalOf(setting).toFixed(2)}: ${median(ratios) <= goalOf(setting) ? "met" : "MISSED"})\n`,
      );
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
