/**
 * `make demo` / `make demo-incremental`: starts the offline Intercom fixture server, runs
 * `tap-intercom --config … | target-duckdb --config …` through a real OS pipe over every stream
 * (the reporting export included), and prints what landed in DuckDB next to the fixture's truth.
 * With --incremental it then changes the fixture data and runs again from the saved state,
 * showing which rows the second run moved. Everything is written under .demo/ (gitignored).
 * Exits non-zero when a run fails or a table differs from the truth; never hangs (time limits).
 */
import { Command } from "commander";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startFixtureServer, type FixtureServer, type MutationSummary, type Scale } from "../fixtures/src/index.js";
import { parseCatalog, getMetadata, keyPropertiesOf, type Catalog } from "../singer/src/index.js";
import { writeFileAtomic } from "./lib/atomic-file.js";
import { DEFAULT_SCHEMA, fixtureTapConfig, quoteIdent, tableCounts, unavailableAt, withDuckDb } from "./lib/fixture-run.js";
import { describeExit, runPipeline } from "./lib/pipeline.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const TAP = join(ROOT, "tap-intercom/bin/tap-intercom");
const TARGET = join(ROOT, "target-duckdb/bin/target-duckdb");
const QUERY = join(ROOT, "target-duckdb/bin/intercom-query");
const execFileAsync = promisify(execFile);
const RUN_TIMEOUT_MS = 5 * 60_000;
const DEMO_TIMEOUT_MS = 12 * 60_000;

class DemoFailure extends Error {}

interface Paths {
  dir: string;
  tapConfig: string;
  targetConfig: string;
  catalog: string;
  state: string;
  database: string;
  logs: string;
}

function pathsUnder(dir: string): Paths {
  return {
    dir,
    tapConfig: join(dir, "tap.json"),
    targetConfig: join(dir, "target.json"),
    catalog: join(dir, "catalog.json"),
    state: join(dir, "state.json"),
    database: join(dir, "intercom.duckdb"),
    logs: join(dir, "logs"),
  };
}

const show = (path: string): string => relative(process.cwd(), path) || path;
const say = (line = ""): void => {
  process.stdout.write(line + "\n");
};

function openLog(path: string): WriteStream {
  return createWriteStream(path, { flags: "w" });
}

async function closeLog(log: WriteStream): Promise<void> {
  await new Promise<void>((done) => log.end(done));
}

/** `tap --discover` into the catalog file, every stream selected, as Meltano would before a run. */
async function discover(paths: Paths): Promise<Catalog> {
  const { execFile } = await import("node:child_process");
  const stdout = await new Promise<string>((done, fail) =>
    execFile(TAP, ["--config", paths.tapConfig, "--discover"], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (error, out) =>
      error ? fail(new DemoFailure(`discovery failed: ${error.message}`)) : done(out),
    ),
  );
  // Every stream, also those off by default for their cost (the notes streams, content_data).
  const catalog = parseCatalog(JSON.parse(stdout), paths.catalog);
  for (const stream of catalog.streams) {
    const root = getMetadata(stream, []);
    if (root["selected-by-default"] === false) say(`Selecting ${stream.tap_stream_id} too (not selected by default${typeof root["cost"] === "string" ? `; cost: ${root["cost"]}` : ""}).`);
    for (const entry of stream.metadata) if (entry.breadcrumb.length === 0) entry.metadata.selected = true;
  }
  await writeFile(paths.catalog, JSON.stringify(catalog, null, 2) + "\n");
  return catalog;
}

/** One `tap | target` run from the saved state; returns when the state file is updated. */
async function sync(paths: Paths, name: string): Promise<number> {
  const logPath = join(paths.logs, `${name}.log`);
  const log = openLog(logPath);
  const hasState = await readFile(paths.state, "utf8").then(
    (text) => text.trim() !== "",
    () => false,
  );
  const tapArgs = ["--config", paths.tapConfig, "--catalog", paths.catalog, ...(hasState ? ["--state", paths.state] : [])];
  say(`$ tap-intercom ${tapArgs.map(show).join(" ")} \\`);
  say(`    | target-duckdb --config ${show(paths.targetConfig)}`);
  const started = Date.now();
  const result = await runPipeline({
    tap: { command: TAP, args: tapArgs },
    target: { command: TARGET, args: ["--config", paths.targetConfig] },
    timeoutMs: RUN_TIMEOUT_MS,
    onLog: (source, line) => log.write(`[${source}] ${line}\n`),
  });
  await closeLog(log);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!result.ok) {
    const why = result.timedOut ? `timed out after ${RUN_TIMEOUT_MS / 1000}s` : `tap ${describeExit(result.tap)}, target ${describeExit(result.target)}`;
    throw new DemoFailure(`${name} failed (${why}); see ${show(logPath)}`);
  }
  const last = result.states.at(-1);
  if (last === undefined) throw new DemoFailure(`${name}: the target emitted no state; see ${show(logPath)}`);
  await writeFileAtomic(paths.state, JSON.stringify(last) + "\n");
  say(`  done in ${seconds}s; state saved to ${show(paths.state)}; logs in ${show(logPath)}`);
  return started;
}

function table(rows: string[][]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const row of rows) say("  " + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("   "));
}

/** Rows per table next to the fixture's truth; returns the tables that differ. */
async function summary(paths: Paths, server: FixtureServer, apiVersion: string, gaps: Map<string, string>): Promise<string[]> {
  const counts = await tableCounts(paths.database);
  const truth = server.truth(apiVersion).streams;
  const names = [...new Set([...counts.keys(), ...Object.keys(truth)])].sort();
  const wrong: string[] = [];
  const rows = [["table", "rows", "fixture", ""]];
  for (const name of names) {
    const have = counts.get(name);
    const want = truth[name]?.count;
    const since = gaps.get(name);
    if (since !== undefined && have === undefined) {
      rows.push([`${DEFAULT_SCHEMA}.${name}`, "-", String(want ?? "-"), `needs API ${since} (--api-version ${since})`]);
      continue;
    }
    const ok = have !== undefined && want !== undefined && have === want;
    if (!ok) wrong.push(name);
    rows.push([`${DEFAULT_SCHEMA}.${name}`, have === undefined ? "missing" : String(have), want === undefined ? "-" : String(want), ok ? "ok" : "DIFFERS"]);
  }
  table(rows);
  return wrong;
}

/** A word for a POSIX shell: single-quoted unless it is plain. */
function shellWord(text: string): string {
  return /^[\w./:=-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/**
 * Runs each sample query through the intercom-query command and shows that command, as run.
 * Returns the queries that failed or found no rows: a sample that shows nothing is a broken demo.
 */
async function sampleQueries(paths: Paths): Promise<string[]> {
  const queries = [
    `SELECT state, count(*) AS conversations FROM ${DEFAULT_SCHEMA}.conversations GROUP BY state ORDER BY conversations DESC`,
    `SELECT c.name AS company, count(*) AS segments FROM ${DEFAULT_SCHEMA}.companies c JOIN ${DEFAULT_SCHEMA}.company_segments cs ON cs.company_id = c.id GROUP BY c.name ORDER BY segments DESC, company LIMIT 3`,
    // Ids decoded by the dimension streams: a ticket's type and the state each part left it in.
    // DuckDB binds ->> looser than =, hence the parentheses.
    `SELECT tt.name AS ticket_type, s.internal_label AS state_after_part, count(*) AS parts FROM ${DEFAULT_SCHEMA}.ticket_parts p JOIN ${DEFAULT_SCHEMA}.tickets t ON t.id = p.ticket_id JOIN ${DEFAULT_SCHEMA}.ticket_types tt ON tt.id = (t.ticket_type->>'id') JOIN ${DEFAULT_SCHEMA}.ticket_states s ON s.category = p.ticket_state GROUP BY ALL ORDER BY parts DESC, ticket_type, state_after_part LIMIT 5`,
  ];
  const broken: string[] = [];
  for (const [index, sql] of queries.entries()) {
    const args = ["--db", show(paths.database), sql];
    say(`$ ${[show(QUERY), ...args].map(shellWord).join(" ")}`);
    try {
      const { stdout } = await execFileAsync(QUERY, args, { cwd: process.cwd() });
      for (const line of stdout.trimEnd().split("\n")) say(`  ${line}`);
      if (/^\(0 rows\)$/m.test(stdout)) broken.push(`sample query ${index + 1} found no rows`);
    } catch (error) {
      say(`  (query failed: ${((error as { stderr?: string }).stderr ?? (error as Error).message).split("\n")[0] ?? ""})`);
      broken.push(`sample query ${index + 1} failed`);
    }
    say();
  }
  return broken;
}

/** Rows the run starting at `since` (ms) wrote, per table, by the target's _sdc_batched_at column. */
async function rowsWrittenSince(paths: Paths, since: number): Promise<Map<string, number>> {
  const counts = await tableCounts(paths.database);
  return withDuckDb(paths.database, async (query) => {
    const written = new Map<string, number>();
    for (const name of counts.keys()) {
      const [row] = await query(
        `SELECT count(*) AS n FROM ${quoteIdent(DEFAULT_SCHEMA)}.${quoteIdent(name)} WHERE _sdc_batched_at >= to_timestamp(${since / 1000})`,
      );
      written.set(name, Number(row?.["n"]));
    }
    return written;
  });
}

async function incrementalReport(paths: Paths, catalog: Catalog, changed: MutationSummary, since: number): Promise<void> {
  const written = await rowsWrittenSince(paths, since);
  const changedCount: Record<string, number> = {
    contacts: changed.contacts.length,
    conversations: changed.conversations.length,
    companies: changed.companies.length,
  };
  const rows = [["table", "rows moved by this run", "changed in the fixture", "replication"]];
  for (const stream of catalog.streams) {
    const root = getMetadata(stream, []);
    const method = root["replication-method"] ?? root["forced-replication-method"] ?? "?";
    const name = stream.stream;
    const note = name === "conversation_parts" ? `${changed.conversation_parts.length} new parts; all parts of ${changed.conversations.length} conversations move` : String(changedCount[name] ?? "-");
    rows.push([name, String(written.get(name) ?? 0), note, `${String(method).toLowerCase()}${keyPropertiesOf(stream).length ? "" : " (no key)"}`]);
  }
  table(rows);
  say();
  say("  Incremental streams move only what changed (plus their children, re-read through the changed parent);");
  say("  full-table streams are small reference lists and are re-read whole; reporting streams re-export the window");
  say("  that holds their bookmark less reporting_lookback_seconds (here one long window), to catch rows that changed.");
  say("  Row counts above stay equal to the");
  say("  fixture's truth: rows are upserted on their keys, never duplicated.");
}

async function main(): Promise<void> {
  const program = new Command()
    .name("demo")
    .option("--incremental", "after the full sync, change the fixture data and sync again from the saved state")
    .option("--scale <scale>", "fixture size: tiny, small, medium, large", "small")
    .option("--seed <n>", "fixture seed", "1")
    .option("--dir <dir>", "where the demo writes its files", ".demo")
    .option("--api-version <version>", "Intercom-Version the tap sends (streams newer than it are skipped)", "2.14");
  program.parse();
  const opts = program.opts<{ incremental?: boolean; scale: Scale; seed: string; dir: string; apiVersion: string }>();
  const paths = pathsUnder(resolve(opts.dir));
  await rm(paths.dir, { recursive: true, force: true });
  await mkdir(paths.logs, { recursive: true });

  const serverLog = openLog(join(paths.logs, "fixture-server.log"));
  const server = await startFixtureServer({
    seed: Number(opts.seed),
    scale: opts.scale,
    exportJobSeconds: 1,
    log: (line) => serverLog.write(line + "\n"),
  });
  try {
    say(`Offline Intercom (seed ${opts.seed}, scale ${opts.scale}) listening on ${server.url}`);
    await writeFile(paths.tapConfig, JSON.stringify(fixtureTapConfig(server, { api_version: opts.apiVersion }), null, 2) + "\n", { mode: 0o600 });
    await writeFile(paths.targetConfig, JSON.stringify({ path: paths.database, schema: DEFAULT_SCHEMA }, null, 2) + "\n");
    const catalog = await discover(paths);
    const gaps = unavailableAt(catalog, opts.apiVersion);
    say(`Discovered ${catalog.streams.length} streams (catalog in ${show(paths.catalog)}).`);
    say();
    say("== Full sync");
    await sync(paths, "full-sync");
    say();
    const wrong = await summary(paths, server, opts.apiVersion, gaps);
    say();
    const brokenSamples = await sampleQueries(paths);
    if (brokenSamples.length > 0) throw new DemoFailure(brokenSamples.join("; "));

    if (opts.incremental) {
      const changed = server.mutate({ contacts: 10, conversations: 5, companies: 5 });
      say(
        `== Changing the fixture: ${changed.contacts.length} contacts, ${changed.conversations.length} conversations, ` +
          `${changed.companies.length} companies updated; ${changed.conversation_parts.length} conversation parts added`,
      );
      say("== Incremental sync from the saved state");
      const since = await sync(paths, "incremental-sync");
      say();
      await incrementalReport(paths, catalog, changed, since);
      say();
      wrong.push(...(await summary(paths, server, opts.apiVersion, gaps)));
      say();
    }
    if (wrong.length > 0) throw new DemoFailure(`tables that differ from the fixture's truth: ${[...new Set(wrong)].join(", ")}`);
    say(`Query it yourself: make query DB=${shellWord(show(paths.database))} SQL="SELECT …"   (no SQL lists the tables; tables are in schema ${DEFAULT_SCHEMA})`);
  } finally {
    await server.close();
    await closeLog(serverLog);
  }
}

const watchdog = setTimeout(() => {
  process.stderr.write(`demo: gave up after ${DEMO_TIMEOUT_MS / 60_000} minutes\n`);
  process.exit(1);
}, DEMO_TIMEOUT_MS);
watchdog.unref();

main().then(
  () => {
    clearTimeout(watchdog);
  },
  (error: unknown) => {
    clearTimeout(watchdog);
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
