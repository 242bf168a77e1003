/**
 * Benchmark (not a test): target-duckdb against DuckDB's own read_json of the same records,
 * measured in the same run. Each round runs, one after the other, read_json of the bare records,
 * the target on the same records as RECORD messages, and the target on one BATCH message naming
 * the same file; every side is its own process (CPU seconds and peak RSS from the process itself).
 * Prints each round, then the median and spread (min–max) of the per-round ratios against each
 * goal: RECORD wall and CPU ≤ 1.5 × read_json, BATCH ≤ 1.15 ×, target peak RSS < 400 MB.
 * Usage: node dist/bench/target-duckdb.js [rows, default 200000] [rounds, default 3]
 * (or BENCH_ROWS / BENCH_ROUNDS); BENCH_DIR keeps the generated input between runs;
 * BENCH_TARGET_BASELINE=<another built checkout> adds its target's RECORD path to the same rounds
 * (RECORD_baseline: before/after); BENCH_SIDES=read_json,RECORD,… runs only those sides.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CONTACT_SCHEMA, generate, iso } from "./lib/contacts.js";
import { countRows, measure, median, summary, type Measured } from "./lib/measure.js";

const SELF = fileURLToPath(import.meta.url);
const ROWS = Number(process.argv[2] ?? process.env["BENCH_ROWS"] ?? 200_000);
const ROUNDS = Math.max(1, Number(process.argv[3] ?? process.env["BENCH_ROUNDS"] ?? 3));
const TARGET_CLI = resolve(SELF, "../../target-duckdb/src/cli.js");
const BASELINE = process.env["BENCH_TARGET_BASELINE"];
const GOALS = { record: 1.5, batch: 1.15, rssMb: 400 };

/** The child process that measures read_json: DuckDB's defaults (every core, no memory limit), as a user would run it. */
async function readJsonChild(records: string, database: string): Promise<void> {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  await connection.run("CREATE TABLE contacts AS SELECT * FROM read_json(?, format = 'newline_delimited')", [records]);
  connection.closeSync();
  instance.closeSync();
}

/** BATCH_unvalidated: the BATCH path with validate_records off, the floor that strict validation in SQL adds to. */
type Side = "read_json" | "RECORD" | "RECORD_baseline" | "BATCH" | "BATCH_unvalidated";

async function runSide(side: Side, dir: string, inputs: { singer: string; records: string; batch: string }): Promise<Measured> {
  const database = join(dir, `${side}.duckdb`);
  rmSync(database, { force: true });
  rmSync(`${database}.wal`, { force: true });
  const targetEnv = { TARGET_DUCKDB_PATH: database, TARGET_DUCKDB_SCHEMA: "main", ...(side === "BATCH_unvalidated" ? { TARGET_DUCKDB_VALIDATE_RECORDS: "false" } : {}) };
  const measured =
    side === "read_json"
      ? await measure(dir, [SELF, "--read-json-child", inputs.records, database], undefined, {})
      : await measure(
          dir,
          [side === "RECORD_baseline" ? resolve(BASELINE as string, "dist/target-duckdb/src/cli.js") : TARGET_CLI, "--config", "/dev/null"],
          side.startsWith("RECORD") ? inputs.singer : inputs.batch,
          targetEnv,
        );
  const rows = await countRows(database, side === "read_json" ? "contacts" : "main.contacts");
  if (rows !== BigInt(ROWS)) throw new Error(`${side} loaded ${rows} rows, not ${ROWS}`);
  if (side !== "read_json" && !measured.stdout.includes("bookmarks")) throw new Error(`${side}: the target emitted no state`);
  return measured;
}

async function main(): Promise<void> {
  if (process.argv[2] === "--read-json-child") return readJsonChild(process.argv[3] as string, process.argv[4] as string);
  const keep = process.env["BENCH_DIR"];
  const dir = keep ?? mkdtempSync(join(tmpdir(), "bench-target-duckdb-"));
  try {
    const singer = join(dir, "contacts.singer");
    const records = join(dir, "contacts.ndjson");
    const reuse = keep !== undefined && existsSync(join(dir, "rows.txt")) && readFileSync(join(dir, "rows.txt"), "utf8") === String(ROWS);
    if (!reuse) {
      console.log(`generating ${ROWS} Intercom-shaped contacts…`);
      await generate(dir, ROWS);
      writeFileSync(join(dir, "rows.txt"), String(ROWS));
    }
    // The BATCH input: the SCHEMA, one BATCH naming the very file read_json reads, a STATE.
    const batch = join(dir, "contacts.batch.singer");
    writeFileSync(
      batch,
      [
        { type: "SCHEMA", stream: "contacts", schema: CONTACT_SCHEMA, key_properties: ["id"] },
        { type: "BATCH", stream: "contacts", encoding: { format: "jsonl", compression: "none" }, manifest: [pathToFileURL(records).href] },
        { type: "STATE", value: { bookmarks: { contacts: { updated_at: iso(ROWS * 2) } } } },
      ]
        .map((m) => JSON.stringify(m) + "\n")
        .join(""),
    );
    const load = () => loadavg().map((n) => n.toFixed(2)).join(", ");
    console.log(`load average at start: ${load()} (on a shared machine, CPU ratios are steadier than wall ratios)`);
    console.log(`${ROWS} rows, ${ROUNDS} interleaved rounds; Singer input ${(statSync(singer).size / 1e6).toFixed(0)} MB, bare records ${(statSync(records).size / 1e6).toFixed(0)} MB`);
    const all: Side[] = ["read_json", "RECORD", ...(BASELINE ? (["RECORD_baseline"] as const) : []), "BATCH", "BATCH_unvalidated"];
    const only = process.env["BENCH_SIDES"]?.split(",");
    const sides = all.filter((side) => side === "read_json" || !only || only.includes(side));
    const results: Record<Side, Measured[]> = { read_json: [], RECORD: [], RECORD_baseline: [], BATCH: [], BATCH_unvalidated: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const line: string[] = [];
      for (const side of sides) {
        const m = await runSide(side, dir, { singer, records, batch });
        results[side].push(m);
        line.push(`${side} ${m.seconds.toFixed(2)} s / ${m.cpuSeconds.toFixed(2)} CPU-s / ${m.peakMb.toFixed(0)} MB`);
      }
      console.log(`round ${round + 1}: ${line.join("; ")}`);
    }
    const ratios = (side: Side, of: (m: Measured) => number) => results[side].map((m, i) => of(m) / of(results.read_json[i] as Measured));
    const verdict = (value: number, goal: number, strict = false) => ((strict ? value < goal : value <= goal) ? "met" : "NOT met");
    console.log(`\n${"figure".padEnd(34)}${"median   spread".padEnd(24)}goal       verdict (median)`);
    for (const side of sides) {
      const wall = results[side].map((m) => m.seconds);
      const cpu = results[side].map((m) => m.cpuSeconds);
      console.log(`${`${side} wall s / CPU s`.padEnd(34)}${summary(wall, 2)}${summary(cpu, 2)}`);
    }
    const rows: [string, number[], number, boolean][] = [
      ["RECORD wall ratio vs read_json", ratios("RECORD", (m) => m.seconds), GOALS.record, false],
      ["RECORD CPU ratio vs read_json", ratios("RECORD", (m) => m.cpuSeconds), GOALS.record, false],
      ["RECORD peak RSS MB", results.RECORD.map((m) => m.peakMb), GOALS.rssMb, true],
      ["BATCH wall ratio vs read_json", ratios("BATCH", (m) => m.seconds), GOALS.batch, false],
      ["BATCH CPU ratio vs read_json", ratios("BATCH", (m) => m.cpuSeconds), GOALS.batch, false],
      ["BATCH peak RSS MB", results.BATCH.map((m) => m.peakMb), GOALS.rssMb, true],
    ];
    const floor: [string, number[]][] = [
      ["BATCH_unvalidated wall ratio", ratios("BATCH_unvalidated", (m) => m.seconds)],
      ["BATCH_unvalidated CPU ratio", ratios("BATCH_unvalidated", (m) => m.cpuSeconds)],
    ];
    if (BASELINE) rows.splice(3, 0, ["RECORD_baseline CPU ratio", ratios("RECORD_baseline", (m) => m.cpuSeconds), GOALS.record, false], ["RECORD_baseline wall ratio", ratios("RECORD_baseline", (m) => m.seconds), GOALS.record, false], ["RECORD_baseline peak RSS MB", results.RECORD_baseline.map((m) => m.peakMb), GOALS.rssMb, true]);
    for (const [name, values, goal, strict] of rows) {
      if (values.length === 0 || values.some((v) => !Number.isFinite(v))) continue;
      const digits = name.endsWith("MB") ? 0 : 2;
      console.log(`${name.padEnd(34)}${summary(values, digits)}${(strict ? "< " : "≤ ") + String(goal)}`.padEnd(69) + verdict(median(values), goal, strict));
    }
    for (const [name, values] of floor) if (values.length > 0) console.log(`${name.padEnd(34)}${summary(values, 2)}(floor: BATCH without validate_records)`);
    console.log(`read_json peak RSS MB (for reference): ${summary(results.read_json.map((m) => m.peakMb), 0).trim()}`);
    console.log(`load average at end: ${load()}`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
