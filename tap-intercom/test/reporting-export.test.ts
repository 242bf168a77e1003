import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { TAP_BIN, runCommand } from "../../test/helpers.js";
import { startExportServer, type ExportServer, type ExportServerOptions } from "../../test/reporting-export-server.js";
import { prepareReportingRun, reportingConfig, rfc3339 } from "../../test/reporting-tap.js";

const DAY = 86400;
const START = Date.UTC(2024, 0, 1) / 1000;
const iso = rfc3339;

interface Message {
  type: string;
  stream?: string;
  record?: Record<string, unknown>;
  value?: { bookmarks?: Record<string, Record<string, unknown>> };
}

let dir: string;

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

function configFor(server: ExportServer, days: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return reportingConfig(server, START, START + days * DAY, { reporting_job_timeout_seconds: 30, max_retries: 0, ...extra });
}

function parseMessages(stdout: string): Message[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Message);
}

function bookmarkOf(messages: Message[]): unknown {
  const states = messages.filter((m) => m.type === "STATE");
  return states[states.length - 1]?.value?.bookmarks?.["report_conversation"]?.["replication_key_value"];
}

/** The RECORDs emitted before the last STATE: what a target would have committed. */
function committedRecords(messages: Message[]): Record<string, unknown>[] {
  let lastState = -1;
  messages.forEach((m, i) => {
    if (m.type === "STATE") lastState = i;
  });
  return messages.slice(0, lastState + 1).filter((m) => m.type === "RECORD").map((m) => m.record as Record<string, unknown>);
}

async function runTap(server: ExportServer, config: Record<string, unknown>, state?: unknown): Promise<{ code: number | null; stderr: string; messages: Message[] }> {
  const { configPath, catalogPath } = await prepareReportingRun(dir, config);
  const args = ["--config", configPath, "--catalog", catalogPath];
  if (state !== undefined) args.push("--state", writeJson("state.json", state));
  const result = await runCommand(TAP_BIN, args);
  return { code: result.code, stderr: result.stderr, messages: parseMessages(result.stdout) };
}

async function withServer<T>(options: ExportServerOptions, body: (server: ExportServer) => Promise<T>): Promise<T> {
  const server = await startExportServer(options);
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

describe("reporting export: sync against the offline export API", function () {
  this.timeout(120_000);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "reporting-test-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("discovers report_<dataset> streams with typed schema, natural key and time replication key", async () => {
    await withServer({}, async (server) => {
      const config = writeJson("config.json", configFor(server, 1, { reporting_datasets: undefined }));
      const result = await runCommand(TAP_BIN, ["--config", config, "--discover"]);
      assert.equal(result.code, 0, result.stderr);
      const streams = (JSON.parse(result.stdout) as { streams: { tap_stream_id: string; key_properties: string[]; replication_key: string; schema: { properties: Record<string, { type: string[]; format?: string }> } }[] }).streams;
      const conversation = streams.find((s) => s.tap_stream_id === "report_conversation");
      const parts = streams.find((s) => s.tap_stream_id === "report_consolidated_conversation_part");
      assert.ok(conversation && parts);
      assert.deepEqual(conversation.key_properties, ["conversation_id"]);
      assert.equal(conversation.replication_key, "conversation_started_at");
      assert.equal(conversation.schema.properties["conversation_started_at"]?.format, "date-time");
      assert.deepEqual(conversation.schema.properties["first_response_time"]?.type, ["null", "integer"]);
      assert.deepEqual(conversation.schema.properties["fin_participated"]?.type, ["null", "boolean"]);
      assert.deepEqual(parts.key_properties, ["conversation_part_id"]);
      assert.equal(parts.replication_key, "part_created_at");
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
      assert.match(result.stderr, /WARN .*skipping report_conversation: reporting streams need the "app_id" and "client_id" settings/);
      assert.ok(!result.stdout.includes('"type":"RECORD"'), "nothing is exported");
    });
  });

  it("emits every row of every window exactly once, typed, with STATE after each window's last record", async () => {
    await withServer({}, async (server) => {
      const { code, stderr, messages } = await runTap(server, configFor(server, 3));
      assert.equal(code, 0, stderr);
      const records = messages.filter((m) => m.type === "RECORD").map((m) => m.record as Record<string, unknown>);
      const truth = server.truth({ start: START, end: START + 3 * DAY });
      assert.deepEqual(records.map((r) => r["conversation_id"]), truth.map((r) => r.conversation_id));
      const first = truth[1];
      assert.ok(first);
      assert.deepEqual(records[1], {
        conversation_id: first.conversation_id,
        conversation_started_at: new Date(first.conversation_started_at * 1000).toISOString(),
        first_response_time: first.first_response_time,
        fin_participated: first.fin_participated,
        channel: first.channel,
        remark: null,
      });
      assert.ok(records.some((r) => r["first_response_time"] === null), "empty cells become null");
      assert.ok(records.some((r) => String(r["channel"]).includes("\n")), "quoted cells keep their newlines");
      // One job per window, half-open windows.
      assert.deepEqual(server.enqueued.map((e) => e.range), [0, 1, 2].map((d) => ({ start: START + d * DAY, end: START + (d + 1) * DAY })));
      // A STATE right after each window's last record, carrying that window's end.
      let previous: unknown;
      const states = messages
        .map((m, i) => ({ m, i }))
        .filter(({ m }) => {
          if (m.type !== "STATE") return false;
          const bookmark = bookmarkOf([m]);
          const advanced = bookmark !== undefined && bookmark !== previous;
          previous = bookmark;
          return advanced;
        });
      assert.deepEqual(states.map(({ m }) => m.value?.bookmarks?.["report_conversation"]?.["replication_key_value"]), [1, 2, 3].map((d) => iso(START + d * DAY)));
      for (const [d, { i }] of states.entries()) {
        const before = messages.slice(0, i).filter((m) => m.type === "RECORD");
        assert.equal(before.length, server.truth({ start: START, end: START + (d + 1) * DAY }).length);
      }
      const schema = messages.find((m) => m.type === "SCHEMA") as unknown as { key_properties: string[]; bookmark_properties: string[] };
      assert.deepEqual(schema.key_properties, ["conversation_id"]);
      assert.deepEqual(schema.bookmark_properties, ["conversation_started_at"]);
    });
  });

  it("exports only the attributes chosen by catalog field selection, always with key and time", async () => {
    await withServer({}, async (server) => {
      const { configPath, catalogPath } = await prepareReportingRun(dir, configFor(server, 1));
      const catalog = JSON.parse(readFileSync(catalogPath, "utf8")) as {
        streams: { metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[];
      };
      for (const entry of catalog.streams[0]?.metadata ?? []) {
        if (entry.breadcrumb[1] && entry.breadcrumb[1] !== "channel") entry.metadata["selected"] = false;
      }
      const result = await runCommand(TAP_BIN, ["--config", configPath, "--catalog", writeJson("selected.json", catalog)]);
      assert.equal(result.code, 0, result.stderr);
      const records = parseMessages(result.stdout).filter((m) => m.type === "RECORD");
      assert.deepEqual(Object.keys(records[0]?.record ?? {}).sort(), ["channel", "conversation_id", "conversation_started_at"]);
      assert.deepEqual(server.enqueued[0]?.attributeIds.sort(), ["standard.channel", "standard.conversation_id", "timestamp.conversation_started_at"]);
    });
  });

  it("enqueues a failed or expired job again, waits out the pending-jobs limit, and skips a no-data window", async () => {
    const faults = { failJob: new Map([[START, 1]]), noData: new Set([START + DAY]), busyEnqueues: 1, expireDownloadOnce: new Set([START + 2 * DAY]) };
    await withServer({ faults }, async (server) => {
      const { code, stderr, messages } = await runTap(server, configFor(server, 3, { max_retries: 0 }));
      assert.equal(code, 0, stderr);
      const ids = messages.filter((m) => m.type === "RECORD").map((m) => m.record?.["conversation_id"]);
      const expected = [...server.truth({ start: START, end: START + DAY }), ...server.truth({ start: START + 2 * DAY, end: START + 3 * DAY })];
      assert.deepEqual(ids, expected.map((r) => r.conversation_id));
      assert.equal(bookmarkOf(messages), iso(START + 3 * DAY));
      assert.match(stderr, /Intercom has too many pending export jobs \(rate_limit_exceeded: Exceeded rate limit of 5 pending/);
      assert.match(stderr, /export job job\d+ is failed/);
      assert.match(stderr, /the file of export job job\d+ is gone \(HTTP 410\); enqueueing again/);
      assert.deepEqual(server.enqueued.map((e) => e.range.start), [START, START, START + DAY, START + 2 * DAY, START + 2 * DAY]);
    });
  });

  for (const [what, faults, pattern] of [
    ["a truncated gzip", { truncate: new Map([[START + DAY, 0.5]]) }, /gzip download is truncated/],
    ["a CSV row with the wrong number of columns", { extraColumnAfter: new Map([[START + DAY, 3]]) }, /wrong number of columns/],
    ["a job that fails every time", { failJob: new Map([[START + DAY, Infinity]]) }, /gave up after 3 attempts/],
    ["a job that never completes", { neverComplete: new Set([START + DAY]) }, /did not complete .*within reporting_job_timeout_seconds \(0\.5 s\)/],
  ] as const) {
    it(`fails clearly on ${what}, keeps the bookmark at the last complete window, and a re-run redoes exactly that window`, async () => {
      await withServer({ faults }, async (server) => {
        const config = configFor(server, 3, { reporting_job_timeout_seconds: 0.5 });
        const failed = await runTap(server, config);
        assert.notEqual(failed.code, 0);
        assert.match(failed.stderr, /reporting dataset "conversation", window \[2024-01-02T00:00:00Z, 2024-01-03T00:00:00Z\)/);
        assert.match(failed.stderr, pattern);
        assert.equal(bookmarkOf(failed.messages), iso(START + DAY));
        const lastState = failed.messages.filter((m) => m.type === "STATE").pop();
        await withServer({}, async (healthy) => {
          const rerun = await runTap(healthy, configFor(healthy, 3), lastState?.value);
          assert.equal(rerun.code, 0, rerun.stderr);
          assert.deepEqual(healthy.enqueued.map((e) => e.range.start), [START + DAY, START + 2 * DAY]);
          const all = [...committedRecords(failed.messages), ...rerun.messages.filter((m) => m.type === "RECORD").map((m) => m.record as Record<string, unknown>)];
          assert.deepEqual(all.map((r) => r["conversation_id"]), server.truth({ start: START, end: START + 3 * DAY }).map((r) => r.conversation_id));
        });
      });
    });
  }

  it("resumes after a kill mid-window: committed records plus the re-run hold every row exactly once", async () => {
    // Rows every 2 s: 43,200 a day, so the tap is still inside the second window when killed.
    await withServer({ spacing: 2 }, async (server) => {
      const config = configFor(server, 3);
      const { configPath, catalogPath } = await prepareReportingRun(dir, config);
      const child = spawn(TAP_BIN, ["--config", configPath, "--catalog", catalogPath], { stdio: ["ignore", "pipe", "pipe"] });
      const messages: Message[] = [];
      let killedAfter = 0;
      for await (const line of createInterface({ input: child.stdout })) {
        const message = JSON.parse(line) as Message;
        messages.push(message);
        if (message.type === "STATE" && bookmarkOf([message]) === iso(START + DAY)) killedAfter = messages.length;
        if (killedAfter > 0 && messages.length === killedAfter + 1000) child.kill("SIGKILL");
      }
      await new Promise((resolve) => child.once("close", resolve));
      assert.ok(killedAfter > 0 && messages.length >= killedAfter + 1000, "killed inside the second window");
      assert.equal(bookmarkOf(messages), iso(START + DAY));
      const rerun = await runTap(server, config, messages.filter((m) => m.type === "STATE").pop()?.value);
      assert.equal(rerun.code, 0, rerun.stderr);
      const all = [...committedRecords(messages), ...rerun.messages.filter((m) => m.type === "RECORD").map((m) => m.record as Record<string, unknown>)];
      const expected = server.truth({ start: START, end: START + 3 * DAY }).map((r) => r.conversation_id);
      assert.equal(all.length, expected.length);
      assert.deepEqual(all.map((r) => r["conversation_id"]), expected);
    });
  });
});
