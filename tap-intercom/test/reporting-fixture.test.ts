import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATA_END, DATA_START, startFixtureServer, type FixtureServer } from "../../fixtures/src/index.js";
import { TAP_BIN, runCommand } from "../../test/helpers.js";
import { rfc3339 } from "../../test/reporting-tap.js";

const WINDOW = 30 * 86400;

interface Message {
  type: string;
  stream?: string;
  record?: Record<string, unknown>;
  value?: { bookmarks?: Record<string, Record<string, unknown>> };
}

describe("reporting export: against the offline Intercom fixture server", function () {
  this.timeout(120_000);
  let server: FixtureServer;
  let dir: string;
  let configPath: string;
  let catalogPath: string;

  before(async () => {
    server = await startFixtureServer({ scale: "small", exportJobSeconds: 0.04, log: () => undefined });
    dir = mkdtempSync(join(tmpdir(), "reporting-fixture-"));
    configPath = join(dir, "config.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        access_token: server.token,
        base_url: server.url,
        app_id: server.truth().appId,
        client_id: "tap-tests",
        start_date: rfc3339(DATA_START),
        reporting_end_date: rfc3339(DATA_END),
        reporting_window_seconds: WINDOW,
        reporting_poll_interval_seconds: 0.01,
        max_retries: 0,
      }),
    );
    const discovered = await runCommand(TAP_BIN, ["--config", configPath, "--discover"]);
    assert.equal(discovered.code, 0, discovered.stderr);
    const catalog = JSON.parse(discovered.stdout) as { streams: { tap_stream_id: string; key_properties: string[]; replication_key: string }[] };
    const reports = catalog.streams.filter((s) => s.tap_stream_id.startsWith("report_"));
    for (const [datasetId, truth] of Object.entries(server.truth().reports)) {
      const stream = reports.find((s) => s.tap_stream_id === `report_${datasetId}`);
      assert.ok(stream, `report_${datasetId} is discovered`);
      assert.deepEqual(stream.key_properties, [truth.keyAttribute]);
      assert.equal(stream.replication_key, truth.timeAttribute);
    }
    catalogPath = join(dir, "catalog.json");
    writeFileSync(catalogPath, JSON.stringify({ streams: reports }));
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(state?: unknown): Promise<{ code: number | null; stderr: string; messages: Message[] }> {
    const args = ["--config", configPath, "--catalog", catalogPath];
    if (state !== undefined) {
      writeFileSync(join(dir, "state.json"), JSON.stringify(state));
      args.push("--state", join(dir, "state.json"));
    }
    const result = await runCommand(TAP_BIN, args);
    const messages = result.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Message);
    return { code: result.code, stderr: result.stderr, messages };
  }

  function keysByStream(messages: Message[]): Record<string, string[]> {
    const keys: Record<string, string[]> = {};
    const reports = server.truth().reports;
    for (const m of messages) {
      if (m.type !== "RECORD" || !m.stream) continue;
      const key = reports[m.stream.replace(/^report_/, "")]?.keyAttribute as string;
      (keys[m.stream] ??= []).push(String(m.record?.[key]));
    }
    return keys;
  }

  it("syncs every dataset over the whole data range: each row exactly once, typed, in time order", async () => {
    const { code, stderr, messages } = await run();
    assert.equal(code, 0, stderr);
    const truth = server.truth();
    const keys = keysByStream(messages);
    for (const datasetId of Object.keys(truth.reports)) {
      const expected = truth.streams[`report_${datasetId}`]?.ids ?? [];
      assert.ok(expected.length > 0, `${datasetId} has rows`);
      assert.deepEqual(keys[`report_${datasetId}`] ?? [], expected, datasetId);
    }
    const [row] = server.reportRows("conversation", DATA_START, DATA_END);
    const record = messages.find((m) => m.type === "RECORD" && m.stream === "report_conversation")?.record;
    assert.ok(row && record);
    assert.equal(record["conversation_started_at"], new Date((row["conversation_started_at"] as number) * 1000).toISOString());
    assert.equal(record["conversation_parts_count"], row["conversation_parts_count"]);
    assert.equal(record["first_response_time_seconds"], row["first_response_time_seconds"]);
    const final = messages.filter((m) => m.type === "STATE").pop();
    for (const datasetId of Object.keys(truth.reports)) {
      assert.equal(final?.value?.bookmarks?.[`report_${datasetId}`]?.["replication_key_value"], rfc3339(DATA_END));
    }
  });

  for (const [what, faults, pattern] of [
    ["export jobs that always fail", { failExportJobRate: 1 }, /gave up after 3 attempts/],
    ["truncated downloads", { truncateDownloadRate: 1 }, /gzip download is truncated/],
  ] as const) {
    it(`stops with a clear error on ${what}; with the fault gone the re-run completes, each row once`, async () => {
      server.setFaults(faults);
      let failed: Awaited<ReturnType<typeof run>>;
      try {
        failed = await run();
      } finally {
        server.setFaults({});
      }
      assert.notEqual(failed.code, 0);
      assert.match(failed.stderr, /reporting dataset "\w+", window \[2024-01-01T00:00:00Z, 2024-01-31T00:00:00Z\)/);
      assert.match(failed.stderr, pattern);
      const lastState = failed.messages.filter((m) => m.type === "STATE").pop();
      const rerun = await run(lastState?.value);
      assert.equal(rerun.code, 0, rerun.stderr);
      const keys = keysByStream(rerun.messages);
      for (const datasetId of Object.keys(server.truth().reports)) {
        assert.deepEqual(keys[`report_${datasetId}`] ?? [], server.truth().streams[`report_${datasetId}`]?.ids ?? [], datasetId);
      }
    });
  }
});

