import assert from "node:assert/strict";
import { startFixtureServer, type FixtureServer } from "../../fixtures/src/index.js";
import type { Catalog } from "../../singer/src/index.js";
import { declarations } from "../src/streams/declarations.js";
import { discoverCatalog, lastState, recordsOf, runTap, selectOnly, type TapMessage } from "./support.js";

/** Full-table streams per their declarations (no replication key) that API 2.14, the default, has. */
const FULL_TABLE = declarations.filter((d) => !d.replicationKey && !d.since).map((d) => d.name);

function configFor(server: FixtureServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { access_token: server.token, base_url: server.url, ...extra };
}

/** The messages of one stream, as `TYPE` or `TYPE:version`. */
function shapeOf(messages: TapMessage[], stream: string): string[] {
  const shape = messages.filter((m) => m.stream === stream).map((m) => (m.version === undefined ? m.type : `${m.type}:${m.version}`));
  // Consecutive records collapse into one entry.
  return shape.filter((entry, i) => !(entry.startsWith("RECORD") && shape[i - 1] === entry));
}

function bookmarksOf(state: Record<string, unknown> | undefined): Record<string, Record<string, unknown>> {
  return (state?.["bookmarks"] ?? {}) as Record<string, Record<string, unknown>>;
}

describe("tap-intercom deletions", function () {
  this.timeout(120_000);
  let server: FixtureServer;
  let catalog: Catalog;
  beforeEach(async () => {
    server = await startFixtureServer({ seed: 5, scale: "tiny", log: () => undefined });
    catalog = selectOnly(await discoverCatalog(configFor(server)), [...FULL_TABLE, "conversations"]);
  });
  afterEach(() => server.close());

  it("full-table streams: ACTIVATE_VERSION before and after the versioned records on the first sync, only after on later syncs; the version is bookmarked after it", async () => {
    assert.ok(FULL_TABLE.includes("tags") && FULL_TABLE.includes("admins") && FULL_TABLE.includes("articles"));
    const first = await runTap(configFor(server), { catalog });
    assert.equal(first.code, 0, first.stderr);
    const state = lastState(first.messages);
    for (const stream of FULL_TABLE) {
      const version = first.messages.find((m) => m.type === "ACTIVATE_VERSION" && m.stream === stream)?.version;
      assert.ok(typeof version === "number" && version > 1_600_000_000_000, `${stream}: a version in epoch ms`);
      assert.deepEqual(shapeOf(first.messages, stream), ["SCHEMA", `ACTIVATE_VERSION:${version}`, `RECORD:${version}`, `ACTIVATE_VERSION:${version}`], stream);
      // The STATE after the closing ACTIVATE_VERSION holds the version.
      const closing = first.messages.findLastIndex((m) => m.type === "ACTIVATE_VERSION" && m.stream === stream);
      const next = first.messages.slice(closing).find((m) => m.type === "STATE");
      assert.equal(bookmarksOf(next?.value)[stream]?.["version"], version, `${stream}: bookmarked in the next STATE`);
    }
    // Incremental streams are not versioned.
    assert.deepEqual(shapeOf(first.messages, "conversations"), ["SCHEMA", "RECORD"]);

    const second = await runTap(configFor(server), { catalog, state });
    assert.equal(second.code, 0, second.stderr);
    for (const stream of FULL_TABLE) {
      const before = bookmarksOf(state)[stream]?.["version"] as number;
      const version = second.messages.find((m) => m.type === "ACTIVATE_VERSION" && m.stream === stream)?.version as number;
      assert.ok(version > before, `${stream}: a newer version`);
      assert.deepEqual(shapeOf(second.messages, stream), ["SCHEMA", `RECORD:${version}`, `ACTIVATE_VERSION:${version}`], stream);
    }
  });

  it("emit_activate_version_messages: false sends plain records and no ACTIVATE_VERSION", async () => {
    const run = await runTap(configFor(server, { emit_activate_version_messages: false }), { catalog });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.messages.filter((m) => m.type === "ACTIVATE_VERSION").length, 0);
    assert.equal(run.messages.filter((m) => m.version !== undefined).length, 0);
    assert.ok(recordsOf(run.messages, "tags").length > 0);
  });

  it("deleted conversations at 2.16: written once with _sdc_deleted_at from GET /conversations/deleted; the next run reads only newer deletions", async () => {
    const config = configFor(server, { api_version: "2.16" });
    const conversationsOnly = selectOnly(catalog, ["conversations"]);
    const first = await runTap(config, { catalog: conversationsOnly });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(recordsOf(first.messages, "conversations").filter((r) => r["_sdc_deleted_at"] != null).length, 0);

    const removed = server.remove({ conversations: 3 });
    const second = await runTap(config, { catalog: conversationsOnly, state: lastState(first.messages) });
    assert.equal(second.code, 0, second.stderr);
    const tombstones = recordsOf(second.messages, "conversations").filter((r) => r["_sdc_deleted_at"] != null);
    assert.deepEqual(tombstones.map((r) => r["id"]).sort(), [...removed.conversations].sort());
    for (const record of tombstones) {
      const n = removed.conversations.indexOf(record["id"] as string);
      const at = new Date((removed.deletedAt + n) * 1000).toISOString().replace(".000Z", "Z");
      assert.equal(String(record["_sdc_deleted_at"]).replace(".000Z", "Z"), at);
      assert.equal(record["updated_at"], record["_sdc_deleted_at"], "the deletion is the record's last update");
    }
    const state = lastState(second.messages);
    assert.equal(bookmarksOf(state)["conversations"]?.["deleted_at"], removed.deletedAt + 2);

    const later = server.remove({ conversations: 1 });
    const third = await runTap(config, { catalog: conversationsOnly, state });
    const again = recordsOf(third.messages, "conversations").filter((r) => r["_sdc_deleted_at"] != null).map((r) => r["id"]);
    // Newest first down to the previous latest deletion, which is read again at the bound.
    assert.deepEqual(again.sort(), [later.conversations[0], removed.conversations[2]].sort());
  });

  it("a catalog without _sdc_deleted_at selected (saved before it existed) reads no deletions rather than blanking rows", async () => {
    const conversationsOnly = selectOnly(catalog, ["conversations"]);
    const entry = conversationsOnly.streams.find((s) => s.tap_stream_id === "conversations");
    const field = entry?.metadata.find((m) => m.breadcrumb[1] === "_sdc_deleted_at");
    assert.ok(field);
    field.metadata.selected = false;
    server.remove({ conversations: 2 });
    const run = await runTap(configFor(server, { api_version: "2.16" }), { catalog: conversationsOnly });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(recordsOf(run.messages, "conversations").length, server.truth().streams["conversations"]?.count);
    assert.match(run.stderr, /deletions not read: the catalog does not select _sdc_deleted_at/);
    assert.equal(server.stats().byRoute["GET /conversations/deleted"], undefined);
  });

  it("at 2.14, which has no deletion feed, deleted conversations are only no longer returned", async () => {
    const conversationsOnly = selectOnly(catalog, ["conversations"]);
    server.remove({ conversations: 2 });
    const run = await runTap(configFor(server), { catalog: conversationsOnly });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(recordsOf(run.messages, "conversations").filter((r) => "_sdc_deleted_at" in r).length, 0);
    assert.equal(server.stats().byRoute["GET /conversations/deleted"], undefined, "the 2.14 tap never asks for the feed");
    assert.match(run.stderr, /lists no deleted conversations/);
  });
});
