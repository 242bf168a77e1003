/**
 * Benchmark (not a test): how target-duckdb's cost grows with the table it loads into.
 * - Upsert: ROWS contacts (90% keys the table holds, with a later updated_at; 10% new keys) into a
 *   table that holds ROWS contacts, against the fresh load of those ROWS into an empty table,
 *   measured in the same round (goal: at most 1.2 times the fresh load's wall and CPU).
 * - Linearity: the cost per row of a fresh load of SCALE × ROWS against that of ROWS, same rounds
 *   (goal: at most 1.1, i.e. cost grows linearly with the rows).
 * Each load is the target's own process at default settings (CPU seconds and peak RSS from the
 * process itself); rounds interleave fresh, upsert and scaled loads; median and spread (min–max).
 * Usage: node dist/bench/target-upsert.js [rows, default 100000] [rounds, default 3] [scale, default 3]
 * (or BENCH_ROWS / BENCH_ROUNDS / BENCH_SCALE). The issue's figures: 1000000 3 3 (upsert 1M into 1M,
 * linearity 1M against 3M; about 15 minutes of CPU). BENCH_DIR keeps the generated input between runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "./lib/contacts.js";
import { countRows, measure, median, summary, type Measured } from "./lib/measure.js";

const SELF = fileURLToPath(import.meta.url);
const ROWS = Number(process.argv[2] ?? process.env["BENCH_ROWS"] ?? 100_000);
const ROUNDS = Math.max(1, Number(process.argv[3] ?? process.env["BENCH_ROUNDS"] ?? 3));
const SCALE = Math.max(1, Number(process.argv[4] ?? process.env["BENCH_SCALE"] ?? 3));
const TARGET_CLI = resolve(SELF, "../../target-duckdb/src/cli.js");
const GOALS = { upsert: 1.2, linearity: 1.1 };
const NEW_KEYS = Math.floor(ROWS / 10);

/** Runs the target on one Singer file into `database`; checks the rows the table then holds and that a state came out. */
async function load(dir: string, singer: string, database: string, expectedRows: number): Promise<Measured> {
  const measured = await measure(dir, [TARGET_CLI, "--config", "/dev/null"], singer, { TARGET_DUCKDB_PATH: database, TARGET_DUCKDB_SCHEMA: "main" });
  const rows = await countRows(database, "main.contacts");
  if (rows !== BigInt(expectedRows)) throw new Error(`${singer}: the table holds ${rows} rows, not ${expectedRows}`);
  if (!measured.stdout.includes("bookmarks")) throw new Error(`${singer}: the target emitted no state`);
  return measured;
}

function freshDatabase(dir: string, name: string): string {
  const database = join(dir, `${name}.duckdb`);
  rmSync(database, { force: true });
  rmSync(`${database}.wal`, { force: true });
  return database;
}

async function main(): Promise<void> {
  const keep = process.env["BENCH_DIR"];
  const dir = keep ?? mkdtempSync(join(tmpdir(), "bench-target-upsert-"));
  const scaledRows = Math.round(ROWS * SCALE);
  try {
    const inputs = { fresh: join(dir, "fresh.singer"), upsert: join(dir, "upsert.singer"), scaled: join(dir, "scaled.singer") };
    const made = `${ROWS} ${SCALE}`;
    if (!(keep !== undefined && existsSync(join(dir, "made.txt")) && readFileSync(join(dir, "made.txt"), "utf8") === made)) {
      console.log(`generating ${ROWS} + ${ROWS} + ${scaledRows} Intercom-shaped contacts…`);
      await generate(dir, ROWS, { name: "fresh", singerOnly: true });
      // The first 90% update contacts the table holds (spread over it), the last 10% are new.
      const existing = ROWS - NEW_KEYS;
      await generate(dir, ROWS, { name: "upsert", singerOnly: true, revision: 1, contactOf: (n) => (n < existing ? Math.floor((n * ROWS) / existing) : ROWS + n - existing) });
      await generate(dir, scaledRows, { name: "scaled", singerOnly: true });
      writeFileSync(join(dir, "made.txt"), made);
    }
    console.log(
      `upsert: ${ROWS} contacts (${NEW_KEYS} new keys) into a table of ${ROWS}, against their fresh load; linearity: ${scaledRows} rows against ${ROWS}; ` +
        `${ROUNDS} interleaved rounds; Singer input ${(statSync(inputs.fresh).size / 1e6).toFixed(0)} MB and ${(statSync(inputs.scaled).size / 1e6).toFixed(0)} MB`,
    );
    const results = { fresh: [] as Measured[], upsert: [] as Measured[], scaled: [] as Measured[] };
    for (let round = 0; round < ROUNDS; round++) {
      const database = freshDatabase(dir, "table");
      const fresh = await load(dir, inputs.fresh, database, ROWS);
      const upsert = await load(dir, inputs.upsert, database, ROWS + NEW_KEYS);
      const scaled = await load(dir, inputs.scaled, freshDatabase(dir, "scaled"), scaledRows);
      results.fresh.push(fresh);
      results.upsert.push(upsert);
      results.scaled.push(scaled);
      const show = (name: string, m: Measured) => `${name} ${m.seconds.toFixed(2)} s / ${m.cpuSeconds.toFixed(2)} CPU-s / ${m.peakMb.toFixed(0)} MB`;
      console.log(`round ${round + 1}: ${show("fresh", fresh)}; ${show("upsert", upsert)}; ${show(`fresh ${scaledRows}`, scaled)}`);
    }
    const perRound = (values: Measured[], base: Measured[], of: (m: Measured) => number, factor = 1) => values.map((m, i) => of(m) / (of(base[i] as Measured) * factor));
    console.log(`\n${"figure".padEnd(40)}${"median   spread".padEnd(24)}goal       verdict (median)`);
    for (const [name, values] of [
      [`fresh ${ROWS} wall s / CPU s`, results.fresh],
      [`upsert ${ROWS} into ${ROWS} wall s / CPU s`, results.upsert],
      [`fresh ${scaledRows} wall s / CPU s`, results.scaled],
    ] as const) {
      console.log(`${name.padEnd(40)}${summary(values.map((m) => m.seconds), 2)}${summary(values.map((m) => m.cpuSeconds), 2)}`);
    }
    const figures: [string, number[], number][] = [
      ["upsert wall ratio vs fresh load", perRound(results.upsert, results.fresh, (m) => m.seconds), GOALS.upsert],
      ["upsert CPU ratio vs fresh load", perRound(results.upsert, results.fresh, (m) => m.cpuSeconds), GOALS.upsert],
      [`wall per row, ${scaledRows} vs ${ROWS}`, perRound(results.scaled, results.fresh, (m) => m.seconds, SCALE), GOALS.linearity],
      [`CPU per row, ${scaledRows} vs ${ROWS}`, perRound(results.scaled, results.fresh, (m) => m.cpuSeconds, SCALE), GOALS.linearity],
    ];
    for (const [name, values, goal] of figures) {
      console.log(`${name.padEnd(40)}${summary(values, 2)}${"≤ " + String(goal)}`.padEnd(75) + (median(values) <= goal ? "met" : "NOT met"));
    }
    for (const [name, values] of [["fresh", results.fresh], ["upsert", results.upsert], [`fresh ${scaledRows}`, results.scaled]] as const) {
      console.log(`peak RSS MB, ${name}: ${summary(values.map((m) => m.peakMb), 0).trim()}`);
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
