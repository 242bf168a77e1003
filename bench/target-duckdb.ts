/**
 * Benchmark (not a test): target-duckdb against DuckDB's own read_json of the same records,
 * measured in the same run. Each round runs, one after the other, read_json of the bare records,
 * the target on the same records as RECORD messages, and the target on one BATCH message naming
 * the same file; every side is its own process (CPU seconds and peak RSS from the process itself).
 * Prints each round, then the median and spread (min–max) of the per-round ratios against each
 * goal: RECORD wall and CPU ≤ 1.5 × read_json, BATCH ≤ 1.15 ×, target peak RSS < 400 MB.
 * Usage: node dist/bench/target-duckdb.js [rows, default 200000] [rounds, default 3]
 * (or BENCH_ROWS / BENCH_ROUNDS); BENCH_DIR keeps the generated input between runs.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const ROWS = Number(process.argv[2] ?? process.env["BENCH_ROWS"] ?? 200_000);
const ROUNDS = Math.max(1, Number(process.argv[3] ?? process.env["BENCH_ROUNDS"] ?? 3));
const TARGET_CLI = resolve(SELF, "../../target-duckdb/src/cli.js");
const GOALS = { record: 1.5, batch: 1.15, rssMb: 400 };

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: ["null", type], ...extra });
const dateTime = nullable("string", { format: "date-time" });
const list = (item: Record<string, unknown>) =>
  nullable("object", {
    properties: {
      type: nullable("string"),
      data: nullable("array", { items: item }),
      url: nullable("string"),
      total_count: nullable("integer"),
      has_more: nullable("boolean"),
    },
  });
const ref = { type: "object", properties: { type: { type: "string" }, id: { type: "string" }, url: nullable("string") } };

const CONTACT_SCHEMA = {
  type: "object",
  properties: {
    type: nullable("string"),
    id: { type: "string" },
    workspace_id: nullable("string"),
    external_id: nullable("string"),
    role: nullable("string"),
    email: nullable("string"),
    phone: nullable("string"),
    name: nullable("string"),
    avatar: nullable("string"),
    owner_id: nullable("integer"),
    social_profiles: list({ type: "object" }),
    has_hard_bounced: nullable("boolean"),
    marked_email_as_spam: nullable("boolean"),
    unsubscribed_from_emails: nullable("boolean"),
    created_at: dateTime,
    updated_at: dateTime,
    signed_up_at: dateTime,
    last_seen_at: dateTime,
    last_replied_at: dateTime,
    last_contacted_at: dateTime,
    last_email_opened_at: dateTime,
    last_email_clicked_at: dateTime,
    language_override: nullable("string"),
    browser: nullable("string"),
    browser_version: nullable("string"),
    browser_language: nullable("string"),
    os: nullable("string"),
    location: nullable("object", {
      properties: {
        type: nullable("string"),
        country: nullable("string"),
        region: nullable("string"),
        city: nullable("string"),
        country_code: nullable("string"),
        continent_code: nullable("string"),
      },
    }),
    android_app_name: nullable("string"),
    android_app_version: nullable("string"),
    ios_app_name: nullable("string"),
    ios_os_version: nullable("string"),
    custom_attributes: nullable("object"),
    tags: list(ref),
    notes: list(ref),
    companies: list(ref),
    opted_out_subscription_types: list(ref),
    utm_campaign: nullable("string"),
    utm_content: nullable("string"),
    utm_medium: nullable("string"),
    utm_source: nullable("string"),
    utm_term: nullable("string"),
    referrer: nullable("string"),
  },
};

function iso(seconds: number): string {
  return new Date(1_600_000_000_000 + seconds * 1000).toISOString();
}

function contact(i: number): Record<string, unknown> {
  const page = (path: string, data: unknown[]) => ({ type: "list", data, url: `/contacts/${i}/${path}`, total_count: data.length, has_more: false });
  return {
    type: "contact",
    id: `6${String(i).padStart(11, "0")}`,
    workspace_id: "ecahpwf5",
    external_id: i % 3 ? `ext-${i}` : null,
    role: i % 5 ? "user" : "lead",
    email: `person${i}@example.com`,
    phone: i % 2 ? `+1555${String(i).padStart(7, "0")}` : null,
    name: `Person ${i}`,
    avatar: null,
    owner_id: i % 7 ? 1000 + (i % 13) : null,
    social_profiles: { type: "list", data: [] },
    has_hard_bounced: false,
    marked_email_as_spam: i % 97 === 0,
    unsubscribed_from_emails: i % 11 === 0,
    created_at: iso(i),
    updated_at: iso(i * 2),
    signed_up_at: iso(i),
    last_seen_at: i % 4 ? iso(i * 3) : null,
    last_replied_at: null,
    last_contacted_at: iso(i + 50),
    last_email_opened_at: null,
    last_email_clicked_at: null,
    language_override: null,
    browser: "chrome",
    browser_version: "120.0.0",
    browser_language: "en",
    os: "Mac OS X",
    location: { type: "location", country: "Ireland", region: "Dublin", city: "Dublin", country_code: "IRL", continent_code: "EU" },
    android_app_name: null,
    android_app_version: null,
    ios_app_name: null,
    ios_os_version: null,
    custom_attributes: { plan: ["free", "pro", "enterprise"][i % 3], seats: i % 50, paying: i % 2 === 0, score: (i % 1000) / 10, signup_source: "web" },
    tags: page("tags", i % 3 ? [{ type: "tag", id: String(100 + (i % 9)), url: `/tags/${100 + (i % 9)}` }] : []),
    notes: page("notes", []),
    companies: page("companies", [{ type: "company", id: `c${i % 500}`, url: `/companies/c${i % 500}` }]),
    opted_out_subscription_types: page("subscriptions", []),
    utm_campaign: null,
    utm_content: null,
    utm_medium: i % 4 ? "email" : null,
    utm_source: null,
    utm_term: null,
    referrer: "https://example.com/",
  };
}

async function writeLines(path: string, lines: (i: number) => string | undefined, count: number): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  for (let i = 0; i < count; i++) {
    const line = lines(i);
    if (line !== undefined && !out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

async function generate(dir: string): Promise<{ singer: string; records: string }> {
  const singer = join(dir, "contacts.singer");
  const records = join(dir, "contacts.ndjson");
  const extractedAt = new Date().toISOString();
  await writeLines(
    singer,
    (i) => {
      if (i === 0) return JSON.stringify({ type: "SCHEMA", stream: "contacts", schema: CONTACT_SCHEMA, key_properties: ["id"] }) + "\n";
      const n = i - 1;
      if (n === ROWS) return JSON.stringify({ type: "STATE", value: { bookmarks: { contacts: { updated_at: iso(n * 2) } } } }) + "\n";
      const line = JSON.stringify({ type: "RECORD", stream: "contacts", record: contact(n), time_extracted: extractedAt }) + "\n";
      return n % 50_000 === 49_999 ? line + JSON.stringify({ type: "STATE", value: { bookmarks: { contacts: { updated_at: iso(n * 2) } } } }) + "\n" : line;
    },
    ROWS + 2,
  );
  await writeLines(records, (i) => JSON.stringify(contact(i)) + "\n", ROWS);
  return { singer, records };
}

/** What one process cost: wall seconds, CPU seconds (user + system, all threads), peak RSS. */
interface Measured {
  seconds: number;
  cpuSeconds: number;
  peakMb: number;
}

/** Preloaded into every measured process: writes its own CPU time and peak RSS to BENCH_USAGE_FILE when it exits. */
const USAGE_HOOK = `
const { writeFileSync } = require("node:fs");
process.on("exit", () => {
  const cpu = process.cpuUsage();
  writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6, peakMb: process.resourceUsage().maxRSS / 1024 }));
});
`;

async function measure(dir: string, args: string[], stdinFile: string | undefined, env: NodeJS.ProcessEnv): Promise<Measured & { stdout: string }> {
  const hook = join(dir, "usage-hook.cjs");
  if (!existsSync(hook)) writeFileSync(hook, USAGE_HOOK);
  const usageFile = join(dir, "usage.json");
  rmSync(usageFile, { force: true });
  const input = stdinFile ? openSync(stdinFile, "r") : "ignore";
  const started = performance.now();
  const child = spawn(process.execPath, ["--require", hook, ...args], { stdio: [input, "pipe", "inherit"], env: { ...process.env, ...env, BENCH_USAGE_FILE: usageFile } });
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  if (typeof input === "number") closeSync(input);
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}`);
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as { cpuSeconds: number; peakMb: number };
  return { seconds, ...usage, stdout };
}

async function countRows(database: string, table: string): Promise<bigint> {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRowsJS()[0]?.[0] as bigint;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The child process that measures read_json: DuckDB's defaults (every core, no memory limit), as a user would run it. */
async function readJsonChild(records: string, database: string): Promise<void> {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  await connection.run("CREATE TABLE contacts AS SELECT * FROM read_json(?, format = 'newline_delimited')", [records]);
  connection.closeSync();
  instance.closeSync();
}

/** BATCH_unvalidated: the BATCH path with validate_records off, the floor that strict validation in SQL adds to. */
type Side = "read_json" | "RECORD" | "BATCH" | "BATCH_unvalidated";

async function runSide(side: Side, dir: string, inputs: { singer: string; records: string; batch: string }): Promise<Measured> {
  const database = join(dir, `${side}.duckdb`);
  rmSync(database, { force: true });
  rmSync(`${database}.wal`, { force: true });
  const targetEnv = { TARGET_DUCKDB_PATH: database, TARGET_DUCKDB_SCHEMA: "main", ...(side === "BATCH_unvalidated" ? { TARGET_DUCKDB_VALIDATE_RECORDS: "false" } : {}) };
  const measured =
    side === "read_json"
      ? await measure(dir, [SELF, "--read-json-child", inputs.records, database], undefined, {})
      : await measure(dir, [TARGET_CLI, "--config", "/dev/null"], side === "RECORD" ? inputs.singer : inputs.batch, targetEnv);
  const rows = await countRows(database, side === "read_json" ? "contacts" : "main.contacts");
  if (rows !== BigInt(ROWS)) throw new Error(`${side} loaded ${rows} rows, not ${ROWS}`);
  if (side !== "read_json" && !measured.stdout.includes("bookmarks")) throw new Error(`${side}: the target emitted no state`);
  return measured;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function summary(values: number[], digits: number): string {
  return `${median(values).toFixed(digits).padStart(7)}   ${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`.padEnd(24);
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
      await generate(dir);
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
    const sides: Side[] = ["read_json", "RECORD", "BATCH", "BATCH_unvalidated"];
    const results: Record<Side, Measured[]> = { read_json: [], RECORD: [], BATCH: [], BATCH_unvalidated: [] };
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
    for (const [name, values, goal, strict] of rows) {
      const digits = name.endsWith("MB") ? 0 : 2;
      console.log(`${name.padEnd(34)}${summary(values, digits)}${(strict ? "< " : "≤ ") + String(goal)}`.padEnd(69) + verdict(median(values), goal, strict));
    }
    for (const [name, values] of floor) console.log(`${name.padEnd(34)}${summary(values, 2)}(floor: BATCH without validate_records)`);
    console.log(`read_json peak RSS MB (for reference): ${summary(results.read_json.map((m) => m.peakMb), 0).trim()}`);
    console.log(`load average at end: ${load()}`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
