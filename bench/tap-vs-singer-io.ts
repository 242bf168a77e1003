/**
 * Benchmark (not a test): this tap against singer-io's Python tap-intercom on the same fixture,
 * the streams both have, full syncs to a file, interleaved rounds, each tap its own process (wall
 * seconds, CPU seconds and peak RSS of the process itself). Needs Python 3 with singer-io's
 * tap-intercom importable: `pip install tap-intercom` (2.2.x), or SINGER_IO_PATH naming the
 * directories of its source and of singer-python's (colon-separated); SINGER_IO_PYTHON picks the
 * interpreter (default python3). Without them it says so and measures nothing.
 * Usage: node dist/bench/tap-vs-singer-io.js [scale, default small] [rounds, default 3] [latency ms, default 0]
 */
import { execFile, spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startFixtureServer, type Scale } from "../fixtures/src/index.js";
import { measure, median, summary, type Measured } from "./lib/measure.js";

const SELF = fileURLToPath(import.meta.url);
const SCALE = (process.argv[2] ?? "small") as Scale;
const ROUNDS = Math.max(1, Number(process.argv[3] ?? 3));
const LATENCY_MS = Number(process.argv[4] ?? 0);
const PYTHON = process.env["SINGER_IO_PYTHON"] ?? "python3";
const WRAPPER = resolve(SELF, "../../../bench/singer-io/run_tap.py");
const TAP_CLI = resolve(SELF, "../../tap-intercom/src/cli.js");
/** singer-io's streams (its discovery lists these eleven); this tap has each under the same name. */
const SHARED_STREAMS = ["admins", "companies", "company_attributes", "company_segments", "contacts", "contact_attributes", "conversations", "conversation_parts", "segments", "tags", "teams"];
const START_DATE = "2000-01-01T00:00:00Z";
const execFileAsync = promisify(execFile);

type Side = "tap-intercom" | "singer-io";

interface Catalog {
  streams: { tap_stream_id: string; metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[];
}

/** The catalog with exactly the shared streams selected. */
function selectShared(text: string): Catalog {
  const catalog = JSON.parse(text) as Catalog;
  for (const stream of catalog.streams) {
    const root = stream.metadata.find((m) => m.breadcrumb.length === 0);
    if (root) root.metadata["selected"] = SHARED_STREAMS.includes(stream.tap_stream_id);
  }
  return catalog;
}

/** A command's stdout (asynchronously: the fixture answering it runs in this process). */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 << 20 });
  return stdout;
}

/** RECORD messages per stream in a tap's output (either tap's spacing). */
async function recordCounts(file: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const record = /^\{\s*"type"\s*:\s*"RECORD"\s*,\s*"stream"\s*:\s*"([^"]+)"/;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const stream = record.exec(line)?.[1];
    if (stream) counts.set(stream, (counts.get(stream) ?? 0) + 1);
  }
  return counts;
}

async function main(): Promise<void> {
  const pythonEnv = { SINGER_IO_PATH: process.env["SINGER_IO_PATH"] ?? "" };
  const check = spawnSync(PYTHON, [WRAPPER, "--help"], { env: { ...process.env, ...pythonEnv, SINGER_IO_BASE_URL: "http://127.0.0.1:9" }, encoding: "utf8" });
  if (check.status !== 0) {
    console.log(`tap-vs-singer-io: skipped, singer-io's tap-intercom cannot be run with ${PYTHON} (pip install tap-intercom, or set SINGER_IO_PATH; see bench/README.md)`);
    return;
  }
  const server = await startFixtureServer({ seed: 1, scale: SCALE, faults: { latencyMs: LATENCY_MS }, log: () => undefined });
  const dir = mkdtempSync(join(tmpdir(), "bench-singer-io-"));
  try {
    const ourConfig = join(dir, "tap-intercom.json");
    writeFileSync(ourConfig, JSON.stringify({ access_token: server.token, base_url: server.url, start_date: START_DATE }));
    const theirConfig = join(dir, "singer-io.json");
    writeFileSync(theirConfig, JSON.stringify({ access_token: server.token, start_date: START_DATE, user_agent: "tap-vs-singer-io bench" }));
    const theirEnv = { ...pythonEnv, SINGER_IO_BASE_URL: server.url };
    const ourCatalog = join(dir, "tap-intercom.catalog.json");
    writeFileSync(ourCatalog, JSON.stringify(selectShared(await run(process.execPath, [TAP_CLI, "--config", ourConfig, "--discover"], {}))));
    const theirCatalog = join(dir, "singer-io.catalog.json");
    writeFileSync(theirCatalog, JSON.stringify(selectShared(await run(PYTHON, [WRAPPER, "--config", theirConfig, "--discover"], theirEnv))));

    const load = () => loadavg().map((n) => n.toFixed(2)).join(", ");
    console.log(`${SCALE} fixture, ${LATENCY_MS} ms latency, ${ROUNDS} interleaved rounds, streams: ${SHARED_STREAMS.join(", ")}; load average at start: ${load()}`);
    const results: Record<Side, Measured[]> = { "tap-intercom": [], "singer-io": [] };
    const counts = new Map<Side, Map<string, number>>();
    for (let round = 0; round < ROUNDS; round++) {
      const line: string[] = [];
      for (const side of ["tap-intercom", "singer-io"] as Side[]) {
        const output = join(dir, `${side}.out`);
        const files = { stdoutFile: output, stderrFile: join(dir, `${side}.err`) };
        const m = await (
          side === "tap-intercom"
            ? measure(dir, [TAP_CLI, "--config", ourConfig, "--catalog", ourCatalog], undefined, {}, files)
            : measure(dir, [WRAPPER, "--config", theirConfig, "--catalog", theirCatalog], undefined, theirEnv, { command: PYTHON, ...files })
        ).catch((error: unknown) => {
          console.log(`${side} failed; the end of its stderr:\n${readFileSync(files.stderrFile, "utf8").slice(-3000)}`);
          throw error;
        });
        results[side].push(m);
        if (round === 0) counts.set(side, await recordCounts(output));
        line.push(`${side} ${m.seconds.toFixed(2)} s / ${m.cpuSeconds.toFixed(2)} CPU-s / ${m.peakMb.toFixed(0)} MB`);
      }
      console.log(`round ${round + 1}: ${line.join("; ")}`);
    }
    console.log(`\nrecords in round 1:  ${"stream".padEnd(20)}${"tap-intercom".padStart(14)}${"singer-io".padStart(12)}`);
    for (const stream of SHARED_STREAMS) {
      console.log(`${"".padEnd(21)}${stream.padEnd(20)}${String(counts.get("tap-intercom")?.get(stream) ?? 0).padStart(14)}${String(counts.get("singer-io")?.get(stream) ?? 0).padStart(12)}`);
    }
    const ratio = (of: (m: Measured) => number) => results["singer-io"].map((m, i) => of(m) / of(results["tap-intercom"][i] as Measured));
    console.log(`\n${"figure".padEnd(40)}median   spread`);
    for (const side of ["tap-intercom", "singer-io"] as Side[]) {
      console.log(`${`${side} wall s`.padEnd(40)}${summary(results[side].map((m) => m.seconds), 2)}`);
      console.log(`${`${side} CPU s`.padEnd(40)}${summary(results[side].map((m) => m.cpuSeconds), 2)}`);
      console.log(`${`${side} peak RSS MB`.padEnd(40)}${summary(results[side].map((m) => m.peakMb), 0)}`);
    }
    console.log(`${"singer-io / tap-intercom, wall".padEnd(40)}${summary(ratio((m) => m.seconds), 2)}(times faster)`);
    console.log(`${"singer-io / tap-intercom, CPU".padEnd(40)}${summary(ratio((m) => m.cpuSeconds), 2)}`);
    console.log(`median wall: tap-intercom ${median(results["tap-intercom"].map((m) => m.seconds)).toFixed(1)} s, singer-io ${median(results["singer-io"].map((m) => m.seconds)).toFixed(1)} s; load average at end: ${load()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
}

await main();
