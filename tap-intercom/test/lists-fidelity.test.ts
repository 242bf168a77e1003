/**
 * The tap against fixture behaviours that real Intercom has and a simpler fixture hid: truncated
 * embedded lists, an ignored `type=company`, undocumented query parameters, a non-UTC workspace.
 */
import assert from "node:assert/strict";
import { startFixtureServer, type FixtureServer, type RequestStats } from "../../fixtures/src/index.js";
import { countBy, discoverCatalog, lastState, recordsOf, runTap, selectOnly } from "./support.js";

function configFor(server: FixtureServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { access_token: server.token, base_url: server.url, ...extra };
}

/** `"<contact id>:<item id>"` pairs that the emitted contacts hold in a list field. */
function pairsIn(contacts: Record<string, unknown>[], field: "tags" | "companies" | "notes"): string[] {
  return contacts.flatMap((contact) => ((contact[field] as { data?: { id: string }[] } | null)?.data ?? []).map((item) => `${String(contact["id"])}:${item.id}`));
}

/**
 * The query parameters each endpoint documents in the 2.14 and 2.16 OpenAPI (path parameters
 * aside). `type` on /segments is the one undocumented parameter sent on purpose: the tap reads
 * company segments by their person_type whether Intercom honours it or not.
 */
const DOCUMENTED_QUERY: Record<string, string[]> = {
  "GET /segments": ["include_count", "type"], // 2.14 yaml:10978, 2.16 yaml:17536 (include_count)
  "GET /admins/activity_logs": ["created_at_after", "created_at_before", "page"], // 2.14 yaml:185; `page` from Intercom's own pages.next links
  "GET /articles": ["page"], // 2.14 yaml:984: no query parameter; `page` from pages.next links
  "GET /help_center/collections": ["page"], // 2.14 yaml:2315: likewise
  "GET /data_attributes": ["model", "include_archived"], // 2.14 yaml:9192
  "GET /companies/scroll": ["scroll_param"], // 2.14 yaml:3954
  "GET /contacts/:id/companies": ["page"], // 2.14 yaml:4157: no query parameter; `page` from pages.next links
  "GET /contacts/:id/notes": ["page"], // 2.14 yaml:4334: likewise
};

describe("tap-intercom against Intercom's lists as they really are", function () {
  this.timeout(180_000);
  let server: FixtureServer;
  before(async () => {
    server = await startFixtureServer({ seed: 5, scale: "small", scrollLockSeconds: 2, scrollExpirySeconds: 10, log: () => undefined });
  });
  after(() => server.close());

  let run: Awaited<ReturnType<typeof runTap>>;
  /** The fixture's request statistics of that full run. */
  let stats: RequestStats;
  before(async () => {
    server.resetStats();
    run = await runTap(configFor(server));
    assert.equal(run.code, 0, run.stderr);
    stats = server.stats();
  });

  it("delivers every tag, company and note of a contact, also past the 10 Intercom embeds, fetching only lists with has_more", () => {
    const contacts = recordsOf(run.messages, "contacts");
    const truth = server.contactMemberships();
    assert.deepEqual(pairsIn(contacts, "tags").sort(), [...truth.tags].sort(), "contacts.tags holds every tag");
    assert.deepEqual(pairsIn(contacts, "companies").sort(), [...truth.companies].sort(), "contacts.companies holds every company");
    assert.deepEqual(pairsIn(contacts, "notes").sort(), [...truth.notes].sort(), "contacts.notes holds every note");
    for (const contact of contacts) {
      for (const field of ["tags", "companies", "notes"] as const) {
        const list = contact[field] as { data: unknown[]; total_count: number; has_more: boolean };
        assert.equal(list.has_more, false, `${String(contact["id"])}.${field} is complete`);
        assert.equal(list.total_count, list.data.length);
      }
    }
    const perContact = (pairs: string[]): Map<string, number> => countBy(pairs.map((pair) => pair.split(":")[0] as string));
    const longTags = [...perContact(truth.tags).values()].filter((n) => n > 10).length;
    const longCompanies = [...perContact(truth.companies).values()].filter((n) => n > 10).length;
    assert.ok(longTags > 0 && longCompanies > 0, "the fixture has contacts with more than 10 tags and companies");
    assert.equal(stats.byRoute["GET /contacts/:id/tags"], longTags, "one tags request per contact whose list has more");
    const companyPages = [...perContact(truth.companies).values()].filter((n) => n > 10).reduce((sum, n) => sum + Math.ceil(n / 50), 0);
    assert.equal(stats.byRoute["GET /contacts/:id/companies"], companyPages, "companies pages only for contacts whose list has more");
    const notePages = [...perContact(truth.notes).values()].filter((n) => n > 10).reduce((sum, n) => sum + Math.ceil(n / 50), 0);
    assert.ok(notePages > 0);
    assert.equal(stats.byRoute["GET /contacts/:id/notes"], notePages, "notes pages only for contacts whose list has more");
  });

  it("reads no list whose field is not selected", async () => {
    const catalog = selectOnly(await discoverCatalog(configFor(server)), ["contacts"]);
    const contacts = catalog.streams.find((stream) => stream.tap_stream_id === "contacts");
    for (const entry of contacts?.metadata ?? []) {
      if (["tags", "companies", "notes"].includes(String(entry.breadcrumb[1]))) entry.metadata.selected = false;
    }
    server.resetStats();
    const narrow = await runTap(configFor(server), { catalog });
    assert.equal(narrow.code, 0, narrow.stderr);
    const emitted = recordsOf(narrow.messages, "contacts");
    assert.equal(emitted.length, server.truth().streams.contacts?.count);
    assert.ok(emitted.every((contact) => !("tags" in contact) && !("companies" in contact) && !("notes" in contact)));
    const narrowStats = server.stats();
    assert.equal(narrowStats.byRoute["GET /contacts/:id/tags"], undefined);
    assert.equal(narrowStats.byRoute["GET /contacts/:id/companies"], undefined);
    assert.equal(narrowStats.byRoute["GET /contacts/:id/notes"], undefined);
  });

  it("tells company segments from person segments by person_type, whatever Intercom does with type=company", () => {
    const truth = server.truth().streams;
    const ids = (stream: string): string[] => recordsOf(run.messages, stream).map((r) => String(r["id"])).sort();
    assert.deepEqual(ids("segments"), [...(truth.segments?.ids ?? [])].sort());
    assert.deepEqual(ids("segment_definitions"), [...(truth.segment_definitions?.ids ?? [])].sort());
    assert.ok(recordsOf(run.messages, "segment_definitions").every((s) => s["person_type"] === "company"));
  });

  it("sends each list endpoint only the query parameters its OpenAPI documents", () => {
    const sent = stats.queryParams;
    for (const [route, documented] of Object.entries(DOCUMENTED_QUERY)) {
      assert.ok(sent[route], `${route} was called`);
      const undocumented = (sent[route] ?? []).filter((name) => !documented.includes(name));
      assert.deepEqual(undocumented, [], `${route}: undocumented query parameters`);
    }
  });

  it("reads every contact changed since the bookmark although contact search compares whole days of a non-UTC workspace", async () => {
    const changes = server.mutate({ contacts: 12, conversations: 1, companies: 1 });
    const state = lastState(run.messages);
    const again = await runTap(configFor(server), { state });
    assert.equal(again.code, 0, again.stderr);
    const ids = new Set(recordsOf(again.messages, "contacts").map((r) => String(r["id"])));
    for (const id of changes.contacts) assert.ok(ids.has(id), `changed contact ${id} is read again`);
  });
});
