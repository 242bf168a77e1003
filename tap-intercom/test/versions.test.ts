/**
 * Intercom's times as analysts query them, and API versions 2.14 and 2.16 side by side: every
 * stream syncs at both, its records valid against the SCHEMA it emitted, and they load into DuckDB.
 */
import assert from "node:assert/strict";
import { startFixtureServer, type FixtureServer } from "../../fixtures/src/index.js";
import { RecordValidators } from "../../target-duckdb/src/record-validator.js";
import { apiVersionAtLeast } from "../src/settings.js";
import { declarations } from "../src/streams/declarations.js";
import { dateTimeConverter, toDateTime } from "../src/streams/timestamps.js";
import { columnTypes, query, runTarget, tempDatabase } from "../../target-duckdb/test/support.js";
import { discoverCatalog, lastState, recordsOf, runTap, selectOnly, type TapMessage, type TapRun } from "./support.js";

/** Every declared REST stream, so a stream declared later is synced at both versions too (where the version has it). */
const REST_STREAMS = declarations.map((declaration) => declaration.name);
const availableAt = (version: string): string[] =>
  declarations.filter((declaration) => !declaration.since || apiVersionAtLeast(version, declaration.since)).map((declaration) => declaration.name);
const TIME_NAME = /(_at|_since|_until)$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Distinct problems of records against the SCHEMA last emitted for their stream, formats checked as the target checks them. */
function violations(messages: TapMessage[]): string[] {
  const validators = new RecordValidators();
  const current = new Map<string, ReturnType<RecordValidators["forSchema"]>>();
  const problems = new Set<string>();
  for (const message of messages) {
    if (message.type === "SCHEMA" && message.stream && message.schema) current.set(message.stream, validators.forSchema(message.schema));
    if (message.type !== "RECORD" || !message.stream) continue;
    const failure = current.get(message.stream)?.(message.record);
    if (failure) problems.add(`${message.stream} ${failure.field.replace(/\.\d+/g, ".*")}: ${failure.message}`);
  }
  return [...problems];
}

/** Paths of numbers held under a time-named key, anywhere in a value. */
function numericTimes(value: unknown, path: string, found: Set<string>): void {
  if (Array.isArray(value)) value.forEach((item) => numericTimes(item, `${path}[]`, found));
  else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (TIME_NAME.test(key) && typeof inner === "number") found.add(`${path}.${key}`);
      else numericTimes(inner, `${path}.${key}`, found);
    }
  }
}

/** The RFC 3339 UTC text of an instant the API gave as Unix seconds or ISO 8601 text. */
function instant(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const ms = typeof value === "number" ? value * 1000 : Date.parse(String(value));
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

async function apiGet(server: FixtureServer, path: string, version: string): Promise<Record<string, unknown>> {
  const response = await fetch(server.url + path, { headers: { Authorization: `Bearer ${server.token}`, "Intercom-Version": version } });
  assert.equal(response.status, 200, path);
  return (await response.json()) as Record<string, unknown>;
}

const object = (value: unknown): Record<string, unknown> => (value && typeof value === "object" ? (value as Record<string, unknown>) : {});

describe("Intercom times: conversion driven by the schema", () => {
  it("writes Unix seconds and ISO 8601 text (any offset, or none: UTC) as the same RFC 3339 UTC instant", () => {
    assert.equal(toDateTime(1_678_009_574), "2023-03-05T09:46:14Z");
    assert.equal(toDateTime("2023-03-05T09:46:14Z"), "2023-03-05T09:46:14Z");
    assert.equal(toDateTime("2023-03-05T11:46:14+02:00"), "2023-03-05T09:46:14Z");
    assert.equal(toDateTime("2023-03-05T09:46:14"), "2023-03-05T09:46:14Z");
    assert.equal(toDateTime("2023-03-05 09:46:14"), "2023-03-05T09:46:14Z");
    assert.equal(toDateTime("2023-03-05"), "2023-03-05T00:00:00Z");
    assert.equal(toDateTime(1.5), "1970-01-01T00:00:01.500Z");
    assert.equal(toDateTime("next tuesday"), undefined);
    assert.equal(toDateTime(true), undefined);
  });

  it("converts only fields the schema declares date-time, nested in objects, arrays and open maps, without touching the input", () => {
    const convert = dateTimeConverter({
      type: "object",
      properties: {
        updated_at: { type: ["null", "string"], format: "date-time" },
        count: { type: ["null", "integer"] },
        statistics: { type: ["null", "object"], properties: { last_close_at: { type: ["null", "string"], format: "date-time" } } },
        parts: { type: ["null", "array"], items: { type: "object", properties: { created_at: { anyOf: [{ type: "null" }, { type: "string", format: "date-time" }] } } } },
        custom_attributes: { type: ["null", "object"], additionalProperties: true, properties: { renewal: { type: ["null", "string"], format: "date-time" } } },
      },
    });
    const input = {
      updated_at: 0, count: 5, other_at: 7,
      statistics: { last_close_at: null, time_to_close: 60 },
      parts: [{ created_at: 60 }, { created_at: "1970-01-01T02:00:00+01:00" }],
      custom_attributes: { renewal: 3600, seats: 3 },
    };
    const before = JSON.stringify(input);
    assert.deepEqual(convert(input), {
      updated_at: "1970-01-01T00:00:00Z", count: 5, other_at: 7,
      statistics: { last_close_at: null, time_to_close: 60 },
      parts: [{ created_at: "1970-01-01T00:01:00Z" }, { created_at: "1970-01-01T01:00:00Z" }],
      custom_attributes: { renewal: "1970-01-01T01:00:00Z", seats: 3 },
    });
    assert.equal(JSON.stringify(input), before, "the API record, which bookmarks read, is unchanged");
  });
});

describe("Intercom times and API versions 2.14 and 2.16", function () {
  this.timeout(300_000);
  let server: FixtureServer;
  before(async () => {
    server = await startFixtureServer({ seed: 13, scale: "tiny", log: () => undefined });
  });
  after(() => server.close());

  for (const version of ["2.14", "2.16"]) {
    describe(`at Intercom-Version ${version}`, () => {
      let run: TapRun;
      before(async () => {
        // Every REST stream selected, those left out by default for their cost too.
        const config = { access_token: server.token, base_url: server.url, api_version: version };
        run = await runTap(config, { catalog: selectOnly(await discoverCatalog(config), REST_STREAMS) });
        assert.equal(run.code, 0, run.stderr);
      });

      it("syncs every REST stream the version has, each record valid against the SCHEMA the tap emitted, date-time formats included", () => {
        for (const stream of availableAt(version)) assert.ok(recordsOf(run.messages, stream).length > 0, `${stream} has records`);
        const missing = REST_STREAMS.filter((stream) => !availableAt(version).includes(stream));
        for (const stream of missing) assert.equal(recordsOf(run.messages, stream).length, 0, `${stream} is not in ${version}`);
        if (missing.length > 0) assert.match(run.stderr, new RegExp(`skipping ${missing.map((s) => `stream "${s}"`).join(", ")}: Intercom has the endpoint from API version 2.16`));
        assert.deepEqual(violations(run.messages), []);
      });

      it("emits every Intercom time, nested ones and date custom attributes included, as RFC 3339 UTC for the second the API sent", async () => {
        const found = new Set<string>();
        for (const message of run.messages) if (message.type === "RECORD") numericTimes(message.record, message.stream ?? "", found);
        assert.deepEqual([...found], [], "no time is left in Unix seconds");

        const conversations = recordsOf(run.messages, "conversations");
        const parts = recordsOf(run.messages, "conversation_parts");
        const rawDateKinds = new Set<string>();
        for (const emitted of conversations) {
          const raw = await apiGet(server, `/conversations/${String(emitted["id"])}`, version);
          for (const field of ["created_at", "updated_at", "waiting_since", "snoozed_until"]) {
            assert.equal(emitted[field], instant(raw[field]), `conversation ${String(raw["id"])} ${field}`);
          }
          for (const field of ["first_contact_reply_at", "first_admin_reply_at", "last_contact_reply_at", "last_close_at"]) {
            assert.equal(object(emitted["statistics"])[field], instant(object(raw["statistics"])[field]), `statistics.${field}`);
          }
          const rawFollowUp = object(raw["custom_attributes"])["follow_up_at"];
          if (rawFollowUp !== null && rawFollowUp !== undefined) rawDateKinds.add(typeof rawFollowUp);
          assert.equal(object(emitted["custom_attributes"])["follow_up_at"] ?? null, instant(rawFollowUp), "custom_attributes.follow_up_at");
          const rawParts = object(raw["conversation_parts"])["conversation_parts"] as Record<string, unknown>[];
          const emittedParts = new Map(parts.filter((p) => p["conversation_id"] === raw["id"]).map((p) => [p["id"], p]));
          for (const rawPart of rawParts) {
            const part = emittedParts.get(rawPart["id"]);
            assert.ok(part, `part ${String(rawPart["id"])} emitted`);
            assert.equal(part["created_at"], instant(rawPart["created_at"]));
            assert.equal(part["conversation_updated_at"], instant(raw["updated_at"]));
          }
        }
        assert.deepEqual([...rawDateKinds].sort(), ["number", "string"], "the API sent date custom attributes both as Unix seconds and as ISO 8601");
        for (const record of conversations) {
          const value = object(record["custom_attributes"])["follow_up_at"];
          if (value !== null && value !== undefined) assert.match(String(value), RFC3339_UTC);
        }
      });

      it("keeps bookmarks in Unix seconds, so existing state files go on working", async () => {
        const state = lastState(run.messages) as { bookmarks: Record<string, Record<string, unknown>> };
        const newest = Math.max(...recordsOf(run.messages, "contacts").map((r) => Date.parse(String(r["updated_at"])) / 1000));
        assert.equal(state.bookmarks["contacts"]?.["updated_at"], newest);
        const again = await runTap({ access_token: server.token, base_url: server.url, api_version: version }, { state });
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(recordsOf(again.messages, "contacts"), [], "nothing changed since the bookmark");
      });

      it("loads into DuckDB with validate_records on, Intercom times as TIMESTAMPTZ columns", async () => {
        const db = tempDatabase();
        try {
          const input = run.messages.map((m) => JSON.stringify(m)).join("\n") + "\n";
          const result = await runTarget(db.path, input, { validate_records: true });
          assert.equal(result.code, 0, result.stderr);
          const expected: Record<string, string[]> = {
            conversations: ["created_at", "updated_at", "waiting_since"],
            contacts: ["created_at", "updated_at", "last_seen_at"],
            conversation_parts: ["created_at", "conversation_updated_at"],
            tickets: ["updated_at"],
            companies: ["updated_at"],
            activity_logs: ["created_at"],
          };
          for (const [table, columns] of Object.entries(expected)) {
            const types = await columnTypes(db.path, "tap_intercom", table);
            for (const column of columns) assert.equal(types[column], "TIMESTAMP WITH TIME ZONE", `${table}.${column}`);
          }
          const [[recent]] = (await query(db.path, "SELECT count(*) FROM tap_intercom.conversations WHERE updated_at > TIMESTAMPTZ '2000-01-01 00:00:00+00'")) as [[unknown]];
          assert.equal(Number(recent), recordsOf(run.messages, "conversations").length);
        } finally {
          db.cleanup();
        }
      });
    });
  }

  describe("what 2.16 changed", () => {
    let small: FixtureServer;
    let v14: TapRun;
    let v16: TapRun;
    before(async () => {
      // Enough records for every new nested shape to appear with content.
      small = await startFixtureServer({ seed: 5, scale: "small", log: () => undefined });
      v14 = await runTap({ access_token: small.token, base_url: small.url, api_version: "2.14" });
      v16 = await runTap({ access_token: small.token, base_url: small.url, api_version: "2.16" });
      assert.equal(v14.code, 0, v14.stderr);
      assert.equal(v16.code, 0, v16.stderr);
    });
    after(() => small.close());

    it("validates records whose 2.16 nested fields hold data against the emitted SCHEMA", () => {
      const conversations = recordsOf(v16.messages, "conversations");
      const filled = (records: Record<string, unknown>[], read: (r: Record<string, unknown>) => unknown): boolean =>
        records.some((r) => {
          const value = read(r);
          return Array.isArray(value) ? value.length > 0 : value !== null && value !== undefined;
        });
      for (const field of ["company", "scorecards", "monitor_evaluations", "external_references"]) assert.ok(filled(conversations, (c) => c[field]), `conversations.${field}`);
      assert.ok(filled(conversations, (c) => object(c["source"])["recipients"]), "conversations source.recipients");
      assert.ok(filled(recordsOf(v16.messages, "contacts"), (c) => c["merge_history"]), "contacts.merge_history");
      assert.ok(filled(recordsOf(v16.messages, "companies"), (c) => object(c["notes"])["notes"]), "companies.notes");
      assert.deepEqual(violations(v16.messages), []);
      assert.deepEqual(violations(v14.messages), []);
    });

    it("emits tickets' assignee ids as strings at 2.14 and integers at 2.16, 0 when unassigned", () => {
      const kinds = (run: TapRun): string[] => [...new Set(recordsOf(run.messages, "tickets").flatMap((t) => [typeof t["admin_assignee_id"], typeof t["team_assignee_id"]]))];
      assert.deepEqual(kinds(v14), ["string"]);
      assert.deepEqual(kinds(v16), ["number"]);
      assert.ok(recordsOf(v16.messages, "tickets").some((t) => t["team_assignee_id"] === 0));
    });

    it("emits contacts' owner_id as an integer at 2.14 and a string at 2.16", () => {
      const kinds = (run: TapRun): string[] => [...new Set(recordsOf(run.messages, "contacts").flatMap((c) => (c["owner_id"] === null ? [] : [typeof c["owner_id"]])))];
      assert.deepEqual(kinds(v14), ["number"]);
      assert.deepEqual(kinds(v16), ["string"]);
    });

    it("emits an unassigned conversation's assignee as null at 2.14 and 0 at 2.16", () => {
      assert.ok(recordsOf(v14.messages, "conversations").some((c) => c["admin_assignee_id"] === null));
      const v16Conversations = recordsOf(v16.messages, "conversations");
      assert.ok(v16Conversations.every((c) => c["admin_assignee_id"] !== null && c["team_assignee_id"] !== null));
      assert.ok(v16Conversations.some((c) => c["admin_assignee_id"] === 0));
    });

    it("emits list conversation attributes' options as labels at 2.14 and {id,label,archived} objects at 2.16", () => {
      const options = (run: TapRun): unknown[] => recordsOf(run.messages, "conversation_attributes").flatMap((a) => (Array.isArray(a["options"]) ? a["options"] : []));
      assert.ok(options(v14).length > 0 && options(v14).every((o) => typeof o === "string"));
      assert.ok(options(v16).length > 0 && options(v16).every((o) => typeof object(o)["id"] === "string" && typeof object(o)["label"] === "string"));
    });

    it("keeps the top-level fields 2.16 added, in every stream that has them", () => {
      const added: Record<string, string[]> = {
        conversations: ["company", "channel", "sales_agent", "sales_agent_participated", "external_references", "monitor_evaluations", "scorecards"],
        tickets: ["previous_ticket_state_id"],
        contacts: ["merge_history"],
        companies: ["notes"],
        admins: ["role"],
        help_centers: ["default", "locales"],
        article_statistics: ["fin_involvements", "fin_resolutions", "fin_resolution_rate"],
        articles: [
          "body_markdown", "has_unpublished_changes", "draft_updated_at", "ai_chatbot_availability", "ai_copilot_availability",
          "ai_sales_agent_availability", "created_by_id", "updated_by_id", "exclude_from_article_suggestions", "help_center_audience",
          "scheduled_publish_at", "scheduled_unpublish_at",
        ],
      };
      for (const [stream, fields] of Object.entries(added)) {
        const records = recordsOf(v16.messages, stream);
        for (const field of fields) assert.ok(records.every((r) => field in r), `${stream}.${field} at 2.16`);
      }
      assert.ok(recordsOf(v16.messages, "conversations").some((c) => object(c["channel"])["initial"] !== undefined));
      for (const field of ["recipients", "reply_to", "email_message_metadata"]) {
        assert.ok(recordsOf(v16.messages, "conversations").every((c) => field in object(c["source"])), `conversations source.${field}`);
      }
      const logs = recordsOf(v16.messages, "activity_logs").filter((l) => l["metadata"] !== null);
      assert.ok(logs.length > 0 && logs.every((l) => object(l["metadata"])["mode"] === "manual"), "activity_logs metadata.mode");
    });
  });
});
