/**
 * A state or catalog of a foreign shape (another tap's, an older version's) still works: what the
 * tap does not know is ignored with one warning per kind naming it, never an error.
 */
import assert from "node:assert/strict";
import { startFixtureServer, type FixtureServer } from "../../fixtures/src/index.js";
import type { Catalog } from "../../singer/src/index.js";
import { discoverCatalog, runTap, selectOnly } from "./support.js";

/** The tap's own lines (not the end-of-run repeat of the warnings) that match. */
function linesMatching(stderr: string, pattern: RegExp): string[] {
  return stderr.split("\n").filter((line) => pattern.test(line) && !line.includes("  - "));
}

describe("tap-intercom with a foreign state or catalog", function () {
  this.timeout(120_000);
  let server: FixtureServer;
  let catalog: Catalog;
  before(async () => {
    server = await startFixtureServer({ seed: 1, scale: "tiny", log: () => undefined });
    catalog = selectOnly(await discoverCatalog(config()), ["admins", "companies", "contacts"]);
  });
  after(async () => {
    await server.close();
  });
  function config(): Record<string, unknown> {
    return { access_token: server.token, base_url: server.url };
  }

  it("a state with unknown streams and bookmark shapes: one warning per kind, the sync completes", async () => {
    const state = {
      bookmarks: {
        users: { updated_at: 1700000000 },
        tickets_v0: { since: "2024-01-01" },
        contacts: { updated_at: "2024-06-01T00:00:00Z", since: 123, boundary_keys: "abc" },
        companies: "2024-01-01",
      },
      currently_syncing: "users",
    };
    const run = await runTap(config(), { state, catalog });
    assert.equal(run.code, 0, run.stderr);
    const source = "state file \\S+";
    assert.equal(linesMatching(run.stderr, new RegExp(`^WARN tap-intercom: ${source}: ignored the bookmarks of streams this tap does not have: users, tickets_v0 \\(they are kept`)).length, 1, run.stderr);
    assert.equal(
      linesMatching(
        run.stderr,
        new RegExp(`^WARN tap-intercom: ${source}: ignored bookmark entries this tap does not read: contacts\\.since, contacts\\.boundary_keys \\(not a list\\), companies \\("string", not an object\\)$`),
      ).length,
      1,
      run.stderr,
    );
    assert.equal(linesMatching(run.stderr, new RegExp(`^WARN tap-intercom: ${source}: ignored currently_syncing "users": not a stream of this tap$`)).length, 1);
    assert.equal(linesMatching(run.stderr, /ignored/).length, 3, "nothing else is reported as ignored");

    // The ISO 8601 bookmark of an older state is read: only contacts updated since then are emitted.
    const contacts = run.messages.filter((m) => m.type === "RECORD" && m.stream === "contacts");
    assert.ok(contacts.every((m) => (m.record?.["updated_at"] as string) >= "2024-06-01"), "contacts resumed from the ISO bookmark");
    const last = run.messages.filter((m) => m.type === "STATE").at(-1)?.value as { bookmarks: Record<string, Record<string, unknown>> };
    assert.equal(typeof last.bookmarks["companies"]?.["updated_at"], "number", JSON.stringify(last.bookmarks["companies"]));
    assert.deepEqual(Object.keys(last.bookmarks["companies"] ?? {}).sort(), ["boundary_keys", "updated_at"]);
    assert.deepEqual(last.bookmarks["users"], { updated_at: 1700000000 }, "an unknown stream's bookmark is carried over");
  });

  it("a state this tap wrote, with every default stream, gets no warning", async () => {
    // Every stream selected by default: a bookmark key a stream writes but does not declare (bookmarkKeys) fails here.
    const all = await discoverCatalog(config());
    const first = await runTap(config(), { catalog: all });
    assert.equal(first.code, 0, first.stderr);
    const state = first.messages.filter((m) => m.type === "STATE").at(-1)?.value;
    const second = await runTap(config(), { state, catalog: all });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(linesMatching(second.stderr, /ignored/), []);
  });

  it("a catalog with unknown streams and fields: one warning per kind, they are left out", async () => {
    const foreign = structuredClone(catalog);
    const admins = foreign.streams.find((s) => s.tap_stream_id === "admins")!;
    foreign.streams.push({ ...structuredClone(admins), tap_stream_id: "users", stream: "users" });
    foreign.streams.push({ ...structuredClone(admins), tap_stream_id: "visitors", stream: "visitors" });
    const contacts = foreign.streams.find((s) => s.tap_stream_id === "contacts")!;
    contacts.schema.properties = { ...contacts.schema.properties, favourite_colour: { type: ["null", "string"] }, shoe_size: { type: ["null", "integer"] } };
    const run = await runTap(config(), { catalog: foreign });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(linesMatching(run.stderr, /^WARN tap-intercom: catalog file \S+: ignored streams this tap does not have: users, visitors$/).length, 1, run.stderr);
    assert.equal(
      linesMatching(run.stderr, /^WARN tap-intercom: catalog file \S+: ignored fields this tap does not have: contacts\.favourite_colour, contacts\.shoe_size$/).length,
      1,
      run.stderr,
    );
    assert.ok(!run.messages.some((m) => m.stream === "users" || m.stream === "visitors"));
    const schema = run.messages.find((m) => m.type === "SCHEMA" && m.stream === "contacts")?.schema as { properties: Record<string, unknown> };
    assert.ok(schema.properties["email"] !== undefined);
    assert.equal(schema.properties["favourite_colour"], undefined);
    assert.ok(run.messages.some((m) => m.type === "RECORD" && m.stream === "contacts"));
  });
});
