import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { startFixtureServer, type FixtureServer } from "../../fixtures/src/index.js";
import { Random } from "../../fixtures/src/random.js";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { isStreamSelected, keyPropertiesOf, Logger, SingerWriter, type Catalog, type CatalogStream } from "../../singer/src/index.js";
import { IntercomClient, type IntercomRequest } from "../src/http/client.js";
import { HTTP_STATUS_ADVICE } from "../src/http/errors.js";
import { refusalOf } from "../src/stream-access.js";
import { apiVersionAtLeast, DEFAULT_API_VERSION, resolveConfig } from "../src/settings.js";
import { declarationOf, declarations } from "../src/streams/declarations.js";
import { sync } from "../src/tap.js";
import { runCommand, TAP_BIN } from "../../test/helpers.js";
import { countBy, discoverCatalog, keyString, lastState, parseLines, recordsOf, runTap, runTapUntilKilled, selectOnly, writeJson, type TapMessage, type TapRun } from "./support.js";

// Every list of streams below comes from the declarations, so a stream is covered once declared.
/** Streams a default sync brings at the default API version: neither opt-in nor from a later version. */
const REST_STREAMS = declarations.filter((d) => !d.optIn && !d.since).map((d) => d.name);
/** The others: opt-in streams (one request per parent record, not selected by default) and those of a later API version. */
const NOT_DEFAULT_STREAMS = declarations.filter((d) => !REST_STREAMS.includes(d.name)).map((d) => d.name);
const OPT_IN_STREAMS = declarations.filter((d) => d.optIn).map((d) => d.name);
const V216_STREAMS = declarations.filter((d) => d.since === "2.16").map((d) => d.name);
/** The API version every declared stream has: the latest `since`. */
const LATEST_SINCE = declarations.reduce((latest, d) => (d.since && !apiVersionAtLeast(latest, d.since) ? d.since : latest), DEFAULT_API_VERSION);
/** The incremental streams of a default sync, with their replication keys. */
const INCREMENTAL = new Map(declarations.flatMap((d) => (REST_STREAMS.includes(d.name) && d.replicationKey ? [[d.name, d.replicationKey] as const] : [])));

/** Distinct "stream path: message" problems of records that do not match their stream's SCHEMA. */
function schemaViolations(messages: TapMessage[]): string[] {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  const problems = new Set<string>();
  for (const message of messages) {
    if (message.type === "SCHEMA" && message.stream && message.schema) validators.set(message.stream, ajv.compile(message.schema));
    if (message.type !== "RECORD" || !message.stream) continue;
    const validate = validators.get(message.stream);
    if (!validate) {
      problems.add(`${message.stream}: RECORD before its SCHEMA`);
    } else if (!validate(message.record)) {
      for (const error of validate.errors ?? []) problems.add(`${message.stream} ${error.instancePath.replace(/\/\d+/g, "/*")}: ${error.message ?? ""}`);
    }
  }
  return [...problems];
}

/** One GET against the fixture, as the tap's token. */
async function apiGet<T>(server: FixtureServer, path: string): Promise<T> {
  const response = await fetch(server.url + path, { headers: { Authorization: `Bearer ${server.token}` } });
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
}

function configFor(server: FixtureServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { access_token: server.token, base_url: server.url, ...extra };
}

function keysOf(stream: string): string[] {
  const declaration = declarationOf(stream);
  assert.ok(declaration, `${stream} is declared`);
  return declaration.keyProperties;
}

/** Asserts every REST stream's records equal the fixture's truth, each key exactly once. */
function assertExactlyOnce(server: FixtureServer, messages: TapMessage[], streams = REST_STREAMS): void {
  const truth = server.truth().streams;
  for (const stream of streams) {
    const keys = recordsOf(messages, stream).map((r) => keyString(r, keysOf(stream)));
    const counts = countBy(keys);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    assert.deepEqual(duplicated.slice(0, 5), [], `${stream}: keys emitted more than once`);
    assert.deepEqual([...counts.keys()].sort(), [...(truth[stream]?.ids ?? [])].sort(), `${stream}: records equal the fixture's truth`);
  }
}

/** Keys of a stream over several runs, as a set. */
function keySet(runs: TapMessage[][], stream: string): Set<string> {
  return new Set(runs.flatMap((messages) => recordsOf(messages, stream).map((r) => keyString(r, keysOf(stream)))));
}

/**
 * Which records a stream's bookmark says were processed: at or below its value (the boundary keys
 * at it), and in each stored time slice [from, to) below its position, or all of it when done.
 */
function coveredBy(bookmark: Record<string, unknown> | undefined, keyField: string, valueField?: string): (record: Record<string, unknown>) => boolean {
  // A bookmark that holds only slices (no record of its first slice done yet) names no value: `valueField` does.
  const field = valueField ?? Object.keys(bookmark ?? {}).find((key) => typeof bookmark?.[key] === "number");
  if (!bookmark || !field) return () => false;
  const at = (value: unknown, keys: unknown): ((v: number, key: string) => boolean) => {
    const boundary = new Set(Array.isArray(keys) ? (keys as string[]) : []);
    return (v, key) => typeof value === "number" && (v < value || (v === value && boundary.has(key)));
  };
  const below = at(bookmark[field], bookmark["boundary_keys"]);
  const slices = (Array.isArray(bookmark["slices"]) ? bookmark["slices"] : []) as { from: number; to: number | null; value?: number; boundary_keys?: string[]; done?: boolean }[];
  return (record) => {
    const value = Date.parse(String(record[field])) / 1000;
    const key = JSON.stringify([String(record[keyField])]);
    if (below(value, key)) return true;
    return slices.some((slice) => value >= slice.from && (slice.to === null || value < slice.to) && (slice.done === true || at(slice.value, slice.boundary_keys)(value, key)));
  };
}

describe("tap-intercom against the fixture server", function () {
  this.timeout(120_000);

  describe("discovery and selection", () => {
    let server: FixtureServer;
    let catalog: Catalog;
    before(async () => {
      server = await startFixtureServer({ seed: 3, scale: "tiny", log: () => undefined });
      catalog = await discoverCatalog(configFor(server));
    });
    after(() => server.close());

    it("prints a valid catalog with complete metadata, keys and replication keys, all streams selected", () => {
      const ajv = new Ajv({ strict: false, validateFormats: false });
      assert.deepEqual(
        catalog.streams.map((s) => s.tap_stream_id).filter((id) => REST_STREAMS.includes(id)).sort(),
        [...REST_STREAMS].sort(),
      );
      for (const stream of catalog.streams.filter((s) => REST_STREAMS.includes(s.tap_stream_id))) {
        assert.doesNotThrow(() => ajv.compile(stream.schema), `${stream.tap_stream_id}: schema compiles`);
        assert.ok(isStreamSelected(stream), `${stream.tap_stream_id} selected by default`);
        assert.deepEqual(keyPropertiesOf(stream), keysOf(stream.tap_stream_id));
        const root = stream.metadata.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
        const replicationKey = root["replication-key"];
        const automatic = [...keysOf(stream.tap_stream_id), ...(typeof replicationKey === "string" ? [replicationKey] : [])];
        for (const field of Object.keys(stream.schema.properties ?? {})) {
          const entry = stream.metadata.find((m) => m.breadcrumb[0] === "properties" && m.breadcrumb[1] === field);
          assert.ok(entry, `${stream.tap_stream_id}.${field} has metadata`);
          assert.equal(entry.metadata.inclusion, automatic.includes(field) ? "automatic" : "available", `${stream.tap_stream_id}.${field}`);
        }
      }
      const incremental = Object.fromEntries(
        catalog.streams.map((s) => [s.tap_stream_id, s.metadata.find((m) => m.breadcrumb.length === 0)?.metadata["replication-key"]]),
      );
      assert.equal(incremental["contacts"], "updated_at");
      assert.equal(incremental["conversations"], "updated_at");
      assert.equal(incremental["activity_logs"], "created_at");
      assert.equal(incremental["admins"], undefined);
    });

    it("lists the opt-in streams unselected with their cost, and each stream a later API version brought with that version", () => {
      const stream = (id: string): CatalogStream => catalog.streams.find((s) => s.tap_stream_id === id) as CatalogStream;
      const root = (id: string): Record<string, unknown> => stream(id).metadata.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
      assert.deepEqual(declarations.filter((d) => !catalog.streams.some((s) => s.tap_stream_id === d.name)).map((d) => d.name), [], "every declared stream is discovered");
      assert.ok(OPT_IN_STREAMS.length > 0 && V216_STREAMS.length > 0);
      for (const declaration of declarations) {
        const id = declaration.name;
        assert.equal(root(id)["min-api-version"], declaration.since, `${id}: min-api-version`);
        if (!declaration.optIn) continue;
        assert.equal(isStreamSelected(stream(id)), false, `${id} not selected by default`);
        assert.equal(root(id)["selected-by-default"], false);
        assert.equal(root(id)["cost"], declaration.optIn.cost);
        assert.deepEqual(keyPropertiesOf(stream(id)), declaration.keyProperties);
        assert.equal(root(id)["replication-key"], declaration.replicationKey);
        // Selecting the stream brings every field.
        const fields = stream(id).metadata.filter((m) => m.breadcrumb.length === 2 && m.metadata.inclusion === "available");
        assert.ok(fields.length > 0 && fields.every((m) => m.metadata["selected-by-default"] === true), `${id} fields`);
      }
      for (const [id, parent] of [["contact_notes", "contact"], ["company_notes", "company"]] as const) {
        assert.match(String(root(id)["cost"]), new RegExp(`one request per changed ${parent}`));
      }
    });

    it("types custom_attributes from the workspace's data attributes", () => {
      const typedStreams = declarations.filter((d) => d.customAttributesModel).map((d) => d.name);
      assert.ok(typedStreams.length > 0);
      for (const name of typedStreams) {
        const stream = catalog.streams.find((s) => s.tap_stream_id === name) as CatalogStream;
        const custom = stream.schema.properties?.["custom_attributes"];
        const typed = Object.values(custom?.properties ?? {});
        assert.ok(typed.length > 0, `${name}: custom attributes are typed`);
        assert.ok(typed.every((p) => Array.isArray(p.type) && p.type.length === 2), `${name}: each custom attribute has a nullable type`);
      }
    });

    it("honours stream and field selection from --catalog", async () => {
      const selected = structuredClone(catalog);
      for (const stream of selected.streams) {
        const keep = stream.tap_stream_id === "tags" || stream.tap_stream_id === "contacts";
        for (const entry of stream.metadata) {
          if (entry.breadcrumb.length === 0) entry.metadata.selected = keep;
          else entry.metadata.selected = stream.tap_stream_id !== "contacts" || entry.breadcrumb[1] === "email";
        }
      }
      const run = await runTap(configFor(server), { catalog: selected });
      assert.equal(run.code, 0, run.stderr);
      const streams = new Set(run.messages.filter((m) => m.type === "RECORD" || m.type === "SCHEMA").map((m) => m.stream));
      assert.deepEqual([...streams].sort(), ["contacts", "tags"]);
      for (const record of recordsOf(run.messages, "contacts")) {
        assert.deepEqual(Object.keys(record).sort(), ["email", "id", "updated_at"].filter((k) => k in record).sort());
        assert.ok("id" in record && "updated_at" in record);
      }
      const schema = run.messages.find((m) => m.type === "SCHEMA" && m.stream === "contacts")?.schema as { properties: object };
      assert.deepEqual(Object.keys(schema.properties).sort(), ["email", "id", "updated_at"]);
      assertExactlyOnce(server, run.messages, ["tags", "contacts"]);
    });

    it("merges repeated --config files (later wins), reads the token from the environment, and accepts --properties", async () => {
      const bad = await writeJson({ access_token: "first-file-token", base_url: server.url }, "a.json");
      const good = await writeJson({ access_token: server.token }, "b.json");
      const merged = await runCommand(TAP_BIN, ["--config", bad, "--config", good, "--test"]);
      assert.equal(merged.code, 0, merged.stderr);
      const fromEnv = await runCommand(TAP_BIN, ["--config", await writeJson({ base_url: server.url }, "c.json"), "--test"], {
        env: { TAP_INTERCOM_ACCESS_TOKEN: server.token },
      });
      assert.equal(fromEnv.code, 0, fromEnv.stderr);
      const missing = await runCommand(TAP_BIN, ["--config", await writeJson({ base_url: server.url }, "d.json"), "--test"], {
        env: { TAP_INTERCOM_ACCESS_TOKEN: "" },
      });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /missing required setting "access_token"/);
      const properties = await writeJson(selectOnly(catalog, ["teams"]), "properties.json");
      const legacy = await runCommand(TAP_BIN, ["--config", good, "--config", await writeJson({ base_url: server.url }, "e.json"), "--properties", properties]);
      assert.equal(legacy.code, 0, legacy.stderr);
      assert.deepEqual([...new Set(parseLines(legacy.stdout).filter((m) => m.type === "RECORD").map((m) => m.stream))], ["teams"]);
    });

    it("--about lists every setting in JSON and markdown", async () => {
      const json = await runCommand(TAP_BIN, ["--about", "--format", "json"]);
      assert.equal(json.code, 0);
      const about = JSON.parse(json.stdout) as { name: string; capabilities: string[]; settings: { properties: object; required: string[] } };
      assert.equal(about.name, "tap-intercom");
      assert.ok(["catalog", "discover", "state"].every((c) => about.capabilities.includes(c)));
      const settings = ["access_token", "start_date", "region", "base_url", "api_version", "request_timeout_seconds", "max_concurrency", "lookback_window_seconds", "page_size"];
      assert.ok(settings.every((name) => name in about.settings.properties));
      assert.deepEqual(about.settings.required, ["access_token"]);
      const markdown = await runCommand(TAP_BIN, ["--about", "--format", "markdown"]);
      assert.ok(settings.every((name) => markdown.stdout.includes(`| ${name} |`)));
    });

    it("keys data attributes by full_name: the company's name and plan.name, both named \"name\", both land", async () => {
      const run = await runTap(configFor(server), { catalog: selectOnly(catalog, ["company_attributes", "contact_attributes", "conversation_attributes"]) });
      assert.equal(run.code, 0, run.stderr);
      const named = recordsOf(run.messages, "company_attributes").filter((r) => r["name"] === "name");
      assert.deepEqual(named.map((r) => r["full_name"]).sort(), ["name", "plan.name"]);
      for (const stream of ["company_attributes", "contact_attributes", "conversation_attributes"]) {
        assert.deepEqual(run.messages.find((m) => m.type === "SCHEMA" && m.stream === stream)?.key_properties, ["full_name"]);
      }
      assertExactlyOnce(server, run.messages, ["company_attributes", "contact_attributes", "conversation_attributes"]);
    });

    it("reads conversation attributes from their own endpoint on API 2.16, keyed by a full_name the tap derives", async () => {
      const run = await runTap(configFor(server, { api_version: "2.16" }), { catalog: selectOnly(catalog, ["conversation_attributes"]) });
      assert.equal(run.code, 0, run.stderr);
      const attributes = recordsOf(run.messages, "conversation_attributes");
      assert.ok(attributes.length > 0);
      assert.deepEqual(
        attributes.map((r) => r["full_name"]),
        attributes.map((r) => `custom_attributes.${String(r["name"])}`),
        "full_name names where conversations hold the value",
      );
      const discovered = await discoverCatalog(configFor(server, { api_version: "2.16" }));
      const conversations = discovered.streams.find((s) => s.tap_stream_id === "conversations") as CatalogStream;
      assert.ok(Object.keys(conversations.schema.properties?.["custom_attributes"]?.properties ?? {}).length > 0);
    });

    it("syncs a child stream selected without its parent, reading the parent silently", async () => {
      const run = await runTap(configFor(server), { catalog: selectOnly(catalog, ["conversation_parts", "company_segments"]) });
      assert.equal(run.code, 0, run.stderr);
      const streams = new Set(run.messages.filter((m) => m.type === "RECORD" || m.type === "SCHEMA").map((m) => m.stream));
      assert.deepEqual([...streams].sort(), ["company_segments", "conversation_parts"]);
      assertExactlyOnce(server, run.messages, ["conversation_parts", "company_segments"]);
      const state = lastState(run.messages) as { bookmarks: Record<string, unknown> };
      assert.ok(state.bookmarks["conversation_parts"] && !state.bookmarks["conversations"]);
    });

    it("starts incremental streams at start_date", async () => {
      const streams = [...INCREMENTAL.keys()];
      const all = await runTap(configFor(server), { catalog: selectOnly(catalog, streams) });
      const { start, end } = server.truth().dataRange;
      const middle = Math.floor((start + end) / 2);
      const since = await runTap(configFor(server, { start_date: new Date(middle * 1000).toISOString() }), { catalog: selectOnly(catalog, streams) });
      assert.equal(since.code, 0, since.stderr);
      for (const stream of streams) {
        const key = INCREMENTAL.get(stream) as string;
        const expected = recordsOf(all.messages, stream).filter((r) => Date.parse(String(r[key])) / 1000 >= middle).map((r) => keyString(r, keysOf(stream))).sort();
        assert.ok(expected.length > 0, `${stream} has records after start_date`);
        assert.deepEqual(recordsOf(since.messages, stream).map((r) => keyString(r, keysOf(stream))).sort(), expected, `${stream} from start_date`);
      }
      const count = (messages: TapMessage[]): number => messages.filter((m) => m.type === "RECORD").length;
      assert.ok(count(since.messages) < count(all.messages), "start_date leaves records out");
    });

    it("--test checks the token and exits 0, or 1 with a clear message that never shows the token", async () => {
      const ok = await runTap(configFor(server), { args: ["--test"] });
      assert.equal(ok.code, 0, ok.stderr);
      const bad = await runTap(configFor(server, { access_token: "wrong-token-xyz" }), { args: ["--test"] });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /401/);
      assert.ok(!bad.stderr.includes("wrong-token-xyz"));
      assert.equal(bad.messages.length, 0);
    });
  });

  describe("every declared stream", () => {
    let server: FixtureServer;
    /** A default sync (default selection, default API version). */
    let defaultRun: TapRun;
    /** A sync of the streams a default one leaves out, selected, at the API version they all have. */
    let laterRun: TapRun;
    let laterRoutes: Record<string, number>;
    before(async () => {
      server = await startFixtureServer({ seed: 5, scale: "small", log: () => undefined });
      defaultRun = await runTap(configFor(server, { metrics: true }));
      const later = configFor(server, { api_version: LATEST_SINCE });
      const catalog = selectOnly(await discoverCatalog(later), NOT_DEFAULT_STREAMS);
      server.resetStats();
      laterRun = await runTap(later, { catalog });
      laterRoutes = server.stats().byRoute;
    });
    after(() => server.close());

    for (const declaration of declarations) {
      const inDefault = REST_STREAMS.includes(declaration.name);
      const how = inDefault ? "a default sync" : `selected, at API ${LATEST_SINCE}`;
      it(`${declaration.name} (${how}): every record exactly once by key, each matching the stream's SCHEMA`, () => {
        const run = inDefault ? defaultRun : laterRun;
        assert.equal(run.code, 0, run.stderr);
        assert.ok((server.truth().streams[declaration.name]?.count ?? 0) > 0, `the fixture holds ${declaration.name} records`);
        assertExactlyOnce(server, run.messages, [declaration.name]);
        assert.deepEqual(schemaViolations(run.messages.filter((m) => m.stream === declaration.name)), [], "every record matches the SCHEMA declared for its stream");
      });
    }

    it("a default sync reports truncated conversations and ends with a clean STATE", () => {
      const run = defaultRun;
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        [...new Set(run.messages.filter((m) => m.type === "RECORD").map((m) => m.stream))].filter((stream) => !REST_STREAMS.includes(String(stream))),
        [],
        "a default sync brings no stream outside the default ones",
      );
      const truncated = Object.keys(server.truth().truncatedConversations);
      assert.ok(truncated.length > 0, "the small fixture has a conversation over the parts cap");
      for (const id of truncated) {
        assert.match(run.stderr, new RegExp(`conversation ${id} has \\d+ parts but Intercom returned 500 .*report_consolidated_conversation_part stream \\(Reporting Data Export\\) holds every part`));
      }
      assert.match(run.stderr, /INFO METRIC: .*"metric":"conversation_parts_truncated"/);
      assert.match(run.stderr, /INFO METRIC: .*"metric":"record_count"/);
      const state = lastState(run.messages) as { currently_syncing: unknown; bookmarks: Record<string, Record<string, unknown>> };
      assert.equal(state.currently_syncing, null);
      for (const stream of INCREMENTAL.keys()) {
        assert.ok(state.bookmarks[stream], `${stream} has a bookmark`);
      }
      assert.ok(!JSON.stringify(run.messages).includes(server.token), "the token is not in the output");
    });

    it("reads the notes streams with one request per contact and per company, and writes each note with its parent's id and updated_at", () => {
      const truth = server.truth().streams;
      assert.equal(laterRoutes["GET /companies/:id/notes"], truth["companies"]?.count);
      // A contact with over 50 notes takes a further page.
      assert.ok((laterRoutes["GET /contacts/:id/notes"] ?? 0) >= (truth["contacts"]?.count ?? Infinity));
      assert.ok(recordsOf(laterRun.messages, "contact_notes").every((note) => typeof note["contact_id"] === "string" && typeof note["contact_updated_at"] === "string"));
    });
  });

  describe("sync", () => {
    let server: FixtureServer;
    beforeEach(async () => {
      server = await startFixtureServer({ seed: 5, scale: "small", scrollLockSeconds: 2, scrollExpirySeconds: 10, log: () => undefined });
    });
    afterEach(() => server.close());

    it("emits only the changed records on an incremental run after mutations", async () => {
      const first = await runTap(configFor(server));
      assert.equal(first.code, 0, first.stderr);
      const changes = server.mutate({ contacts: 7, conversations: 4, companies: 3, tickets: 3 });
      const second = await runTap(configFor(server), { state: lastState(first.messages) });
      assert.equal(second.code, 0, second.stderr);
      const ids = (stream: string): string[] => recordsOf(second.messages, stream).map((r) => String(r["id"])).sort();
      assert.deepEqual(ids("contacts"), [...changes.contacts].sort());
      assert.deepEqual(ids("conversations"), [...changes.conversations].sort());
      assert.deepEqual(ids("companies"), [...changes.companies].sort());
      // Every part of each changed conversation, the new ones among them.
      const changedParts = (
        await Promise.all(changes.conversations.map(async (id) => (await apiGet<{ conversation_parts: { conversation_parts: { id: string }[] } }>(server, `/conversations/${id}`)).conversation_parts.conversation_parts))
      ).flat();
      assert.deepEqual(ids("conversation_parts"), changedParts.map((p) => p.id).sort());
      // Every part of each changed ticket, the one the change added among them.
      assert.deepEqual(ids("tickets"), [...changes.tickets].sort());
      const ticketParts = (
        await Promise.all(changes.tickets.map(async (id) => (await apiGet<{ ticket_parts: { ticket_parts: { id: string }[] } }>(server, `/tickets/${id}`)).ticket_parts.ticket_parts))
      ).flat();
      assert.deepEqual(ids("ticket_parts"), ticketParts.map((p) => p.id).sort());
      assert.ok(recordsOf(second.messages, "ticket_parts").every((p) => changes.tickets.includes(String(p["ticket_id"]))));
      assert.ok(changes.conversation_parts.every((id) => ids("conversation_parts").includes(id)));
      assert.deepEqual(
        [...new Set(recordsOf(second.messages, "company_segments").map((r) => String(r["company_id"])))].every((id) => changes.companies.includes(id)),
        true,
      );
      const third = await runTap(configFor(server), { state: lastState(second.messages) });
      for (const stream of INCREMENTAL.keys()) {
        assert.equal(recordsOf(third.messages, stream).length, 0, `${stream}: nothing changed, nothing emitted`);
      }
    });

    it("brings every part of a conversation or a ticket, and every segment of a company, that enter the sync late", async () => {
      const { start, end } = server.truth().dataRange;
      const config = configFor(server, { start_date: new Date(Math.floor((start + end) / 2) * 1000).toISOString() });
      const catalog = selectOnly(await discoverCatalog(configFor(server)), ["conversations", "conversation_parts", "companies", "company_segments", "tickets", "ticket_parts"]);
      const first = await runTap(config, { catalog });
      assert.equal(first.code, 0, first.stderr);
      const changes = server.mutate({ contacts: 0, conversations: 12, companies: 12, tickets: 12 });
      const second = await runTap(config, { catalog, state: lastState(first.messages) });
      assert.equal(second.code, 0, second.stderr);
      for (const [parent, child, parentKey, childrenOf] of [
        ["conversations", "conversation_parts", "conversation_id", async (id: string) => (await apiGet<{ conversation_parts: { conversation_parts: { id: string }[] } }>(server, `/conversations/${id}`)).conversation_parts.conversation_parts],
        ["companies", "company_segments", "company_id", async (id: string) => (await apiGet<{ data: { id: string }[] }>(server, `/companies/${id}/segments`)).data],
        ["tickets", "ticket_parts", "ticket_id", async (id: string) => (await apiGet<{ ticket_parts: { ticket_parts: { id: string }[] } }>(server, `/tickets/${id}`)).ticket_parts.ticket_parts],
      ] as const) {
        const before = new Set(recordsOf(first.messages, parent).map((r) => String(r["id"])));
        // Last updated before start_date, so never synced until this change.
        const late = changes[parent].filter((id) => !before.has(id));
        assert.ok(late.length > 0, `some changed ${parent} were last updated before start_date`);
        for (const id of late) {
          const emitted = recordsOf(second.messages, child).filter((r) => String(r[parentKey]) === id).map((r) => String(r["id"]));
          const all = (await childrenOf(id)).map((c) => String(c.id));
          assert.deepEqual(emitted.sort(), all.sort(), `${parent} ${id}: every ${child} record Intercom returns`);
        }
      }
    });

    it("skips the streams a later API version brought with one warning at 2.14, and syncs the rest", async () => {
      const run = await runTap(configFor(server), { catalog: selectOnly(await discoverCatalog(configFor(server)), ["companies", ...V216_STREAMS]) });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, new RegExp(`skipping ${V216_STREAMS.map((s) => `stream "${s}"`).join(", ")}: Intercom has the endpoint from API version 2.16 \\(api_version is 2.14\\)`));
      for (const stream of V216_STREAMS) assert.equal(recordsOf(run.messages, stream).length, 0, `${stream} at 2.14`);
      assert.equal(recordsOf(run.messages, "companies").length, server.truth().streams["companies"]?.count);
    });

    for (const [stream, parent, after] of [
      ["contacts", "contacts", 300],
      ["conversation_parts", "conversations", 400],
    ] as const) {
      it(`loses nothing when killed mid-${stream} and resumed from its last STATE, resuming the interrupted stream first`, async () => {
        // Killed at the first STATE, after `after` records of the stream, that holds the parent's bookmark
        // (the conversations are read in time slices at once: several pages of parts may come first).
        let seen = 0;
        const killed = await runTapUntilKilled(configFor(server, { page_size: 50 }), stream, after, {
          until: (message) => {
            if (message.type === "RECORD" && message.stream === stream) seen += 1;
            const bookmarks = (message.value as { bookmarks?: Record<string, unknown> } | undefined)?.bookmarks;
            return message.type === "STATE" && seen >= after && bookmarks?.[parent] !== undefined;
          },
        });
        assert.notEqual(killed.code, 0);
        const state = lastState(killed.messages) as { currently_syncing: unknown; bookmarks: Record<string, unknown> };
        // Streams run concurrently: currently_syncing names the earliest started one still running.
        const current = state.currently_syncing;
        assert.ok(typeof current === "string" && REST_STREAMS.includes(current), `currently_syncing names a stream: ${String(current)}`);
        assert.ok(state.bookmarks[parent], `the state holds ${parent}'s bookmark`);
        const resumed = await runTap(configFor(server, { page_size: 50 }), { state });
        assert.equal(resumed.code, 0, resumed.stderr);
        const firstRecord = resumed.messages.find((m) => m.type === "RECORD");
        // A time slice may have saved its parents while its children were still being read: then the
        // children it owes come first, within the interrupted family.
        const family: Record<string, string[]> = { conversations: ["conversations", "conversation_parts"] };
        assert.ok((family[current] ?? [current]).includes(String(firstRecord?.stream)), `the stream named by currently_syncing (${current}) is synced first, got ${String(firstRecord?.stream)}`);
        const truth = server.truth().streams;
        for (const name of REST_STREAMS) {
          const got = keySet([killed.messages, resumed.messages], name);
          const expected = truth[name]?.ids ?? [];
          const lost = expected.filter((id) => !got.has(id));
          const unknown = [...got].filter((id) => !expected.includes(id));
          assert.deepEqual({ lost: lost.slice(0, 10), unknown: unknown.slice(0, 10) }, { lost: [], unknown: [] }, `${name}: nothing lost`);
        }
        // The resumed search starts at the bookmark: it does not re-read what was emitted.
        const again = recordsOf(resumed.messages, stream).length;
        assert.ok(again < (truth[stream]?.count ?? 0), "the resumed run starts from the bookmark");
      });
    }
    it("resumes exactly once after kills at random points of a sync whose streams run concurrently and whose searches read time slices", async () => {
      const truth = server.truth().streams;
      const total = REST_STREAMS.reduce((sum, name) => sum + (truth[name]?.count ?? 0), 0);
      // max_concurrency 16: up to 4 slices per search stream.
      const config = configFor(server, { page_size: 50, max_concurrency: 16 });
      // A child's bookmark holds its parent's keys.
      const bookmarkKey: Record<string, string> = { conversation_parts: "conversation_id", company_segments: "company_id", ticket_parts: "ticket_id" };
      const runs: TapMessage[][] = [];
      let state: { bookmarks?: Record<string, Record<string, unknown>> } | undefined;
      let sliced = false;
      const states: (typeof state & object)[] = [];
      // Seeded, so a failing run can be replayed with SYNC_KILL_SEED.
      const seed = Number(process.env["SYNC_KILL_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
      const random = new Random(seed);
      // Two kills: the second one interrupts a run resumed from the first one's state.
      for (let kill = 0; kill < 2; kill += 1) {
        const after = kill === 0 ? 400 + Math.floor(random.next() * total * 0.5) : 1 + Math.floor(random.next() * total * 0.3);
        const why = `kill ${kill + 1} after ${after} records (of ${total} in all; replay with SYNC_KILL_SEED=${seed})`;
        const killed = await runTapUntilKilled(config, undefined, after, { at: "record", state });
        assert.notEqual(killed.code, 0, why);
        if (kill === 0) {
          const streamsAtKill = new Set(killed.messages.filter((m) => m.type === "RECORD").map((m) => m.stream));
          assert.ok(streamsAtKill.size > 1 || after < 50, `several streams wrote before the kill (${why})`);
        }
        assert.deepEqual(schemaViolations(killed.messages), [], `each stream's SCHEMA before its records (${why})`);
        const stateIndex = killed.messages.map((m) => m.type).lastIndexOf("STATE");
        const next = (killed.messages[stateIndex]?.value ?? state ?? {}) as typeof state & object;
        sliced ||= killed.messages.some((m) => m.type === "STATE" && Array.isArray((m.value as typeof state)?.bookmarks?.["contacts"]?.["slices"]));
        runs.push(killed.messages);
        states.push(next);
        state = next;
      }
      const resumed = await runTap(config, { state });
      sliced ||= resumed.messages.some((m) => m.type === "STATE" && Array.isArray((m.value as typeof state)?.bookmarks?.["contacts"]?.["slices"]));
      assert.ok(sliced, `the contacts search was read in time slices, each with its position in STATE (replay with SYNC_KILL_SEED=${seed})`);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(schemaViolations(resumed.messages), [], "each stream's SCHEMA before its records in the resumed run");
      for (const name of REST_STREAMS) {
        const expected = truth[name]?.ids ?? [];
        const got = keySet([...runs, resumed.messages], name);
        assert.deepEqual(
          { lost: expected.filter((id) => !got.has(id)).slice(0, 5), unknown: [...got].filter((id) => !expected.includes(id)).slice(0, 5) },
          { lost: [], unknown: [] },
          `${name}: nothing lost`,
        );
        const again = countBy(recordsOf(resumed.messages, name).map((r) => keyString(r, keysOf(name))));
        assert.deepEqual([...again].filter(([, n]) => n > 1).slice(0, 5), [], `${name}: once in the resumed run`);
        // Nothing the last STATE covers is emitted again.
        const covered = coveredBy(state?.bookmarks?.[name], bookmarkKey[name] ?? "id");
        const repeated = recordsOf(resumed.messages, name).filter((r) => covered(r));
        assert.deepEqual(repeated.slice(0, 3), [], `${name}: nothing the last STATE covers is emitted again`);
        // What each STATE covers (its bookmark, each open slice's position, the done slices) was emitted before it.
        const all = recordsOf([...runs, resumed.messages].flat(), name);
        states.forEach((saved, kill) => {
          const before = keySet(runs.slice(0, kill + 1), name);
          const claimed = all.filter(coveredBy(saved.bookmarks?.[name], bookmarkKey[name] ?? "id")).map((r) => keyString(r, keysOf(name)));
          assert.deepEqual(claimed.filter((key) => !before.has(key)).slice(0, 5), [], `${name}: the STATE of kill ${kill + 1} covers only records emitted before it`);
        });
      }
    });

    it("resumes a search from a state whose time slices are partly done: each open slice from its position, nothing lost, nothing covered emitted again", async () => {
      // max_concurrency 32: up to 8 slices.
      const config = configFor(server, { page_size: 50, max_concurrency: 32 });
      const catalog = selectOnly(await discoverCatalog(config), ["contacts"]);
      type Slices = { done?: boolean; value?: number }[];
      const slicesIn = (state: unknown): Slices | undefined => {
        const slices = (state as { bookmarks?: Record<string, { slices?: unknown }> } | undefined)?.bookmarks?.["contacts"]?.slices;
        return Array.isArray(slices) ? (slices as Slices) : undefined;
      };
      const partlyDone = (slices: Slices | undefined): boolean =>
        slices !== undefined && slices.length > 2 && slices.some((slice) => slice.done) && slices.some((slice) => !slice.done && slice.value !== undefined);
      // Killed once a slice after the first open one is done while another is still open. Whether a
      // run passes through such a STATE, and whether it is still the last one when the kill lands,
      // depends on which slice finishes first (about 2 runs in 3), so such a run is repeated, up to 10 runs.
      const killOnce = () => runTapUntilKilled(config, undefined, 0, { catalog, until: (message) => message.type === "STATE" && partlyDone(slicesIn(message.value)) });
      const killedPartlyDone = (run: { code: number | null; messages: TapMessage[] }): boolean => run.code !== 0 && partlyDone(slicesIn(lastState(run.messages)));
      let killed = await killOnce();
      for (let run = 1; run < 10 && !killedPartlyDone(killed); run += 1) killed = await killOnce();
      assert.notEqual(killed.code, 0, "some run was killed");
      const state = lastState(killed.messages) as { bookmarks: Record<string, Record<string, unknown>> };
      const stored = state.bookmarks["contacts"]?.["slices"] as Slices;
      assert.ok(partlyDone(stored), `the state holds partly done slices: ${JSON.stringify(stored)}`);
      const resumed = await runTap(config, { state, catalog });
      assert.equal(resumed.code, 0, resumed.stderr);
      const truth = server.truth().streams["contacts"]?.ids ?? [];
      const got = keySet([killed.messages, resumed.messages], "contacts");
      assert.deepEqual(truth.filter((id) => !got.has(id)).slice(0, 5), [], "nothing lost");
      const covered = coveredBy(state.bookmarks["contacts"], "id");
      assert.deepEqual(recordsOf(resumed.messages, "contacts").filter(covered).slice(0, 3), [], "nothing the state covers is emitted again");
      // Exactly once from the saved state on: each contact is covered by it or emitted once by the
      // resumed run. Records the killed run wrote that the state does not cover (other slices write
      // between its last STATE and the kill) are emitted again, as the target upserts them.
      const resumedIds = recordsOf(resumed.messages, "contacts").map((r) => String(r["id"]));
      const coveredIds = new Set(recordsOf(killed.messages, "contacts").filter(covered).map((r) => String(r["id"])));
      assert.equal(new Set(resumedIds).size, resumedIds.length, "each contact once in the resumed run");
      assert.equal(coveredIds.size + resumedIds.length, truth.length, "each contact covered by the saved state or emitted once after it");
      assert.equal(lastState(resumed.messages)?.["bookmarks"] && (lastState(resumed.messages) as typeof state).bookmarks["contacts"]?.["slices"], undefined, "the finished sync leaves no slices");
    });

    it("resumes a family whose members stored different time slices (the child selected after the parent's kill, sliced otherwise): no slice re-read for what a member has done", async () => {
      type Slices = { from: number; to: number | null; done?: boolean; value?: number }[];
      type State = { bookmarks: Record<string, Record<string, unknown>> };
      const slicesOf = (state: unknown, stream: string): Slices | undefined => {
        const slices = (state as State | undefined)?.bookmarks?.[stream]?.["slices"];
        return Array.isArray(slices) ? (slices as Slices) : undefined;
      };
      // Slices after the first open one with a position or done: what a resume must not read again.
      const progressedPastHead = (slices: Slices | undefined): boolean => slices !== undefined && slices.slice(1).some((slice) => slice.done === true || slice.value !== undefined);
      const killWhen = async (config: Record<string, unknown>, streams: string[], state: unknown, stream: string): Promise<State> => {
        const catalog = selectOnly(await discoverCatalog(config), streams);
        for (let run = 0; run < 10; run += 1) {
          const killed = await runTapUntilKilled(config, undefined, 0, { catalog, state, until: (m) => m.type === "STATE" && progressedPastHead(slicesOf(m.value, stream)) });
          if (killed.code !== 0 && progressedPastHead(slicesOf(lastState(killed.messages), stream))) return lastState(killed.messages) as State;
        }
        throw new Error(`no run of ${streams.join(", ")} was killed with ${stream}'s slices past their first`);
      };
      // The parent alone, in up to 8 slices; then the child alone with max_concurrency 12 (3 slices), killed likewise.
      const parentState = await killWhen(configFor(server, { page_size: 20, max_concurrency: 32 }), ["conversations"], undefined, "conversations");
      const state = await killWhen(configFor(server, { page_size: 20, max_concurrency: 12 }), ["conversation_parts"], parentState, "conversation_parts");
      const parentSlices = slicesOf(state, "conversations");
      const childSlices = slicesOf(state, "conversation_parts");
      assert.ok(parentSlices && childSlices && JSON.stringify(parentSlices.map((s) => s.to)) !== JSON.stringify(childSlices.map((s) => s.to)), "the members' slices cut time differently");
      const config = configFor(server, { page_size: 20, max_concurrency: 32 });
      const catalog = selectOnly(await discoverCatalog(config), ["conversations", "conversation_parts"]);
      server.resetStats();
      const resumed = await runTap(config, { state, catalog });
      assert.equal(resumed.code, 0, resumed.stderr);
      for (const [stream, keyField, parentKey, valueField] of [["conversations", "id", "id", "updated_at"], ["conversation_parts", "id", "conversation_id", "conversation_updated_at"]] as const) {
        const covered = coveredBy(state.bookmarks[stream], parentKey, valueField);
        const again = recordsOf(resumed.messages, stream).filter(covered);
        assert.equal(again.length, 0, `${stream}: nothing its state covers is read again (${again.length} records, e.g. ${JSON.stringify(again[0])})`);
        const emitted = recordsOf(resumed.messages, stream).map((r) => String(r[keyField]));
        assert.equal(new Set(emitted).size, emitted.length, `${stream}: each record once`);
      }
      // A conversation's parts are requested only when the child's state does not cover them.
      const partsRequests = server.stats().byRoute["GET /conversations/:id"];
      const all = await runTap(config, { catalog: selectOnly(catalog, ["conversations"]) });
      const childCovers = coveredBy(state.bookmarks["conversation_parts"], "conversation_id", "conversation_updated_at");
      const owed = recordsOf(all.messages, "conversations").filter((c) => !childCovers({ conversation_id: c["id"], conversation_updated_at: c["updated_at"] }));
      assert.equal(partsRequests, owed.length, "parts requested only for the conversations whose parts were not done");
    });

    it("resumes an earlier version's state (a bookmark without slices) mid-backfill, reading the rest in time slices, each contact once", async () => {
      const config = configFor(server, { page_size: 50, max_concurrency: 32 });
      const catalog = selectOnly(await discoverCatalog(config), ["contacts"]);
      const all = recordsOf((await runTap(config, { catalog })).messages, "contacts");
      const seconds = (r: Record<string, unknown>): number => Date.parse(String(r["updated_at"])) / 1000;
      const sorted = [...all].sort((a, b) => seconds(a) - seconds(b));
      const middle = seconds(sorted[Math.floor(sorted.length / 3)] as Record<string, unknown>);
      const atMiddle = sorted.filter((r) => seconds(r) === middle).map((r) => JSON.stringify([String(r["id"])]));
      // What the tap wrote before slices: the ISO form some older states hold, and half the keys at that second done.
      const done = atMiddle.slice(0, Math.ceil(atMiddle.length / 2));
      const state = { bookmarks: { contacts: { updated_at: new Date(middle * 1000).toISOString(), boundary_keys: done } } };
      const resumed = await runTap(config, { state, catalog });
      assert.equal(resumed.code, 0, resumed.stderr);
      const expected = sorted.filter((r) => seconds(r) > middle || (seconds(r) === middle && !done.includes(JSON.stringify([String(r["id"])]))));
      assert.deepEqual(recordsOf(resumed.messages, "contacts").map((r) => r["id"]).sort(), expected.map((r) => r["id"]).sort());
      assert.ok(
        resumed.messages.some((m) => m.type === "STATE" && Array.isArray((m.value as { bookmarks?: Record<string, { slices?: unknown }> } | undefined)?.bookmarks?.["contacts"]?.slices)),
        "the rest was read in time slices",
      );
    });

    it("leaves no temporary file behind when killed (SIGKILL) while the companies scroll parks its parents on disk", async () => {
      const dir = await mkdtemp(join(tmpdir(), "spill-kill-"));
      const previous = process.env["TMPDIR"];
      process.env["TMPDIR"] = dir;
      try {
        const truth = server.truth().streams;
        // After the scroll's second page: the first page's parents are parked in the file by then.
        const killed = await runTapUntilKilled(configFor(server), "companies", Math.min(120, (truth["companies"]?.count ?? 0) - 1), { at: "record" });
        assert.notEqual(killed.code, 0);
        assert.ok(recordsOf(killed.messages, "companies").length > 60, "killed mid-scroll");
        // The tap's own spill directories are named tap-intercom-*; the test's config files tap-intercom-test-*.
        const left = (await readdir(dir)).filter((name) => name.startsWith("tap-intercom-") && !name.startsWith("tap-intercom-test-"));
        assert.deepEqual(left, [], "no spill file or directory remains");
      } finally {
        if (previous === undefined) delete process.env["TMPDIR"];
        else process.env["TMPDIR"] = previous;
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe("streams Intercom refuses", () => {
    let server: FixtureServer;
    const limited = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...configFor(server), access_token: "token-without-tickets", ...extra });
    before(async () => {
      server = await startFixtureServer({ seed: 3, scale: "tiny", limitedTokens: { "token-without-tickets": ["tickets"] }, planWithout: ["conversations"], log: () => undefined });
    });
    after(() => server.close());

    it("skips a stream the token lacks the permission for and streams the plan lacks, with one warning each, syncs the rest and exits 0", async () => {
      const run = await runTap(limited());
      assert.equal(run.code, 0, run.stderr);
      // The refused endpoints' streams and every child stream of theirs.
      const refused = declarations.filter((d) => REST_STREAMS.includes(d.name) && ["tickets", "conversations"].includes(d.kind === "child" ? d.parent : d.name)).map((d) => d.name);
      assertExactlyOnce(server, run.messages, REST_STREAMS.filter((s) => !refused.includes(s)));
      for (const stream of refused) assert.equal(recordsOf(run.messages, stream).length, 0, `${stream}: nothing emitted`);
      assert.equal(run.stderr.match(/WARN tap-intercom: stream "tickets": skipped/g)?.length, 1, "one warning for tickets (the run's end repeats it once more)");
      assert.match(run.stderr, /stream "tickets": skipped, Intercom refused it: the access token lacks the permission to read tickets \(POST \/tickets\/search answered 401/);
      assert.match(run.stderr, /stream "conversations": skipped, Intercom refused it: the workspace's Intercom plan does not include it \(POST \/conversations\/search answered 403 api_plan_restricted\)/);
      const summary = run.stderr.split("\n").find((line) => line.includes("skipped streams (not synced)")) ?? "";
      for (const stream of refused) assert.match(summary, new RegExp(`[:,] stream "${stream}"(?:,| \\(|$)`), `the summary lists stream "${stream}"`);
      assert.equal(lastState(run.messages)?.["currently_syncing"], null);
    });

    it("asks GET /me once per run however many streams Intercom refuses with 401", async () => {
      const client = new IntercomClient(resolveConfig(limited(), {}), new Logger("test", "error"));
      try {
        const refusal = await client.postJson({ path: "/tickets/search", stream: "tickets", body: { query: { field: "updated_at", operator: ">", value: 0 } } }).then(
          () => assert.fail("the limited token is refused ticket search"),
          (error: unknown) => error,
        );
        const before = server.stats().byRoute["GET /me"] ?? 0;
        for (const stream of ["tickets", "ticket_parts", "tickets"]) {
          assert.match((await refusalOf(refusal, stream, client)) ?? "", /lacks the permission .* while GET \/me accepts the token/);
        }
        assert.equal((server.stats().byRoute["GET /me"] ?? 0) - before, 1);
      } finally {
        client.close();
      }
    });

    it("prints the advice table's 403 advice when the fixture answers 403 api_plan_restricted", async () => {
      const catalog = selectOnly(await discoverCatalog(limited()), ["conversations"]);
      const run = await runTap(limited(), { catalog });
      assert.equal(run.code, 1);
      const warning = run.stderr.split("\n").find((line) => line.startsWith('WARN tap-intercom: stream "conversations": skipped')) ?? "";
      assert.ok(warning.endsWith(`answered 403 api_plan_restricted). ${HTTP_STATUS_ADVICE[403].check}`), warning);
    });

    it("exits non-zero, after syncing every other stream, when the catalog selected a refused stream by name", async () => {
      const catalog = selectOnly(await discoverCatalog(limited()), ["tickets", "contacts", "tags"]);
      const run = await runTap(limited(), { catalog });
      assert.equal(run.code, 1);
      assertExactlyOnce(server, run.messages, ["contacts", "tags"]);
      assert.match(run.stderr, /the catalog selects tickets but Intercom refused it/);
      assert.equal(lastState(run.messages)?.["currently_syncing"], null, "the other streams finished and their state was written");
    });

    it("treats a catalog that selects every stream (Meltano's default) as naming none", async () => {
      const discovered = await discoverCatalog(limited());
      const everything = selectOnly({ streams: discovered.streams.filter((s) => REST_STREAMS.includes(s.tap_stream_id)) }, REST_STREAMS);
      const run = await runTap(limited(), { catalog: everything });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /skipped streams \(not synced\):.* tickets\b/);
    });

    it("still fails the run when Intercom refuses the token everywhere", async () => {
      const run = await runTap(limited({ access_token: "not-a-token" }));
      assert.equal(run.code, 1);
      assert.match(run.stderr, /401/);
      assert.doesNotMatch(run.stderr, /skipped/);
    });
  });

  describe("search index lag", () => {
    let server: FixtureServer;
    before(async () => {
      server = await startFixtureServer({ seed: 5, scale: "small", searchIndexLag: { seconds: 3600 }, log: () => undefined });
    });
    after(() => server.close());

    it("loses no update the search index still hid during a run: with default settings it lands in the next run, and what was read is not read again", async () => {
      const searched = ["contacts", "conversations", "tickets"] as const;
      const catalog = selectOnly(await discoverCatalog(configFor(server)), [...searched, "conversation_parts"]);
      const first = await runTap(configFor(server), { catalog });
      assert.equal(first.code, 0, first.stderr);
      // Updated two minutes ago: some are in the search index already, the others not yet.
      const changes = server.mutate({ contacts: 10, conversations: 10, companies: 0, tickets: 10, updatedAt: Math.floor(Date.now() / 1000) - 120 });
      // mutate() dates its writes one second apart: contacts, conversations, then tickets.
      const offset = { contacts: 0, conversations: changes.contacts.length, tickets: changes.contacts.length + changes.conversations.length };
      const updatedAt = (stream: (typeof searched)[number], id: string): number => changes.updatedAt + offset[stream] + changes[stream].indexOf(id);
      const second = await runTap(configFor(server), { catalog, state: lastState(first.messages) });
      assert.equal(second.code, 0, second.stderr);
      const hidden: Record<string, string[]> = {};
      for (const stream of searched) {
        const found = recordsOf(second.messages, stream).map((r) => String(r["id"]));
        hidden[stream] = changes[stream].filter((id) => !found.includes(id));
        const lastFound = Math.max(...found.map((id) => updatedAt(stream, id)));
        assert.ok(hidden[stream].some((id) => updatedAt(stream, id) < lastFound), `${stream}: the index hid an update older than one it returned`);
      }
      server.catchUpSearchIndex();
      server.resetStats();
      const third = await runTap(configFor(server), { catalog, state: lastState(second.messages) });
      assert.equal(third.code, 0, third.stderr);
      for (const stream of searched) {
        assert.deepEqual(recordsOf(third.messages, stream).map((r) => String(r["id"])).sort(), [...(hidden[stream] ?? [])].sort(), `${stream}: the hidden updates, and only they`);
      }
      const parts = new Set(recordsOf(third.messages, "conversation_parts").map((r) => String(r["conversation_id"])));
      assert.deepEqual([...parts].sort(), [...(hidden["conversations"] ?? [])].sort(), "the hidden conversations' parts land");
      assert.equal(server.stats().byRoute["GET /conversations/:id"], hidden["conversations"]?.length, "one request per hidden conversation, none for those read before");
      const fourth = await runTap(configFor(server), { catalog, state: lastState(third.messages) });
      assert.equal(fourth.messages.filter((m) => m.type === "RECORD").length, 0, "the next run re-reads the margin and emits nothing");
    });
  });

  describe("rate limits, faults and the scroll", () => {
    let server: FixtureServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it("paces requests to the rate limit without 429 storms", async () => {
      server = await startFixtureServer({ seed: 7, scale: "tiny", rateLimit: { limit: 8, windowSeconds: 2 }, log: () => undefined });
      const run = await runTap(configFor(server, { max_concurrency: 8 }));
      assert.equal(run.code, 0, run.stderr);
      assertExactlyOnce(server, run.messages);
      const stats = server.stats();
      assert.ok(stats.total > 24, `enough requests to cross several windows (${stats.total})`);
      assert.ok(stats.rateLimited <= 1, `at most one 429 (got ${stats.rateLimited})`);
    });

    it("survives injected 5xx, connection resets and slow bodies", async () => {
      server = await startFixtureServer({
        seed: 9,
        scale: "tiny",
        faults: { errorRate: 0.15, resetRate: 0.1, slowBodyRate: 0.2, slowBodyChunkDelayMs: 5 },
        scrollLockSeconds: 1,
        log: () => undefined,
      });
      const run = await runTap(configFor(server));
      assert.equal(run.code, 0, run.stderr);
      assertExactlyOnce(server, run.messages);
      const stats = server.stats();
      const errors = Object.entries(stats.byStatus).filter(([status]) => Number(status) >= 500).reduce((n, [, c]) => n + c, 0);
      assert.ok(errors > 0, "faults were injected");
      assert.match(run.stderr, /retry \d+\/\d+/);
    });

    it("times out a stalled body and retries it", async () => {
      // A request sent twice (a contact's notes: the contacts stream's embedded list and contact_notes)
      // shares its fault draws by attempt, so which copy meets the later, slow attempts depends on
      // timing: at 0.5 one copy could meet six slow attempts in a row (seed 9).
      server = await startFixtureServer({ seed: 9, scale: "tiny", faults: { slowBodyRate: 0.3, slowBodyChunkDelayMs: 400 }, scrollLockSeconds: 1, log: () => undefined });
      const run = await runTap(configFor(server, { request_timeout_seconds: 0.2 }));
      assert.equal(run.code, 0, run.stderr);
      assertExactlyOnce(server, run.messages);
      assert.match(run.stderr, /timed out on GET|timed out on POST/);
    });

    it("runs child requests concurrently up to max_concurrency, keeping each parent's children together and in order", async () => {
      server = await startFixtureServer({ seed: 15, scale: "tiny", faults: { latencyMs: 30 }, log: () => undefined });
      const run = await runTap(configFor(server, { max_concurrency: 3 }));
      assert.equal(run.code, 0, run.stderr);
      assertExactlyOnce(server, run.messages);
      const { maxConcurrent } = server.stats();
      assert.ok(maxConcurrent > 1 && maxConcurrent <= 3, `between 2 and 3 requests in flight at most (got ${maxConcurrent})`);
      const parents = recordsOf(run.messages, "conversation_parts").map((r) => String(r["conversation_id"]));
      const runs = parents.filter((id, i) => i === 0 || parents[i - 1] !== id);
      assert.equal(new Set(runs).size, runs.length, "each conversation's parts are contiguous");
      const conversations = recordsOf(run.messages, "conversations").map((r) => String(r["id"]));
      assert.deepEqual(runs, conversations.filter((id) => runs.includes(id)), "parts follow their conversations' order");
      for (const id of runs) {
        const ids = recordsOf(run.messages, "conversation_parts").filter((r) => String(r["conversation_id"]) === id).map((r) => Number(r["id"]));
        assert.deepEqual(ids, [...ids].sort((a, b) => a - b), `parts of ${id} in the API's order`);
      }
    });

    it("fails with a clear error naming the stream and the request when retries run out", async () => {
      server = await startFixtureServer({ seed: 9, scale: "tiny", faults: { errorRate: 1, errorStatuses: [503] }, log: () => undefined });
      const catalog = selectOnly(await discoverCatalog(configFor(server)), ["admins"]);
      const run = await runTap(configFor(server, { max_retries: 1 }), { catalog });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /stream "admins": GET \/admins HTTP 503 \(gave up after 2 attempts\)/);
      assert.ok(!run.stderr.includes(server.token));
    });

    it("fails with a clear error naming stream, path and what was found when a list endpoint answers an object where its records belong", async () => {
      server = await startFixtureServer({ seed: 9, scale: "tiny", faults: { listAsObject: { route: "GET /tags", field: "data" } }, log: () => undefined });
      const catalog = selectOnly(await discoverCatalog(configFor(server)), ["tags"]);
      const run = await runTap(configFor(server), { catalog });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(recordsOf(run.messages, "tags").length, 0, "no record made of the object");
      assert.match(run.stderr, /stream "tags": GET \/tags: the response holds an object \(keys: [a-z_, ]+\) at "data", where a list of records belongs/);
    });

    it("still reads article statistics, an object that is the one record of its article", async () => {
      server = await startFixtureServer({ seed: 9, scale: "tiny", log: () => undefined });
      const catalog = selectOnly(await discoverCatalog(configFor(server)), ["articles", "article_statistics"]);
      const run = await runTap(configFor(server), { catalog });
      assert.equal(run.code, 0, run.stderr);
      const articles = recordsOf(run.messages, "articles");
      assert.ok(articles.length > 0);
      assert.deepEqual(recordsOf(run.messages, "article_statistics").map((r) => String(r["article_id"])).sort(), articles.map((a) => String(a["id"])).sort());
    });

    it("waits out a scroll left open by a killed run", async () => {
      server = await startFixtureServer({ seed: 11, scale: "small", scrollLockSeconds: 2, log: () => undefined });
      const catalog = selectOnly(await discoverCatalog(configFor(server)), ["companies", "company_segments"]);
      // Slow enough that the scroll is still open at the kill while the other streams write too.
      server.setFaults({ latencyMs: 150 });
      const killed = await runTapUntilKilled(configFor(server, { page_size: 20 }), "companies", 60, { at: "record" });
      server.setFaults({});
      assert.equal(lastState(killed.messages)?.["currently_syncing"], "companies");
      const resumed = await runTap(configFor(server, { page_size: 20 }), { catalog, state: lastState(killed.messages) });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, /another scroll is open/);
      assertExactlyOnce(server, resumed.messages, ["companies", "company_segments"]);
    });

    it("restarts the companies scroll at once after a 500, never asking for the failed scroll_param again", async () => {
      server = await startFixtureServer({ seed: 18, scale: "small", log: () => undefined });
      const catalog = selectOnly(await discoverCatalog(configFor(server)), ["companies"]);
      // The fixture draws each request's faults from the seed and the request: with seed 18 a scroll page fails.
      server.setFaults({ errorRate: 0.2, errorStatuses: [500] });
      server.resetStats();
      const run = await runTap(configFor(server), { catalog });
      assert.equal(run.code, 0, run.stderr);
      assertExactlyOnce(server, run.messages, ["companies"]);
      const { byStatus } = server.stats();
      assert.ok((byStatus["500"] ?? 0) > 0, "the scroll failed at least once");
      assert.match(run.stderr, /stream "companies": the scroll broke .*HTTP 500.*; restarting it/);
      // Intercom cannot continue a failed scroll: asking for its scroll_param again only gets a 404.
      assert.equal(byStatus["404"], undefined, "no request for a failed scroll's param");
    });

    it("restarts an expired scroll and emits each company once", async () => {
      server = await startFixtureServer({ seed: 13, scale: "small", scrollLockSeconds: 1, scrollExpirySeconds: 1, log: () => undefined });
      const config = resolveConfig({ access_token: server.token, base_url: server.url, page_size: 25 });
      const logger = new Logger("test", "warn", () => undefined);
      let delayed = false;
      let continuations = 0;
      // Lets the scroll_param expire once, before the third page.
      class StallingClient extends IntercomClient {
        override async getJson<T>(req: Omit<IntercomRequest, "method">): Promise<T> {
          if (req.path === "/companies/scroll" && req.query?.["scroll_param"] !== undefined) continuations += 1;
          if (!delayed && continuations === 2) {
            delayed = true;
            await new Promise((resolve) => setTimeout(resolve, 2500));
          }
          return super.getJson<T>(req);
        }
      }
      const client = new StallingClient(config, logger);
      const catalog = selectOnly(await discoverCatalog(configFor(server)), ["companies", "company_segments"]);
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on("data", (chunk: Buffer) => chunks.push(chunk));
      await sync({ config, logger, writer: new SingerWriter(out), state: { bookmarks: {} }, streams: catalog.streams.filter(isStreamSelected), client });
      client.close();
      assert.ok(delayed, "the scroll was stalled past its expiry");
      assertExactlyOnce(server, parseLines(Buffer.concat(chunks).toString("utf8")), ["companies", "company_segments"]);
    });
  });
});
