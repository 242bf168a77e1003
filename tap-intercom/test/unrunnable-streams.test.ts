import assert from "node:assert/strict";
import { startFixtureServer, type FixtureServer } from "../../fixtures/src/index.js";
import type { Catalog } from "../../singer/src/index.js";
import { discoverCatalog, lastState, runTap } from "./support.js";

/** Every discovered stream selected, as Meltano's default `select: ["*.*"]` does despite `selected-by-default: false`. */
function selectEverything(catalog: Catalog): Catalog {
  const copy = structuredClone(catalog);
  for (const stream of copy.streams) for (const entry of stream.metadata) entry.metadata.selected = true;
  return copy;
}

describe("tap-intercom: selected streams that cannot run with the settings given", function () {
  this.timeout(120_000);
  let server: FixtureServer;
  let catalog: Catalog;
  const config = () => ({ access_token: server.token, base_url: server.url });
  before(async () => {
    server = await startFixtureServer({ seed: 5, scale: "tiny", log: () => undefined });
    catalog = selectEverything(await discoverCatalog(config()));
  });
  after(() => server.close());

  it("skips reporting streams selected without app_id/client_id with one warning, syncs the rest and exits 0", async () => {
    const reports = catalog.streams.map((s) => s.tap_stream_id).filter((id) => id.startsWith("report_"));
    assert.ok(reports.length > 1, "the fixture lists reporting datasets");
    const run = await runTap(config(), { catalog });
    assert.equal(run.code, 0, run.stderr);
    // One warning (the end-of-run summary repeats it as a "  - " item).
    const warnings = run.stderr.split("\n").filter((line) => line.startsWith("WARN tap-intercom: skipping") && line.includes("app_id"));
    assert.equal(warnings.length, 1, run.stderr);
    for (const id of reports) assert.ok(warnings[0]?.includes(id), `the warning names ${id}`);
    const streams = new Set(run.messages.filter((m) => m.type === "RECORD").map((m) => m.stream));
    assert.ok(streams.has("admins") && streams.has("contacts"), "REST streams are synced");
    assert.ok(!reports.some((id) => streams.has(id)), "no reporting stream is synced");
    assert.equal((lastState(run.messages) as { currently_syncing: unknown }).currently_syncing, null);
  });

  it("a state whose currently_syncing names a stream that cannot run does not pin the run: warn, continue, clear it", async () => {
    const state = { bookmarks: {}, currently_syncing: "report_conversation" };
    const run = await runTap(config(), { catalog, state });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /stream "report_conversation": the state's currently_syncing names it, and it cannot run; continuing with the other streams/);
    // Streams run concurrently: none is held back waiting for the named stream.
    const streams = new Set(run.messages.filter((m) => m.type === "RECORD").map((m) => m.stream));
    assert.ok(streams.has("admins") && streams.has("contacts"), "the runnable streams are synced");
    assert.equal((lastState(run.messages) as { currently_syncing: unknown }).currently_syncing, null, "the next run starts clean");
  });
});
