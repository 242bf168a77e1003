import assert from "node:assert/strict";
import { getMetadata } from "../../singer/src/index.js";
import { converterFor, parseTimestamp } from "../src/reporting/cell-values.js";
import { typedRecords, type FieldPlan } from "../src/reporting/csv-records.js";
import { parseDatasetList, rowIdentityOf, type ReportingDataset } from "../src/reporting/datasets.js";
import { catalogStreamOf } from "../src/reporting/schema.js";
import { readReportingConfig } from "../src/reporting/settings.js";
import { exportWindows } from "../src/reporting/windows.js";
import { gunzipSync, gzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import { FetchError } from "node-fetch";
import { isRetryableError } from "../src/http/retry.js";
import { CsvRowError } from "../src/reporting/csv-records.js";
import { isBrokenDownload } from "../src/reporting/export-window.js";

function dataset(id: string, attributeIds: string[], time = attributeIds[attributeIds.length - 1] as string): ReportingDataset {
  return { id, default_time_attribute_id: time, attributes: attributeIds.map((a) => ({ id: a, name: a.replace(/_/g, " ") })) };
}

describe("reporting: pure parts", () => {
  it("walks half-open windows on a grid from the epoch: the first starts late, the last is cut short", () => {
    assert.deepEqual([...exportWindows(100, 350, 100)], [
      { start: 100, end: 200 },
      { start: 200, end: 300 },
      { start: 300, end: 350 },
    ]);
    assert.deepEqual([...exportWindows(150, 320, 100)], [
      { start: 150, end: 200 },
      { start: 200, end: 300 },
      { start: 300, end: 320 },
    ]);
    assert.deepEqual([...exportWindows(350, 350, 100)], []);
  });

  it("types cells from the schema: timestamps to RFC 3339, numbers, booleans, empty to null", () => {
    const ts = converterFor("t", { type: ["null", "string"], format: "date-time" });
    assert.equal(ts("1717490000"), "2024-06-04T08:33:20.000Z");
    assert.equal(ts("1717490000123"), "2024-06-04T08:33:20.123Z");
    assert.equal(ts("2024-06-04 08:33:20"), "2024-06-04T08:33:20.000Z");
    assert.equal(ts("2024-06-04T10:33:20+02:00"), "2024-06-04T08:33:20.000Z");
    assert.equal(ts(""), null);
    assert.throws(() => ts("yesterday"), /field "t": "yesterday" is not a timestamp/);
    assert.equal(converterFor("n", { type: ["null", "number"] })("12.5"), 12.5);
    assert.equal(converterFor("i", { type: ["null", "integer"] })("-7"), -7);
    assert.throws(() => converterFor("i", { type: ["null", "integer"] })("7.5"), /not an integer/);
    const bool = converterFor("b", { type: ["null", "boolean"] });
    assert.deepEqual(["true", "FALSE", "1", "0", ""].map(bool), [true, false, true, false, null]);
    assert.equal(converterFor("s", { type: ["null", "string"] })(" a, \"b\" "), " a, \"b\" ");
    assert.equal(parseTimestamp("not a date"), undefined);
    assert.equal(parseTimestamp("2024-02-29 23:59:59"), "2024-02-29T23:59:59.000Z");
    assert.equal(parseTimestamp("2023-02-29 00:00:00"), undefined);
    assert.equal(parseTimestamp("2024-13-01 00:00:00"), undefined);
  });

  it("names row and column of a cell that does not fit a curated type; a guessed type turns to text instead", async () => {
    async function* rows(): AsyncGenerator<string[]> {
      yield ["id", "n"];
      yield ["a", "1"];
      yield ["b", "1,024"];
      yield ["c", "3"];
    }
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined } as unknown as Parameters<typeof typedRecords>[2];
    const curated: FieldPlan[] = [{ field: "id", schema: { type: ["null", "string"] }, headers: ["id"] }, { field: "n", schema: { type: ["null", "integer"] }, headers: ["n"] }];
    await assert.rejects(async () => {
      for await (const _ of typedRecords(rows(), curated, logger)) void _;
    }, /CSV row 2: field "n": "1,024" is not an integer/);
    const misfits: [number, string][] = [];
    const guessed: FieldPlan[] = [curated[0] as FieldPlan, { field: "n", schema: { type: ["null", "integer"] }, headers: ["n"], onMisfit: (row, cell) => misfits.push([row, cell]) }];
    const values: unknown[] = [];
    for await (const { record } of typedRecords(rows(), guessed, logger)) values.push(record["n"]);
    assert.deepEqual(values, [1, "1,024", "3"]);
    assert.deepEqual(misfits, [[2, "1,024"]]);
  });

  it("keys rows by the curated table, never by a guess from the dataset's name or a column of names", () => {
    const key = (d: ReportingDataset): string[] => rowIdentityOf(d).keyFields;
    assert.deepEqual(key(dataset("conversation", ["conversation_id", "conversation_started_at"])), ["conversation_id"]);
    assert.deepEqual(key(dataset("consolidated_conversation_part", ["conversation_id", "action_id", "action_time"])), ["conversation_id", "action_id"]);
    assert.deepEqual(key(dataset("conversation_state", ["conversation_id", "conversation_state", "conversation_state_started_at"])), [
      "conversation_id", "conversation_state_started_at", "conversation_state",
    ]);
    // call_team_id holds the team NAME: the old guess keyed on it and collapsed a team's calls into one row.
    assert.deepEqual(key(dataset("call_team_stats", ["call_id", "call_team_id", "call_initiated_at"])), ["_window_start", "_window_row"]);
    assert.deepEqual(key(dataset("admin_status_change", ["teammate_id", "teammate_status_period_started_at"])), ["_window_start", "_window_row"]);
    // An unknown dataset, or a known one missing a key attribute: the window-row key.
    assert.deepEqual(key(dataset("ticket_time_in_state", ["ticket_id", "ticket_created_at"])), ["_window_start", "_window_row"]);
    assert.deepEqual(key(dataset("tickets_report", ["ticket_created_at"])), ["_window_start", "_window_row"]);
  });

  it("builds a catalog stream: report_<id>, typed schema, key, forced incremental on the time attribute", () => {
    const [conversation] = parseDatasetList({
      type: "list",
      data: [
        {
          id: "conversation",
          default_time_attribute_id: "conversation_started_at",
          attributes: [
            { id: "conversation_id", qualified_id: "standard.conversation_id", name: "Conversation ID" },
            { id: "conversation_started_at", qualified_id: "timestamp.conversation_started_at", name: "Started" },
            { id: "first_response_time", name: "First response time", data_type: "integer" },
            { id: "channel", name: "Channel" },
          ],
        },
      ],
    });
    const stream = catalogStreamOf(conversation as ReportingDataset);
    assert.equal(stream.tap_stream_id, "report_conversation");
    assert.deepEqual(Object.keys(stream.schema.properties ?? {}), ["conversation_id", "conversation_started_at", "first_response_time", "channel"]);
    assert.equal(stream.schema.properties?.["conversation_started_at"]?.format, "date-time");
    assert.deepEqual(stream.schema.properties?.["first_response_time"]?.type, ["null", "integer"]);
    const root = getMetadata(stream);
    assert.deepEqual(root["table-key-properties"], ["conversation_id"]);
    assert.equal(root["replication-key"], "conversation_started_at");
    assert.equal(root["forced-replication-method"], "INCREMENTAL");
    const subset = catalogStreamOf(conversation as ReportingDataset, ["channel"]);
    assert.deepEqual(Object.keys(subset.schema.properties ?? {}), ["conversation_id", "conversation_started_at", "channel"]);
    assert.throws(() => catalogStreamOf(conversation as ReportingDataset, ["nope"]), /no attribute "nope"/);
  });

  it("rejects a dataset list whose time attribute is not an attribute", () => {
    assert.throws(
      () => parseDatasetList({ data: [{ id: "x", default_time_attribute_id: "t", attributes: [{ id: "a" }] }] }),
      /dataset "x" has no "default_time_attribute_id"/,
    );
  });

  it("reads the reporting settings with defaults and clear errors", () => {
    const config = readReportingConfig({ start_date: "2024-01-01T00:00:00Z", reporting_datasets: "conversation,ticket" });
    assert.equal(config.startTime, 1704067200);
    assert.equal(config.windowSeconds, 86400);
    assert.equal(config.lookbackSeconds, 7 * 86400);
    assert.equal(config.settleDelaySeconds, 3600);
    assert.equal(config.retentionDays, 730);
    assert.throws(() => readReportingConfig({ reporting_lookback_seconds: -1 }), /"reporting_lookback_seconds" must be a whole number of seconds/);
    assert.deepEqual(config.datasets, ["conversation", "ticket"]);
    assert.equal(readReportingConfig({ start_date: "2024-01-01T00:00:00Z", reporting_start_date: "2024-02-01T00:00:00Z" }).startTime, 1706745600);
    assert.throws(() => readReportingConfig({ reporting_window_seconds: 0 }), /"reporting_window_seconds" must be a positive integer/);
    assert.throws(() => readReportingConfig({ reporting_start_date: "soon" }), /RFC 3339/);
    // The one strict reading of date-time settings (date-time.ts): a time without a zone is refused, not read as local time.
    assert.throws(() => readReportingConfig({ reporting_end_date: "2024-01-05T00:00:00" }), /setting "reporting_end_date" must be an RFC 3339 date-time/);
    assert.equal(readReportingConfig({ reporting_end_date: "2024-01-05" }).endTime, 1704412800);
  });

  it("downloads again after a broken download (truncated gzip, a connection cut mid-body), never after a row the data refuses", () => {
    const caught = (run: () => unknown): unknown => {
      try {
        run();
      } catch (error) {
        return error;
      }
      return assert.fail("it throws");
    };
    const gzip = gzipSync(Buffer.from("id,created_at\n1,2024-01-01\n".repeat(50)));
    assert.ok(isBrokenDownload(caught(() => gunzipSync(gzip.subarray(0, gzip.length / 2)))), "a truncated gzip");
    assert.ok(isBrokenDownload(new FetchError("Invalid response body while trying to fetch: Premature close", "system", { code: "ERR_STREAM_PREMATURE_CLOSE" })));
    assert.ok(isBrokenDownload(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })));
    // A malformed file takes a fresh job instead (isMalformedCsv), not the same file again.
    assert.ok(!isBrokenDownload(caught(() => parse('a,b\n"1,2\n'))));
    // The HTTP client's message patterns would take a refused cell for a cut connection: the download check leaves them out.
    const refused = new CsvRowError(2, 'field "state": "terminated" is not an integer');
    assert.ok(isRetryableError(refused));
    assert.ok(!isBrokenDownload(refused));
  });
});
