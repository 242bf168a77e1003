import assert from "node:assert/strict";
import { join } from "node:path";
import { fixtureTapConfig, quoteIdent, withDuckDb } from "../scripts/lib/fixture-run.js";
import { assertExactlyTruth, discover, pipe, saveState, startPipe, startWorld, syncedStreams, writeJson, type E2eWorld } from "./e2e-support.js";
import { startHoldingProxy, type HoldingProxy } from "./holding-proxy.js";

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
    const streams = syncedStreams(catalog);
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
          `SELECT id, epoch(updated_at) AS updated_at FROM tap_intercom.${quoteIdent(stream)} WHERE _sdc_batched_at >= to_timestamp(${secondStarted / 1000}) ORDER BY id`,
        );
        assert.deepEqual(rows.map((r) => r["id"]), [...ids].sort(), `${stream}: only the changed records moved`);
        for (const row of rows) assert.ok(Number(row["updated_at"]) >= changed.updatedAt, `${stream} ${String(row["id"])} has its new updated_at`);
      }
      const [parts] = await query(`SELECT count(*) AS n FROM tap_intercom.conversation_parts WHERE id IN (${changed.conversation_parts.map((id) => `'${id}'`).join(",")})`);
      assert.equal(Number(parts?.["n"]), changed.conversation_parts.length, "the new conversation parts arrived");
    });
  });
});

describe("end to end: the tap killed mid-run", function () {
  this.timeout(180_000);
  let world: E2eWorld;
  let proxy: HoldingProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await world?.close();
  });

  it("SIGKILL mid-stream, then a re-run from the last committed state loses nothing and duplicates nothing", async () => {
    world = await startWorld({ scale: "small" });
    // The proxy stops answering at the 4th page of contacts: the tap is then provably mid-run.
    proxy = await startHoldingProxy(world.server.url, (method, path, seen) => method === "POST" && path === "/contacts/search" && seen === 4);
    const config = { ...fixtureTapConfig(world.server), page_size: 50 };
    const viaProxy = await writeJson(join(world.dir, "tap-proxy.json"), { ...config, base_url: proxy.url });
    const direct = await writeJson(join(world.dir, "tap.json"), config);
    const catalog = await discover(["--config", direct]);
    await writeJson(world.catalogPath, catalog);
    const streams = syncedStreams(catalog);
    const smallBatches = await writeJson(join(world.dir, "target-small-batches.json"), { batch_size_rows: 100 });

    const { running, logs } = startPipe({
      tapArgs: ["--config", viaProxy, "--catalog", world.catalogPath],
      targetArgs: ["--config", world.targetConfig, "--config", smallBatches],
    });
    await proxy.holding;
    running.killTap("SIGKILL");
    const killed = await running.done;
    assert.equal(killed.tap.signal, "SIGKILL", logs.join("\n"));
    assert.ok(killed.states.length > 0, `the target committed progress before the kill\n${logs.join("\n")}`);
    await saveState(world.state, killed);
    const saved = killed.states.at(-1) as { bookmarks: Record<string, unknown> };
    // Streams run concurrently: those that moved before the kill are bookmarked, whichever they are.
    const incremental = ["companies", "contacts", "conversations", "tickets", "activity_logs"];
    const bookmarked = incremental.filter((stream) => saved.bookmarks[stream]);
    assert.ok(Object.keys(saved.bookmarks).length > 0, "streams that progressed before the kill are bookmarked");

    const rerunStarted = Date.now();
    const rerun = await pipe({
      tapArgs: ["--config", direct, "--catalog", world.catalogPath, "--state", world.state],
      targetArgs: ["--config", world.targetConfig, "--config", smallBatches],
    });
    await saveState(world.state, rerun);
    await assertExactlyTruth(world, catalog, streams);
    await withDuckDb(world.database, async (query) => {
      for (const stream of bookmarked) {
        const [row] = await query(`SELECT count(*) AS n FROM tap_intercom.${quoteIdent(stream)} WHERE _sdc_batched_at >= to_timestamp(${rerunStarted / 1000})`);
        const total = world.server.truth().streams[stream]?.count ?? 0;
        assert.ok(Number(row?.["n"]) < total, `${stream}: the re-run resumed from the state instead of starting over (${String(row?.["n"])} of ${total} rewritten)`);
      }
    });
  });
});
