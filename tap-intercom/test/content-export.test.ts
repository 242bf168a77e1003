import assert from "node:assert/strict";
import { startFixtureServer, type FixtureServer } from "../../fixtures/src/index.js";
import { getMetadata, isStreamSelected } from "../../singer/src/index.js";
import { discoverCatalog, lastState, recordsOf, runTap, selectOnly } from "./support.js";

const DAY = 86400;
const MARCH_1 = Date.UTC(2024, 2, 1) / 1000;
const iso = (unix: number): string => new Date(unix * 1000).toISOString();

describe("tap-intercom content_data: the content data export on the reporting job machinery", function () {
  this.timeout(120_000);
  let server: FixtureServer;
  beforeEach(async () => {
    server = await startFixtureServer({ seed: 4, scale: "small", exportJobSeconds: 0, log: () => undefined });
  });
  afterEach(() => server.close());

  const configFor = (version: string, extra: Record<string, unknown> = {}) => ({
    access_token: server.token,
    base_url: server.url,
    api_version: version,
    start_date: iso(MARCH_1),
    reporting_end_date: iso(MARCH_1 + 10 * DAY),
    content_data_window_seconds: 5 * DAY,
    reporting_poll_interval_seconds: 0.02,
    reporting_settle_delay_seconds: 0,
    reporting_lookback_seconds: 0,
    reporting_retention_days: 3650,
    content_data_export: true,
    ...extra,
  });

  for (const version of ["2.14", "2.16"]) {
    it(`at ${version}: one job per window, every receipt once keyed by receipt_id, engagement as the window's export counts it, STATE per window`, async () => {
      const discovered = await discoverCatalog(configFor(version));
      const entry = discovered.streams.find((s) => s.tap_stream_id === "content_data");
      assert.ok(entry, "discovered");
      assert.equal(isStreamSelected(entry), false, "not selected by default: one job per window, one at a time");
      assert.match(String(getMetadata(entry, [])["description"]), /Cost: one content export job per content_data_window_seconds window/);
      assert.deepEqual(entry.key_properties, ["receipt_id"]);
      assert.equal(entry.replication_key, "received_at");

      const run = await runTap(configFor(version), { catalog: selectOnly(discovered, ["content_data"]) });
      assert.equal(run.code, 0, run.stderr);
      // Windows sit on a grid of content_data_window_seconds since 1970: 2024-03-01 is in the cell of 02-27 to 03-03.
      const bounds = [MARCH_1, MARCH_1 + 2 * DAY, MARCH_1 + 7 * DAY, MARCH_1 + 10 * DAY];
      const expected = bounds.slice(1).flatMap((end, i) => server.contentRows(bounds[i] as number, end - 1));
      const records = recordsOf(run.messages, "content_data");
      assert.deepEqual(records.map((r) => r["receipt_id"]), expected.map((r) => r["receipt_id"]));
      for (const [i, row] of expected.entries()) {
        const record = records[i] ?? {};
        assert.equal(record["received_at"], iso(row["received_at"] as number));
        assert.equal(record["first_open"], row["first_open"] === null ? null : iso(row["first_open"] as number));
        assert.equal(record["content_type"], row["content_type"]);
        assert.equal(record["company_id"], row["company_id"]);
      }
      assert.deepEqual(server.stats().byRoute["POST /export/content/data"], 3);
      const state = lastState(run.messages) as { bookmarks: Record<string, Record<string, unknown>> };
      assert.equal(state.bookmarks["content_data"]?.["replication_key_value"], "2024-03-11T00:00:00Z");
    });
  }

  it("selected without content_data_export: true (as Meltano's default *.* selects it) it is skipped with a warning, the other streams run", async () => {
    const config = configFor("2.14", { content_data_export: false });
    const run = await runTap(config, { catalog: selectOnly(await discoverCatalog(config), ["content_data", "tags"]) });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /skipping stream "content_data": content_data runs export jobs only with "content_data_export": true/);
    assert.ok(recordsOf(run.messages, "tags").length > 0);
    assert.equal(server.stats().byRoute["POST /export/content/data"], undefined);
  });

  it("without start_date or reporting_start_date it is skipped with a warning, the other streams run", async () => {
    const { start_date: _unset, ...config } = configFor("2.14");
    const run = await runTap(config, { catalog: selectOnly(await discoverCatalog(config), ["content_data", "tags"]) });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /skipping stream "content_data": content_data needs "reporting_start_date" or "start_date"/);
    assert.ok(recordsOf(run.messages, "tags").length > 0);
    assert.equal(server.stats().byRoute["POST /export/content/data"], undefined);
  });
});
