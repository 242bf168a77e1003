/**
 * Benchmark (not a test): target-duckdb loading Intercom-shaped contacts versus DuckDB's own
 * read_json of the same records, measured in the same run. Prints the time ratio and the
 * target's peak RSS. Row count: BENCH_ROWS env var or the first argument (default 1,000,000).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROWS = Number(process.argv[2] ?? process.env["BENCH_ROWS"] ?? 1_000_000);
const TARGET_CLI = resolve(fileURLToPath(import.meta.url), "../../target-duckdb/src/cli.js");
const MAX_RATIO = 1.5;
const MAX_RSS_MB = 400;

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

interface Measured {
  seconds: number;
  /** User plus system CPU seconds: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  rows: bigint;
}

async function timeReadJson(records: string, database: string): Promise<Measured> {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  try {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await connection.run("CREATE TABLE contacts AS SELECT * FROM read_json(?, format = 'newline_delimited')", [records]);
    connection.closeSync();
    instance.closeSync();
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - started) / 1000;
    const check = await DuckDBInstance.create(database);
    const reader = await check.connect();
    const rows = (await reader.runAndReadAll("SELECT count(*) FROM contacts")).getRowsJS()[0]?.[0] as bigint;
    reader.closeSync();
    check.closeSync();
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6, rows };
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
}

/** CPU seconds a running process has used so far, from /proc (clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ");
    return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident set of a running process, from its /proc status (a high-water mark, so polling misses nothing but the last moments). */
function peakRssKb(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function timeTarget(singer: string, database: string): Promise<Measured & { peakMb: number }> {
  const input = openSync(singer, "r");
  const started = performance.now();
  const child = spawn(process.execPath, [TARGET_CLI, "--config", "/dev/null"], {
    stdio: [input, "pipe", "inherit"],
    env: { ...process.env, TARGET_DUCKDB_PATH: database, TARGET_DUCKDB_SCHEMA: "main" },
  });
  let peakKb = 0;
  let cpuSeconds = 0;
  const poll = setInterval(() => {
    peakKb = Math.max(peakKb, peakRssKb(child.pid ?? -1) ?? 0);
    cpuSeconds = Math.max(cpuSeconds, cpuSecondsOf(child.pid ?? -1) ?? 0);
  }, 25);
  let stateLines = 0;
  child.stdout?.on("data", (chunk: Buffer) => (stateLines += chunk.toString().split("\n").length - 1));
  const [code] = (await once(child, "exit")) as [number | null];
  clearInterval(poll);
  closeSync(input);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`target-duckdb exited with ${code}`);
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  const rows = (await connection.runAndReadAll("SELECT count(*) FROM main.contacts")).getRowsJS()[0]?.[0] as bigint;
  connection.closeSync();
  instance.closeSync();
  console.log(`target-duckdb emitted ${stateLines} state lines`);
  return { seconds, cpuSeconds, peakMb: peakKb / 1024, rows };
}

async function main(): Promise<void> {
  // BENCH_DIR keeps the generated input between runs (for profiling); otherwise a temp dir is used and removed.
  const keep = process.env["BENCH_DIR"];
  const dir = keep ?? mkdtempSync(join(tmpdir(), "bench-target-duckdb-"));
  try {
    const reuse = keep !== undefined && existsSync(join(dir, "contacts.ndjson"));
    if (!reuse) console.log(`generating ${ROWS} Intercom-shaped contacts…`);
    const { singer, records } = reuse ? { singer: join(dir, "contacts.singer"), records: join(dir, "contacts.ndjson") } : await generate(dir);
    for (const database of ["read_json.duckdb", "target.duckdb"]) rmSync(join(dir, database), { force: true });
    console.log(`Singer input ${(statSync(singer).size / 1e6).toFixed(0)} MB, bare records ${(statSync(records).size / 1e6).toFixed(0)} MB`);

    const baseline = await timeReadJson(records, join(dir, "read_json.duckdb"));
    console.log(`DuckDB read_json into a table: ${baseline.seconds.toFixed(2)} s, ${baseline.cpuSeconds.toFixed(1)} CPU s (${baseline.rows} rows)`);
    const target = await timeTarget(singer, join(dir, "target.duckdb"));
    console.log(
      `target-duckdb: ${target.seconds.toFixed(2)} s, ${target.cpuSeconds.toFixed(1)} CPU s (${target.rows} rows), peak RSS ${target.peakMb.toFixed(0)} MB`,
    );
    if (target.rows !== baseline.rows) throw new Error(`row counts differ: target ${target.rows}, read_json ${baseline.rows}`);

    const ratio = target.seconds / baseline.seconds;
    console.log(`ratio target / read_json: ${ratio.toFixed(2)} (goal ≤ ${MAX_RATIO}) ${ratio <= MAX_RATIO ? "met" : "NOT met"}`);
    console.log(`CPU time ratio: ${(target.cpuSeconds / baseline.cpuSeconds).toFixed(2)} (the wall ratio is noisy on a busy machine)`);
    console.log(`peak RSS: ${target.peakMb.toFixed(0)} MB (goal < ${MAX_RSS_MB} MB) ${target.peakMb < MAX_RSS_MB ? "met" : "NOT met"}`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
