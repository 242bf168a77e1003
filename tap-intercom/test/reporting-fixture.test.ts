/**
 * The reporting export against the offline Intercom fixture, through target-duckdb into a real
 * DuckDB file: every dataset's table must hold exactly the rows Intercom holds, with their current
 * values, after overlapping windows, time passing, and a re-export.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DATA_START, type ReportRow } from "../../fixtures/src/index.js";
import { quoteIdent, rfc3339, tableCounts, withDuckDb } from "../../scripts/lib/fixture-run.js";
import { discover, pipe, saveState, startWorld, writeJson, type E2eWorld } from "../../test/e2e-support.js";

const DAY = 86400;
const T1 = DATA_START + 60 * DAY + 7 * 3600;
const T2 = T1 + 10 * DAY;
const SETTLE = 2 * 3600;
const SCHEMA = "tap_intercom";

describe("reporting export: against the offline Intercom fixture, into DuckDB", function () {
  this.timeout(300_000);
  let world: E2eWorld;

  beforeEach(async () => {
    world = await startWorld({ scale: "small", seed: 3, reportingClock: T1 });
  });
  afterEach(() => world.close());

  function config(end: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      access_token: world.server.token,
      base_url: world.server.url,
      app_id: world.server.truth().appId,
      client_id: "tap-tests",
      start_date: rfc3339(DATA_START),
      reporting_end_date: rfc3339(end),
      reporting_window_seconds: 7 * DAY,
      reporting_poll_interval_seconds: 0.01,
      reporting_settle_delay_seconds: SETTLE,
      reporting_lookback_seconds: 7 * DAY,
      // The fixture's data is from 2024; the retention limit counts from today.
      reporting_retention_days: 3650,
      ...extra,
    };
  }

  /** Discovers, keeps only the report_ streams, and runs tap | target with the saved state. */
  async function sync(end: number, extra: Record<string, unknown> = {}): Promise<string[]> {
    const configPath = await writeJson(join(world.dir, "tap.json"), config(end, extra));
    const catalog = await discover(["--config", configPath]);
    const reports = catalog.streams.filter((s) => s.tap_stream_id.startsWith("report_"));
    await writeFile(world.catalogPath, JSON.stringify({ streams: reports }));
    const { access } = await import("node:fs/promises");
    const hasState = await access(world.state).then(() => true, () => false);
    const result = await pipe({
      tapArgs: ["--config", configPath, "--catalog", world.catalogPath, ...(hasState ? ["--state", world.state] : [])],
      targetArgs: ["--config", world.targetConfig],
    });
    await saveState(world.state, result);
    return reports.map((s) => s.tap_stream_id);
  }

  /** What Intercom holds at `clock` for every time up to `end`, per dataset. */
  function truthAt(datasetId: string, end: number, clock: number): ReportRow[] {
    return world.server.reportRows(datasetId, DATA_START, end, { clock, version: "2.16" });
  }

  /** Per column its null count, and for text columns (every value a string) the sorted values. */
  function profile(rows: ReportRow[], columns: string[], textColumns: Set<string>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const column of columns) {
      const values = rows.map((r) => r[column] ?? null);
      out[`${column} nulls`] = values.filter((v) => v === null).length;
      if (textColumns.has(column)) out[column] = values.filter((v) => v !== null).map(String).sort();
    }
    return out;
  }

  async function assertTablesMatch(streams: string[], end: number, clock: number): Promise<void> {
    const counts = await tableCounts(world.database, SCHEMA);
    const datasets = Object.keys(world.server.truth().reports);
    assert.deepEqual(streams.sort(), datasets.map((d) => `report_${d}`).sort(), "one stream per dataset");
    for (const datasetId of datasets) {
      const truth = truthAt(datasetId, end, clock);
      assert.ok(truth.length > 0, `${datasetId} has rows in the range`);
      assert.equal(counts.get(`report_${datasetId}`), truth.length, `${datasetId}: rows in DuckDB = rows Intercom holds`);
      const columns = world.server.truth().reports[datasetId]?.attributeIds ?? [];
      const stored = await withDuckDb(world.database, (query) =>
        query(`SELECT ${columns.map((c) => `CAST(${quoteIdent(c)} AS VARCHAR) AS ${quoteIdent(c)}`).join(", ")} FROM ${quoteIdent(SCHEMA)}.${quoteIdent(`report_${datasetId}`)}`),
      );
      const textColumns = new Set(columns.filter((c) => truth.every((row) => row[c] === null || typeof row[c] === "string")));
      // An empty key cell is stored as its stand-in (see tap-intercom/src/reporting/empty-keys.ts): it counts as the null it stands for.
      for (const row of stored as ReportRow[]) {
        for (const column of columns) if (/^\(empty in the export; window [^,]+, #\d+\)$/.test(String(row[column]))) row[column] = null;
      }
      assert.deepEqual(profile(stored as ReportRow[], columns, textColumns), profile(truth, columns, textColumns), `${datasetId}: current values`);
    }
  }

  it("holds exactly Intercom's rows, current, after a sync, time passing, an overlapping sync, and a re-export (Intercom-Version 2.14 set)", async () => {
    const first = await sync(T1, { api_version: "2.14" });
    await assertTablesMatch(first, T1 - SETTLE, T1);
    // Ten days later: rows appeared late, provisional values settled.
    world.server.setReportingClock(T2);
    const second = await sync(T2, { api_version: "2.14" });
    await assertTablesMatch(second, T2 - SETTLE, T2);
    // The same windows once more: nothing doubles.
    const third = await sync(T2, { api_version: "2.14" });
    await assertTablesMatch(third, T2 - SETTLE, T2);
  });

  it("without lookback still reaches rows that appear late: the last window ends the settle delay before now (Intercom-Version 2.16)", async () => {
    await sync(T1, { api_version: "2.16", reporting_lookback_seconds: 0 });
    world.server.setReportingClock(T2);
    const streams = await sync(T2, { api_version: "2.16", reporting_lookback_seconds: 0 });
    const counts = await tableCounts(world.database, SCHEMA);
    for (const stream of streams) {
      const datasetId = stream.slice("report_".length);
      assert.equal(counts.get(stream), truthAt(datasetId, T2 - SETTLE, T2).length, `${datasetId}: every row, once`);
    }
  });
});
