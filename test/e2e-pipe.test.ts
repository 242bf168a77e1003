import assert from "node:assert/strict";
import { join } from "node:path";
import { fixtureTapConfig, quoteIdent, withDuckDb } from "../scripts/lib/fixture-run.js";
import { assertExactlyTruth, discover, pipe, saveState, startWorld, writeJson, type E2eWorld } from "./e2e-support.js";

describe("end to end: tap-intercom | target-duckdb through an OS pipe", function () {
  this.timeout(180_000);
  let world: E2eWorld;
  afterEach(async () => {
    await world?.close();
  });

  it("a full sync then an incremental sync reach the fixture's truth exactly once, moving only what changed", async () => {
    world = await startWorld({ scale: "small" });
    const tapConfig = await writeJson(join(world.dir, "tap.json"), fixtureTapConfig(world.server));
    const catalog = await discover(["--config", tapConfig]);
    await writeJson(world.catalogPath, catalog);
    const streams = catalog.streams.map((s) => s.stream);
    assert.ok(streams.some((s) => s.startsWith("report_")), "the reporting export streams are discovered");

    const full = await pipe({ tapArgs: ["--config", tapConfig, "--catalog", world.catalogPath], targetArgs: ["--config", world.targetConfig] });
    await saveState(world.state, full);
    await assertExactlyTruth(world, catalog, streams);

    const changed = world.server.mutate({ contacts: 7, conversations: 4, companies: 3 });
    const secondStarted = Date.now();
    const incremental = await pipe({
      tapArgs: ["--config", tapConfig, "--catalog", world.catalogPath, "--state", world.state],
      targetArgs: ["--config", world.targetConfig],
    });
    await saveState(world.state, incremental);
    await assertExactlyTruth(world, catalog, streams);

    // The second run wrote exactly the changed records of the incremental parents, and they hold the new values.
    await withDuckDb(world.database, async (query) => {
      for (const [stream, ids] of [
        ["contacts", changed.contacts],
        ["conversations", changed.conversations],
        ["companies", changed.companies],
      ] as const) {
        const rows = await query(
          `SELECT id, updated_at FROM tap_intercom.${quoteIdent(stream)} WHERE _sdc_batched_at >= to_timestamp(${secondStarted / 1000}) ORDER BY id`,
        );
        assert.deepEqual(rows.map((r) => r["id"]), [...ids].sort(), `${stream}: only the changed records moved`);
        for (const row of rows) assert.ok(Number(row["updated_at"]) >= changed.updatedAt, `${stream} ${String(row["id"])} has its new updated_at`);
      }
      const [parts] = await query(`SELECT count(*) AS n FROM tap_intercom.conversation_parts WHERE id IN (${changed.conversation_parts.map((id) => `'${id}'`).join(",")})`);
      assert.equal(Number(parts?.["n"]), changed.conversation_parts.length, "the new conversation parts arrived");
    });
  });
});
