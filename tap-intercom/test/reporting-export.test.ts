import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DATA_START, startFixtureServer, type FaultOptions, type FixtureServer, type FixtureServerOptions } from "../../fixtures/src/index.js";
import { TAP_BIN, runCommand } from "../../test/helpers.js";
import { prepareReportingRun, reportingConfig, rfc3339 } from "../../test/reporting-tap.js";

const DAY = 86400;
const START = DATA_START;
const iso = rfc3339;

interface Message {
  type: string;
  stream?: string;
  record?: Record<string, unknown>;
  key_properties?: string[];
  bookmark_properties?: string[];
  schema?: { properties: Record<string, { type: string[] }> };
  value?: { bookmarks?: Record<string, Record<string, unknown>> };
}

let dir: string;

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

function configFor(server: FixtureServer, days: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return reportingConfig(server, START, START + days * DAY, { reporting_job_timeout_seconds: 30, max_retries: 0, ...extra });
}

function parseMessages(stdout: string): Message[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Message);
}

function bookmarkOf(messages: Message[], stream = "report_conversation"): unknown {
  const states = messages.filter((m) => m.type === "STATE");
  return states[states.length - 1]?.value?.bookmarks?.[stream]?.["replication_key_value"];
}

/** The RECORDs emitted before the last STATE: what a target would have committed. */
function committedRecords(messages: Message[]): Message[] {
  let lastState = -1;
  messages.forEach((m, i) => {
    if (m.type === "STATE") lastState = i;
  });
  return messages.slice(0, lastState + 1).filter((m) => m.type === "RECORD");
}

async function runTap(config: Record<string, unknown>, state?: unknown): Promise<{ code: number | null; stderr: string; messages: Message[] }> {
  const { configPath, catalogPath } = await prepareReportingRun(dir, config);
  const args = ["--config", configPath, "--catalog", catalogPath];
  if (state !== undefined) args.push("--state", writeJson("state.json", state));
  const result = await runCommand(TAP_BIN, args);
  return { code: result.code, stderr: result.stderr, messages: parseMessages(result.stdout) };
}

async function withServer<T>(options: FixtureServerOptions, body: (server: FixtureServer) => Promise<T>): Promise<T> {
  const server = await startFixtureServer({ scale: "small", exportJobSeconds: 0, log: () => undefined, ...options });
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

/** The distinct keys of the records per stream, as the target would upsert them. */
function keysByStream(messages: Message[]): Map<string, Set<string>> {
  const keyOf = new Map<string, string[]>();
  const keys = new Map<string, Set<string>>();
  for (const m of messages) {
    if (m.type === "SCHEMA" && m.stream) keyOf.set(m.stream, m.key_properties ?? []);
    if (m.type !== "RECORD" || !m.stream) continue;
    const key = (keyOf.get(m.stream) ?? []).map((k) => String(m.record?.[k])).join(":");
    if (!keys.has(m.stream)) keys.set(m.stream, new Set());
    keys.get(m.stream)?.add(key);
  }
  return keys;
}

/** Every dataset's distinct record keys number exactly the rows the fixture holds in [start, end). */
function assertEveryRow(server: FixtureServer, messages: Message[], end: number): void {
  const keys = keysByStream(messages);
  for (const datasetId of Object.keys(server.truth().reports)) {
    const rows = server.reportRows(datasetId, START, end).length;
    assert.equal(keys.get(`report_${datasetId}`)?.size ?? 0, rows, `${datasetId}: every row reached, once`);
  }
}

describe("reporting export: the tap against the fixture's export API", function () {
  this.timeout(180_000);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "reporting-test-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("discovers report_<dataset> streams with curated keys (never a column of names), types, and the time replication key", async () => {
    await withServer({}, async (server) => {
      const config = writeJson("config.json", configFor(server, 1, { reporting_datasets: undefined }));
      const result = await runCommand(TAP_BIN, ["--config", config, "--discover"]);
      assert.equal(result.code, 0, result.stderr);
      type Stream = { tap_stream_id: string; key_properties: string[]; replication_key: string; schema: { properties: Record<string, { type: string[]; format?: string }> } };
      const streams = (JSON.parse(result.stdout) as { streams: Stream[] }).streams;
      const find = (id: string): Stream => streams.find((s) => s.tap_stream_id === `report_${id}`) as Stream;
      assert.deepEqual(find("conversation").key_properties, ["conversation_id"]);
      assert.equal(find("conversation").replication_key, "conversation_started_at");
      assert.equal(find("conversation").schema.properties["conversation_started_at"]?.format, "date-time");
      assert.deepEqual(find("conversation").schema.properties["teammate_replies_count"]?.type, ["null", "integer"]);
      assert.deepEqual(find("conversation").schema.properties["currently_assigned_teammate_id"]?.type, ["null", "string"]);
      assert.deepEqual(find("consolidated_conversation_part").key_properties, ["conversation_id", "action_id"]);
      assert.equal(find("consolidated_conversation_part").replication_key, "action_time");
      for (const keyless of ["call_team_stats", "call_teammate_stats", "admin_status_change", "teammate_handling_conversation", "ticket_time_in_state"]) {
        assert.deepEqual(find(keyless).key_properties, ["_window_start", "_window_row"], keyless);
      }
    });
  });

  it("without app_id and client_id lists the streams unselected, and skips one selected anyway with a warning", async () => {
    await withServer({}, async (server) => {
      const config = configFor(server, 1, { app_id: undefined, client_id: undefined });
      const { configPath, catalogPath } = await prepareReportingRun(dir, config);
      const catalog = JSON.parse(readFileSync(catalogPath, "utf8")) as { streams: { metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[] };
      const root = catalog.streams[0]?.metadata.find((m) => m.breadcrumb.length === 0);
      assert.equal(root?.metadata["selected-by-default"], false);
      if (root) root.metadata["selected"] = true;
      const result = await runCommand(TAP_BIN, ["--config", configPath, "--catalog", writeJson("selected.json", catalog)]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /WARN .*skipping stream "report_conversation": reporting streams need the "app_id" and "client_id" settings/);
      assert.ok(!result.stdout.includes('"type":"RECORD"'), "nothing is exported");
    });
  });

  it("emits every row of every window exactly once, typed, with STATE after each window's last record", async () => {
    await withServer({}, async (server) => {
      const { code, stderr, messages } = await runTap(configFor(server, 10));
      assert.equal(code, 0, stderr);
      const records = messages.filter((m) => m.type === "RECORD").map((m) => m.record as Record<string, unknown>);
      const truth = server.reportRows("conversation", START, START + 10 * DAY);
      assert.ok(truth.length > 5);
      assert.deepEqual(records.map((r) => r["conversation_id"]), truth.map((r) => r["conversation_id"]));
      const first = truth[0];
      assert.ok(first);
      assert.equal(records[0]?.["conversation_started_at"], new Date((first["conversation_started_at"] as number) * 1000).toISOString());
      assert.equal(records[0]?.["teammate_replies_count"], first["teammate_replies_count"]);
      assert.ok(records.some((r) => r["first_response_time"] === null), "empty cells become null");
      assert.ok(records.some((r) => r["currently_assigned_team_id"] === "Unassigned"), "names stay text");
      // A STATE right after each window's last record, carrying that window's end.
      let previous: unknown;
      const advanced = messages
        .map((m, i) => ({ m, i }))
        .filter(({ m }) => {
          if (m.type !== "STATE") return false;
          const bookmark = bookmarkOf([m]);
          const moved = bookmark !== undefined && bookmark !== previous;
          previous = bookmark;
          return moved;
        });
      assert.deepEqual(advanced.map(({ m }) => bookmarkOf([m])), Array.from({ length: 10 }, (_, d) => iso(START + (d + 1) * DAY)));
      for (const [d, { i }] of advanced.entries()) {
        const before = messages.slice(0, i).filter((m) => m.type === "RECORD");
        assert.equal(before.length, server.reportRows("conversation", START, START + (d + 1) * DAY).length);
      }
      const schema = messages.find((m) => m.type === "SCHEMA");
      assert.deepEqual(schema?.key_properties, ["conversation_id"]);
      assert.deepEqual(schema?.bookmark_properties, ["conversation_started_at"]);
    });
  });

  it("exports only the attributes chosen by catalog field selection, always with key and time", async () => {
    await withServer({}, async (server) => {
      const { configPath, catalogPath } = await prepareReportingRun(dir, configFor(server, 5));
      const catalog = JSON.parse(readFileSync(catalogPath, "utf8")) as {
        streams: { metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[];
      };
      for (const entry of catalog.streams[0]?.metadata ?? []) {
        if (entry.breadcrumb[1] && entry.breadcrumb[1] !== "channel") entry.metadata["selected"] = false;
      }
      const result = await runCommand(TAP_BIN, ["--config", configPath, "--catalog", writeJson("selected.json", catalog)]);
      assert.equal(result.code, 0, result.stderr);
      const records = parseMessages(result.stdout).filter((m) => m.type === "RECORD");
      assert.ok(records.length > 0);
      assert.deepEqual(Object.keys(records[0]?.record ?? {}).sort(), ["channel", "conversation_id", "conversation_started_at"]);
    });
  });

  it("with a third of the downloads truncated, still reaches every row of every dataset within the retry budget", async () => {
    // The fixture draws each download's faults from the download itself, so the same downloads are
    // cut in every run. At 0.5, ten cut downloads in a row (the budget) would happen in some window
    // of the run's 156 (12 datasets, 13 weeks) for about 1 seed in 7, seed 1 among them.
    await withServer({ faults: { truncateDownloadRate: 0.3 } }, async (server) => {
      const end = START + 91 * DAY;
      const { code, stderr, messages } = await runTap(configFor(server, 91, { reporting_datasets: undefined, reporting_window_seconds: 7 * DAY }));
      assert.equal(code, 0, stderr);
      assert.match(stderr, /download 1 of at most 10 failed \(the gzip download is truncated/);
      assertEveryRow(server, messages, end);
    });
  });

  it("meets the same faults on the same requests at any concurrency (fault draws keyed by request, not arrival order)", async () => {
    const faults: FaultOptions = { truncateDownloadRate: 0.4, failExportJobRate: 0.1, expireDownloadRate: 0.1, badCsvRate: 0.1, errorRate: 0.1, errorStatuses: [503] };
    const datasets = ["conversation", "call", "tickets_report", "conversation_state", "admin_status_change"];
    const faultedAt = async (maxConcurrency: number): Promise<string[]> =>
      withServer({ seed: 5, faults }, async (server) => {
        const config = configFor(server, 28, { reporting_datasets: datasets, reporting_window_seconds: 7 * DAY, max_concurrency: maxConcurrency, max_retries: 8 });
        const { code, stderr, messages } = await runTap(config);
        assert.equal(code, 0, stderr);
        const keys = keysByStream(messages);
        for (const datasetId of datasets) {
          assert.equal(keys.get(`report_${datasetId}`)?.size ?? 0, server.reportRows(datasetId, START, START + 28 * DAY).length, `${datasetId}: every row`);
        }
        return server.faultLog().map((f) => `${f.request} #${f.attempt}: ${f.faults.join(", ")}`).sort();
      });
    const one = await faultedAt(1);
    const eight = await faultedAt(8);
    for (const kind of ["truncateDownload", "failExportJob", "expireDownload", "badCsv", "error 503"]) {
      assert.ok(one.some((f) => f.endsWith(kind) || f.includes(`: ${kind}`) || f.includes(`, ${kind}`)), `some request met ${kind}`);
    }
    assert.deepEqual(eight, one);
  });

  it("recovers from failed jobs, expired files and malformed CSV, and skips a no-data window", async () => {
    await withServer({ faults: { failExportJobRate: 0.1, expireDownloadRate: 0.1, badCsvRate: 0.1 } }, async (server) => {
      const days = 31;
      const { code, stderr, messages } = await runTap(configFor(server, days, { reporting_datasets: ["conversation", "call_team_stats"] }));
      assert.equal(code, 0, stderr);
      assert.match(stderr, /export job \w+ is failed/);
      assert.match(stderr, /the file of export job \w+ is gone \(HTTP 410\); enqueueing again/);
      assert.match(stderr, /wrong number of columns.*enqueueing a fresh job/);
      assert.match(stderr, /: no data/);
      const keys = keysByStream(messages);
      for (const datasetId of ["conversation", "call_team_stats"]) {
        assert.equal(keys.get(`report_${datasetId}`)?.size, server.reportRows(datasetId, START, START + days * DAY).length, datasetId);
      }
    });
  });

  it("a cell that does not fit a type guessed from the column's name: warned once with dataset, window, row and column, then the column is text", async () => {
    await withServer({}, async (server) => {
      const days = 366;
      const { code, stderr, messages } = await runTap(configFor(server, days, { reporting_datasets: ["ticket_time_in_state"], reporting_window_seconds: 30 * DAY }));
      assert.equal(code, 0, stderr);
      // Each warning once as it happens (the end-of-run summary repeats it with a "  - " prefix).
      const warnings = stderr.split("\n").filter((line) => line.includes("does not fit the type guessed") && !line.includes("  - "));
      assert.equal(warnings.length, 1, stderr);
      assert.match(warnings[0] ?? "", /WARN tap-intercom: stream "report_ticket_time_in_state": window \[.*\): row \d+, column "state_change_count": "1,0\d4" does not fit/);
      const schemas = messages.filter((m) => m.type === "SCHEMA");
      assert.deepEqual(schemas[0]?.schema?.properties["state_change_count"]?.type, ["null", "integer"]);
      assert.deepEqual(schemas.at(-1)?.schema?.properties["state_change_count"]?.type, ["null", "string"]);
      const values = messages.filter((m) => m.type === "RECORD").map((m) => m.record?.["state_change_count"]);
      assert.ok(values.some((v) => typeof v === "string" && v.startsWith("1,0")));
      assert.equal(values.length, server.reportRows("ticket_time_in_state", START, START + days * DAY).length);
    });
  });

  it("runs up to 5 datasets' export jobs at once beside the REST streams, which are not held up by the polling; each stream's SCHEMA before its records", async () => {
    // Jobs last 5 s: the five enqueues and the three REST streams must happen within one job's time,
    // with room for a loaded CI machine.
    await withServer({ exportJobSeconds: 5 }, async (server) => {
      const datasets = ["conversation", "call", "tickets_report", "conversation_rating_sent", "conversation_state", "admin_status_change"];
      const config = configFor(server, 2, { reporting_datasets: datasets, reporting_window_seconds: 2 * DAY });
      const { configPath } = await prepareReportingRun(dir, config);
      const discovered = await runCommand(TAP_BIN, ["--config", configPath, "--discover"]);
      const catalog = JSON.parse(discovered.stdout) as { streams: { tap_stream_id: string; metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[] };
      const chosen = catalog.streams.filter((s) => s.tap_stream_id.startsWith("report_") || ["admins", "tags", "teams"].includes(s.tap_stream_id));
      for (const stream of chosen) {
        const root = stream.metadata.find((m) => m.breadcrumb.length === 0);
        if (root) root.metadata["selected"] = true;
      }
      const result = await runCommand(TAP_BIN, ["--config", configPath, "--catalog", writeJson("mixed.json", { streams: chosen })]);
      assert.equal(result.code, 0, result.stderr);
      const messages = parseMessages(result.stdout);
      // 6 datasets, one job each: at most 5 pending at once (2.16 yaml:3779), more than one at a time.
      assert.equal(server.mostActiveExportJobs("reporting"), 5);
      const schemaAt = new Map<string, number>();
      messages.forEach((m, i) => {
        if (m.type === "SCHEMA" && m.stream && !schemaAt.has(m.stream)) schemaAt.set(m.stream, i);
        if (m.type === "RECORD" && m.stream) assert.ok((schemaAt.get(m.stream) ?? Infinity) < i, `${m.stream}: SCHEMA before its records`);
      });
      for (const datasetId of datasets) {
        const rows = server.reportRows(datasetId, START, START + 2 * DAY).length;
        assert.equal(keysByStream(messages).get(`report_${datasetId}`)?.size ?? 0, rows, `${datasetId}: every row once`);
      }
      // The REST streams finish while the export jobs (5 s each) are still running.
      const firstReportRecord = messages.findIndex((m) => m.type === "RECORD" && m.stream?.startsWith("report_"));
      const lastRestRecord = messages.map((m) => m.type === "RECORD" && !m.stream?.startsWith("report_")).lastIndexOf(true);
      assert.ok(lastRestRecord >= 0 && lastRestRecord < firstReportRecord, "the REST streams' records come before the exports' first record");
    });
  });

  it("waits out Intercom's limit of 5 pending export jobs", async () => {
    await withServer({ exportJobSeconds: 5 }, async (server) => {
      for (let i = 0; i < 5; i++) {
        const reply = await fetch(`${server.url}/export/reporting_data/enqueue`, {
          method: "POST",
          headers: { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ dataset_id: "tickets_report", attribute_ids: ["ticket_id"], start_time: START, end_time: START + DAY }),
        });
        assert.equal(reply.status, 200);
      }
      const { code, stderr, messages } = await runTap(configFor(server, 3, { reporting_window_seconds: 3 * DAY }));
      assert.equal(code, 0, stderr);
      assert.match(stderr, /Intercom has too many pending export jobs \(rate_limit_exceeded: Exceeded rate limit of 5 pending/);
      assert.equal(messages.filter((m) => m.type === "RECORD").length, server.reportRows("conversation", START, START + 3 * DAY).length);
    });
  });

  for (const [what, faults, pattern] of [
    ["downloads that are always truncated", { truncateDownloadRate: 1 }, /gzip download is truncated .*\(after 10 downloads\)/],
    ["malformed CSV every time", { badCsvRate: 1 }, /wrong number of columns/],
    ["a job that fails every time", { failExportJobRate: 1 }, /gave up after 5 attempts/],
    ["a job that never completes", { stuckExportJobRate: 1 }, /did not complete .*within reporting_job_timeout_seconds \(0\.5 s\)/],
  ] as [string, FaultOptions, RegExp][]) {
    it(`fails clearly on ${what}, keeps the bookmark at the last complete window, and a re-run redoes exactly the rest`, async () => {
      await withServer({}, async (server) => {
        const healthy = await runTap(configFor(server, 2));
        assert.equal(healthy.code, 0, healthy.stderr);
        server.setFaults(faults);
        const failed = await runTap(configFor(server, 4, { reporting_job_timeout_seconds: 0.5 }), healthy.messages.filter((m) => m.type === "STATE").pop()?.value);
        server.setFaults({});
        assert.notEqual(failed.code, 0);
        assert.match(failed.stderr, /ERROR tap-intercom: stream "report_conversation": window \[2024-01-03T00:00:00Z, 2024-01-04T00:00:00Z\): /);
        assert.match(failed.stderr, pattern);
        assert.equal(bookmarkOf(failed.messages), iso(START + 2 * DAY));
        const rerun = await runTap(configFor(server, 4), failed.messages.filter((m) => m.type === "STATE").pop()?.value);
        assert.equal(rerun.code, 0, rerun.stderr);
        const all = [...committedRecords(healthy.messages), ...committedRecords(failed.messages), ...rerun.messages.filter((m) => m.type === "RECORD")];
        assert.deepEqual(all.map((m) => m.record?.["conversation_id"]), server.reportRows("conversation", START, START + 4 * DAY).map((r) => r["conversation_id"]));
      });
    });
  }

  it("moves a start date older than Intercom's retention up to what Intercom holds, with a warning, instead of failing", async () => {
    await withServer({}, async (server) => {
      const retentionDays = Math.ceil((Date.now() / 1000 - (START + 3 * DAY)) / DAY);
      const { code, stderr, messages } = await runTap(configFor(server, 6, { reporting_retention_days: retentionDays }));
      assert.equal(code, 0, stderr);
      assert.match(stderr, /stream "report_conversation": Intercom keeps reporting data for \d+ days \(reporting_retention_days\); starting at 2024-01-0[45]T00:00:00Z instead of 2024-01-01T00:00:00Z/);
      const first = messages.find((m) => m.type === "RECORD")?.record?.["conversation_started_at"] as string;
      assert.ok(Date.parse(first) >= (START + 3 * DAY) * 1000);
    });
  });

  it("resumes after a kill mid-window: committed records plus the re-run hold every row exactly once", async () => {
    // Rows every 2 s: 43,200 a day, so the tap is still inside the second window when killed.
    await withServer({ reportingLoad: { rowsPerDay: 43200, textBytes: 0 } }, async (server) => {
      const config = configFor(server, 3, { reporting_datasets: ["load_test"] });
      const { configPath, catalogPath } = await prepareReportingRun(dir, config);
      const child = spawn(TAP_BIN, ["--config", configPath, "--catalog", catalogPath], { stdio: ["ignore", "pipe", "pipe"] });
      const messages: Message[] = [];
      let killedAfter = 0;
      for await (const line of createInterface({ input: child.stdout })) {
        const message = JSON.parse(line) as Message;
        messages.push(message);
        if (message.type === "STATE" && bookmarkOf([message], "report_load_test") === iso(START + DAY)) killedAfter = messages.length;
        if (killedAfter > 0 && messages.length === killedAfter + 1000) child.kill("SIGKILL");
      }
      await new Promise((resolve) => child.once("close", resolve));
      assert.ok(killedAfter > 0 && messages.length >= killedAfter + 1000, "killed inside the second window");
      assert.equal(bookmarkOf(messages, "report_load_test"), iso(START + DAY));
      const rerun = await runTap(config, messages.filter((m) => m.type === "STATE").pop()?.value);
      assert.equal(rerun.code, 0, rerun.stderr);
      const all = [...committedRecords(messages), ...rerun.messages.filter((m) => m.type === "RECORD")];
      const expected = Array.from(server.exportRows("load_test", START, START + 3 * DAY), (r) => r["row_id"]);
      assert.deepEqual(all.map((m) => m.record?.["row_id"]), expected);
    });
  });
});
