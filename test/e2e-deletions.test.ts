import assert from "node:assert/strict";
import { join } from "node:path";
import { fixtureTapConfig, quoteIdent, withDuckDb } from "../scripts/lib/fixture-run.js";
import { selectOnly } from "../tap-intercom/test/support.js";
import { discover, pipe, saveState, startWorld, writeJson, type E2eWorld } from "./e2e-support.js";

const STREAMS = ["tags", "admins", "conversations"];

describe("end to end: what Intercom deleted between two syncs", function () {
  this.timeout(180_000);
  let world: E2eWorld;
  afterEach(async () => {
    await world?.close();
  });

  /** Two syncs at 2.16 with a tag, an admin and a conversation deleted in between; returns the deleted ids per stream. */
  async function syncTwiceAroundDeletions(target: Record<string, unknown>): Promise<Record<string, string[]>> {
    world = await startWorld();
    const tapConfig = await writeJson(join(world.dir, "tap.json"), fixtureTapConfig(world.server, { api_version: "2.16" }));
    await writeJson(world.targetConfig, { path: world.database, ...target });
    await writeJson(world.catalogPath, selectOnly(await discover(["--config", tapConfig]), STREAMS));
    const run = async (): Promise<void> => {
      const result = await pipe({
        tapArgs: ["--config", tapConfig, "--catalog", world.catalogPath, "--state", world.state],
        targetArgs: ["--config", world.targetConfig],
      });
      await saveState(world.state, result);
    };
    await run();
    const removed = world.server.remove({ tags: 1, admins: 1, conversations: 1 });
    await run();
    return { tags: removed.tags, admins: removed.admins, conversations: removed.conversations };
  }

  it("marks the deleted tag, admin and conversation with _sdc_deleted_at and no other row", async () => {
    const deleted = await syncTwiceAroundDeletions({});
    const truth = world.server.truth().streams;
    await withDuckDb(world.database, async (query) => {
      for (const stream of STREAMS) {
        const rows = await query(`SELECT CAST(id AS VARCHAR) AS id, _sdc_deleted_at IS NOT NULL AS gone FROM tap_intercom.${quoteIdent(stream)} ORDER BY id`);
        assert.deepEqual(rows.filter((r) => r["gone"]).map((r) => r["id"]), deleted[stream], `${stream}: the deleted row is marked`);
        assert.deepEqual(rows.filter((r) => !r["gone"]).map((r) => r["id"]), [...(truth[stream]?.ids ?? [])].sort(), `${stream}: every other row is live`);
      }
    });
  });

  it("with hard_delete the deleted tag, admin and conversation are gone", async () => {
    const deleted = await syncTwiceAroundDeletions({ hard_delete: true });
    const truth = world.server.truth().streams;
    await withDuckDb(world.database, async (query) => {
      for (const stream of STREAMS) {
        const rows = await query(`SELECT CAST(id AS VARCHAR) AS id FROM tap_intercom.${quoteIdent(stream)} ORDER BY id`);
        const ids = rows.map((r) => r["id"]);
        for (const id of deleted[stream] ?? []) assert.ok(!ids.includes(id), `${stream}: ${id} is gone`);
        assert.deepEqual(ids, [...(truth[stream]?.ids ?? [])].sort(), `${stream}: exactly the rows Intercom still returns`);
      }
    });
  });
});
