/**
 * Export rows whose key cell is empty (the fixture's log rows of a deleted SLA have no sla_name):
 * the tap never sends them as null keys, which the target refuses, and which would otherwise make
 * such rows replace each other.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATA_START, startFixtureServer, type FixtureServer } from "../fixtures/src/index.js";
import { runCommand, TAP_BIN, TARGET_BIN } from "./helpers.js";
import { prepareReportingRun, reportingConfig } from "./reporting-tap.js";
import { query } from "../target-duckdb/test/support.js";
import { EmptyKeyCells } from "../tap-intercom/src/reporting/empty-keys.js";

const DAY = 86400;
const DAYS = 30;
const DATASET = "conversation_sla_status_log";
const KEY = ["conversation_id", "sla_name", "sla_metric_type", "sla_started_at"];

describe("reporting export rows with an empty key cell", function () {
  this.timeout(180_000);
  let dir: string;
  let server: FixtureServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "reporting-empty-keys-"));
    server = await startFixtureServer({ scale: "small", exportJobSeconds: 0, log: () => undefined });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function syncInto(database: string): Promise<{ records: Record<string, unknown>[]; keys: string[] }> {
    const config = reportingConfig(server, DATA_START, DATA_START + DAYS * DAY, { reporting_datasets: [DATASET], reporting_job_timeout_seconds: 30 });
    const { configPath, catalogPath } = await prepareReportingRun(dir, config);
    const tap = await runCommand(TAP_BIN, ["--config", configPath, "--catalog", catalogPath]);
    assert.equal(tap.code, 0, tap.stderr);
    const messages = tap.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { type: string; record?: Record<string, unknown>; key_properties?: string[] });
    assert.deepEqual(messages.find((m) => m.type === "SCHEMA")?.key_properties, KEY);
    const target = await runCommand(TARGET_BIN, ["--config", "/dev/null"], { input: tap.stdout, env: { TARGET_DUCKDB_PATH: database } });
    assert.equal(target.code, 0, target.stderr);
    const records = messages.filter((m) => m.type === "RECORD").map((m) => m.record as Record<string, unknown>);
    return { records, keys: records.map((r) => JSON.stringify(KEY.map((k) => r[k]))) };
  }

  it("gives each such row a key of its own, stable across re-exports, so every row is loaded once", async () => {
    const truth = server.reportRows(DATASET, DATA_START, DATA_START + DAYS * DAY);
    const emptyInTruth = truth.filter((row) => row["sla_name"] === null).length;
    assert.ok(emptyInTruth >= 2, "the fixture has rows with an empty key cell");

    const database = join(dir, "empty-keys.duckdb");
    const first = await syncInto(database);
    assert.equal(first.records.length, truth.length);
    for (const record of first.records) for (const key of KEY) assert.ok(record[key] !== null && record[key] !== undefined, `${key} of ${JSON.stringify(record)}`);
    assert.equal(new Set(first.keys).size, truth.length, "every row has a key of its own");
    const standIns = first.records.map((r) => r["sla_name"] as string).filter((name) => name.startsWith("(empty"));
    assert.equal(standIns.length, emptyInTruth);
    assert.match(standIns[0] ?? "", /^\(empty in the export; window 2024-\d\d-\d\dT00:00:00Z, #1\)$/);

    // A second export of the same windows (a lookback, or a sync from scratch) replaces those rows instead of adding to them.
    const second = await syncInto(database);
    assert.deepEqual(second.keys, first.keys);
    const table = `tap_intercom.report_${DATASET}`;
    assert.deepEqual(await query(database, `SELECT count(*), count(*) FILTER (sla_name LIKE '(empty%') FROM ${table}`), [[String(truth.length), String(emptyInTruth)]]);
  });

  it("stops with the dataset, window, row and attribute when an empty key cell is not text (a time or a number cannot take a stand-in)", () => {
    const schemas: Record<string, { type: string[]; format?: string }> = { sla_name: { type: ["null", "string"] }, sla_started_at: { type: ["null", "string"], format: "date-time" } };
    const cells = new EmptyKeyCells(`report_${DATASET}`, ["sla_name", "sla_started_at"], (field) => schemas[field]);
    cells.startWindow({ start: DATA_START, end: DATA_START + DAY });
    const both = [{ sla_name: null, sla_started_at: "2024-01-01T10:00:00Z" }, { sla_name: null, sla_started_at: "2024-01-01T10:00:00Z" }];
    both.forEach((record, i) => cells.fill(record, i + 1));
    assert.deepEqual(both.map((r) => r.sla_name), ["(empty in the export; window 2024-01-01T00:00:00Z, #1)", "(empty in the export; window 2024-01-01T00:00:00Z, #2)"]);
    assert.throws(
      () => cells.fill({ sla_name: "VIP", sla_started_at: null }, 7),
      /stream "report_conversation_sla_status_log": window \[2024-01-01T00:00:00Z, 2024-01-02T00:00:00Z\): CSV row 7: key attribute "sla_started_at" is empty, and only a text key can take a stand-in value/,
    );
  });
});
