import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { ndjson, query, runTarget, stateLines, tempDatabase } from "./support.js";

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: ["null", type], ...extra });
const SCHEMA = {
  type: "SCHEMA",
  stream: "users",
  key_properties: ["id"],
  schema: {
    type: "object",
    required: ["id", "email"],
    properties: {
      id: { type: "integer" },
      email: { type: "string" },
      nickname: nullable("string"),
      age: nullable("integer"),
      score: nullable("number"),
      active: nullable("boolean"),
      plan: { type: "string" },
      signed_up_at: nullable("string", { format: "date-time" }),
      birthday: nullable("string", { format: "date" }),
      location: nullable("object", { properties: { city: nullable("string"), floor: nullable("integer") } }),
      tags: nullable("array", { items: { type: "object", required: ["name"], properties: { name: { type: "string" } } } }),
      extra: nullable("object"),
      // An Intercom-style list: its values are checked by a fast pattern first, then exactly (batch-sql.ts fastPattern).
      links: nullable("object", {
        properties: { data: nullable("array", { items: { type: "object", properties: { id: { type: "string" }, rank: nullable("integer") } } }), has_more: nullable("boolean") },
      }),
    },
  },
};
const state = (n: number) => ({ type: "STATE", value: { bookmarks: { users: { n } } } });
const user = (id: number, extra: Record<string, unknown> = {}) => ({ id, email: `u${id}@example.com`, ...extra });

describe("target-duckdb BATCH messages", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  /** Writes a batch file of bare records next to the database; returns its file:// URL. */
  function batchFile(name: string, lines: string, gzip = false): string {
    const path = join(dirname(db.path), name);
    writeFileSync(path, gzip ? gzipSync(lines) : lines);
    return pathToFileURL(path).href;
  }
  const batch = (urls: string[], compression: "gzip" | "none" = "none", stream = "users") => ({
    type: "BATCH",
    stream,
    encoding: { format: "jsonl", compression },
    manifest: urls,
  });
  const columns = "id, email, nickname, age, score, active, plan, signed_up_at, birthday, location, tags, extra";

  it("loads jsonl files, plain and gzip, with the RECORD path's types and values, and emits the STATE after the BATCH once committed", async () => {
    const records = [
      user(1, { nickname: "one", age: 30, score: 1.5, active: true, plan: "pro", signed_up_at: "2024-01-02T03:04:05+02:00", birthday: "1990-02-28" }),
      user(2, { nickname: null, age: 1.0, score: 2, location: { city: "Dublin", floor: null }, tags: [{ name: "a" }], extra: { any: [1, "x"] } }),
      user(3, { email: "three@example.com", plan: "free" }),
    ];
    const plain = batchFile("a.jsonl", ndjson(records.slice(0, 2)));
    const gzipped = batchFile("b.jsonl.gz", ndjson(records.slice(2)) + "\n", true);
    const batchRun = await runTarget(db.path, ndjson([SCHEMA, state(0), batch([plain]), batch([gzipped], "gzip"), state(1)]));
    assert.equal(batchRun.code, 0, batchRun.stderr);
    assert.deepEqual(stateLines(batchRun), [state(0).value, state(1).value]);
    const fromBatch = await query(db.path, `SELECT ${columns}, _sdc_deleted_at, _sdc_table_version FROM tap_intercom.users ORDER BY id`);

    const other = tempDatabase();
    try {
      const recordRun = await runTarget(other.path, ndjson([SCHEMA, ...records.map((record) => ({ type: "RECORD", stream: "users", record })), state(1)]));
      assert.equal(recordRun.code, 0, recordRun.stderr);
      assert.deepEqual(fromBatch, await query(other.path, `SELECT ${columns}, _sdc_deleted_at, _sdc_table_version FROM tap_intercom.users ORDER BY id`));
    } finally {
      other.cleanup();
    }
    assert.equal(fromBatch.length, 3);
    assert.deepEqual(fromBatch[1]?.slice(0, 4), ["2", "u2@example.com", null, "1"]);
  });

  it("upserts on the key: a later line of a file and a later BATCH replace earlier rows, RECORDs and BATCHes mix", async () => {
    const first = batchFile("1.jsonl", ndjson([user(1, { plan: "a" }), user(2, { plan: "a" }), user(1, { plan: "b" })]));
    const second = batchFile("2.jsonl", ndjson([user(2, { plan: "c" }), user(4, { plan: "c" })]));
    const result = await runTarget(
      db.path,
      ndjson([SCHEMA, batch([first]), { type: "RECORD", stream: "users", record: user(3, { plan: "r" }) }, { type: "RECORD", stream: "users", record: user(4, { plan: "r" }) }, batch([second]), state(1)]),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id, plan FROM tap_intercom.users ORDER BY id"), [
      ["1", "b"],
      ["2", "c"],
      ["3", "r"],
      ["4", "c"],
    ]);
  });

  it("keeps the last line of each key in a file large enough to be read by several threads at once (rows land out of line order)", async () => {
    // 45 MB: DuckDB splits the file into 32 MiB buffers read in parallel, and inserts them unordered (batch-load.ts).
    const keys = 120_000;
    const pad = "p".repeat(150);
    const lines = ["first", "last"].map((pass) => Array.from({ length: keys }, (_, id) => JSON.stringify({ id, email: `${pass}@example.com`, plan: pad })).join("\n"));
    const url = batchFile("twice.jsonl", lines.join("\n") + "\n");
    const result = await runTarget(db.path, ndjson([SCHEMA, batch([url]), state(1)]));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(stateLines(result), [state(1).value]);
    assert.deepEqual(await query(db.path, "SELECT email, count(*), count(DISTINCT id) FROM tap_intercom.users GROUP BY email"), [["last@example.com", String(keys), String(keys)]]);
  });

  it("fills _sdc_extracted_at with the BATCH message's time_extracted, else the time the target received the BATCH; refuses a time_extracted that is not a date-time", async () => {
    const stamped = batchFile("stamped.jsonl", ndjson([user(1)]));
    const unstamped = batchFile("unstamped.jsonl", ndjson([user(2)]));
    const before = new Date().toISOString();
    const result = await runTarget(db.path, ndjson([SCHEMA, { ...batch([stamped]), time_extracted: "2024-05-06T09:08:07+02:00" }, batch([unstamped]), state(1)]));
    assert.equal(result.code, 0, result.stderr);
    const rows = await query(db.path, "SELECT id, strftime(_sdc_extracted_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), _sdc_extracted_at = _sdc_received_at, _sdc_extracted_at >= CAST(? AS TIMESTAMPTZ) FROM tap_intercom.users ORDER BY id", [before]);
    assert.deepEqual(rows, [
      ["1", "2024-05-06T07:08:07Z", false, false],
      ["2", rows[1]?.[1], true, true],
    ]);

    const bad = await runTarget(db.path, ndjson([SCHEMA, { ...batch([stamped]), time_extracted: "yesterday" }, state(2)]));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /line 2, stream "users", field "time_extracted": BATCH message "time_extracted" must be an RFC 3339 date-time/);
    assert.deepEqual(stateLines(bad), []);
  });

  // Each record breaks one rule the RECORD path enforces; the BATCH path must refuse it too, naming file, line and field.
  const refused: { name: string; record: Record<string, unknown>; field: string }[] = [
    { name: "a fraction for an integer", record: user(9, { age: 1.5 }), field: "age" },
    { name: "a numeric string for an integer", record: user(9, { age: "12" }), field: "age" },
    { name: "a number for a string", record: user(9, { nickname: 12 }), field: "nickname" },
    { name: "an object for a string", record: user(9, { nickname: { a: 1 } }), field: "nickname" },
    { name: "1 for a boolean", record: user(9, { active: 1 }), field: "active" },
    { name: "a string for a number", record: user(9, { score: "1.5" }), field: "score" },
    { name: "null for a non-nullable property", record: user(9, { plan: null }), field: "plan" },
    { name: "a missing required property", record: { id: 9 }, field: "email" },
    { name: "a missing key property", record: { email: "x@example.com" }, field: "id" },
    { name: "a null key property", record: { id: null, email: "x@example.com" }, field: "id" },
    { name: "a date-time without a time", record: user(9, { signed_up_at: "2024-01-02" }), field: "signed_up_at" },
    { name: "a day the calendar lacks", record: user(9, { birthday: "2023-02-30" }), field: "birthday" },
    { name: "a wrong type inside an object", record: user(9, { location: { city: 5 } }), field: "location.city" },
    { name: "a wrong type inside an array item", record: user(9, { tags: [{ name: "ok" }, { name: 1 }] }), field: "tags.1.name" },
    { name: "a missing required property of an array item", record: user(9, { tags: [{}] }), field: "tags.0.name" },
    { name: "an integer beyond BIGINT", record: user(9, { age: 2 ** 64 }), field: "age" },
    { name: "a fraction for an integer inside an object", record: user(9, { location: { city: "x", floor: 1.5 } }), field: "location.floor" },
    { name: "a number for a string in a list's item", record: user(9, { links: { data: [{ id: "a" }, { id: 2 }] } }), field: "links.data.1.id" },
    { name: "null for a non-nullable property of a list's item", record: user(9, { links: { data: [{ id: null }] } }), field: "links.data.0.id" },
    { name: "an object for an integer in a list's item", record: user(9, { links: { data: [{ id: "a", rank: { n: 1 } }] } }), field: "links.data.0.rank" },
    { name: "a string for a boolean inside an object", record: user(9, { links: { data: [], has_more: "false" } }), field: "links.has_more" },
  ];
  for (const { name, record, field } of refused) {
    it(`refuses ${name} as the RECORD path does, naming the BATCH line, the file, its line and the field`, async () => {
      // Every line has a plan: a row without one makes the loader check the whole file line by line
      // (plan is optional but not nullable), and the SQL check itself must refuse the record.
      const url = batchFile("bad.jsonl", ndjson([user(1, { plan: "free" }), user(2, { plan: "free" })]) + "\n" + ndjson([{ plan: "free", ...record }]));
      const result = await runTarget(db.path, ndjson([SCHEMA, state(0), batch([url]), state(1)]));
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`line 3, stream "users", field "${field.replace(/\./g, "\\.")}": BATCH file \\S*bad\\.jsonl, line 4: `));
      assert.deepEqual(stateLines(result), [state(0).value]);
      assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.users"), [["0"]]);

      const recordRun = await runTarget(db.path, ndjson([SCHEMA, { type: "RECORD", stream: "users", record }]));
      assert.notEqual(recordRun.code, 0);
      assert.match(recordRun.stderr, new RegExp(`field "${field.replace(/\./g, "\\.")}"`));
    });
  }

  it("accepts what the RECORD path accepts: 1.0 as an integer, an optional non-nullable property left out, null where nullable", async () => {
    const url = batchFile("ok.jsonl", ndjson([user(1, { age: 1.0, nickname: null }), user(2)]));
    const result = await runTarget(db.path, ndjson([SCHEMA, batch([url]), state(1)]));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id, age, plan FROM tap_intercom.users ORDER BY id"), [
      ["1", "1", null],
      ["2", null, null],
    ]);
  });

  it("checks nested values spelled unusually exactly: escaped names, unknown members holding objects, exponents for integers", async () => {
    // Valid: each line takes the exact check, which the fast pattern (known names, scalars) does not settle.
    const ok = [
      '{"id": 1, "email": "a@example.com", "plan": "free", "links": {"data": [{"i\\u0064": "x", "rank": 1e3}], "more": {"n": [1]}}}',
      '{"id": 2, "email": "b@example.com", "plan": "free", "links": {"data": [{"id": "y", "rank": null, "other": {"deep": true}}]}, "location": {"city": "C\\u00f4te", "floor": 2}}',
    ];
    let result = await runTarget(db.path, ndjson([SCHEMA, batch([batchFile("ok.jsonl", ok.join("\n") + "\n")]), state(1)]));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id, links->>'$.data[0].rank', location->>'$.city' FROM tap_intercom.users ORDER BY id"), [
      ["1", "1000.0", null],
      ["2", null, "Côte"],
    ]);
    // Refused: an escaped name hides a wrong type from the pattern, not from the exact check.
    const bad = '{"id": 3, "email": "c@example.com", "plan": "free", "links": {"data": [{"i\\u0064": 5}]}}';
    result = await runTarget(db.path, ndjson([SCHEMA, state(0), batch([batchFile("bad.jsonl", bad + "\n")]), state(2)]));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /line 3, stream "users", field "links\.data\.0\.id": BATCH file \S*bad\.jsonl, line 1: record does not match the schema: must be string/);
    assert.deepEqual(stateLines(result), [state(0).value]);
  });

  it("loads and checks deeply nested objects (whose fast patterns would be too large to compile)", async () => {
    const deep = (levels: number): Record<string, unknown> =>
      levels === 0 ? nullable("integer") : nullable("object", { properties: { a: deep(levels - 1), b: deep(levels - 1) } });
    const value = (levels: number, leaf: unknown): unknown => (levels === 0 ? leaf : { a: value(levels - 1, leaf), b: null });
    const schema = { ...SCHEMA, schema: { ...SCHEMA.schema, properties: { ...SCHEMA.schema.properties, tree: deep(9) } } };
    const ok = batchFile("deep.jsonl", ndjson([user(1, { plan: "free", tree: value(9, 7) })]));
    let result = await runTarget(db.path, ndjson([schema, batch([ok]), state(1)]));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT tree->>'$.a.a.a.a.a.a.a.a.a' FROM tap_intercom.users"), [["7"]]);
    const bad = batchFile("deep-bad.jsonl", ndjson([user(2, { plan: "free", tree: value(9, "7") })]));
    result = await runTarget(db.path, ndjson([schema, batch([bad]), state(2)]));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /field "tree(\.a){9}": BATCH file \S*deep-bad\.jsonl, line 1: record does not match the schema: must be null,integer/);
  });

  it("stops on a missing file, naming the BATCH line and the file; the state before it is emitted, none after", async () => {
    const good = batchFile("good.jsonl", ndjson([user(1)]));
    const missing = pathToFileURL(join(dirname(db.path), "missing.jsonl")).href;
    const result = await runTarget(db.path, ndjson([SCHEMA, batch([good]), state(1), batch([missing]), state(2)]));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /line 4, stream "users", field "manifest": BATCH file \S*missing\.jsonl does not exist/);
    assert.deepEqual(stateLines(result), [state(1).value]);
    assert.deepEqual(await query(db.path, "SELECT id FROM tap_intercom.users"), [["1"]]);
  });

  it("refuses a BATCH for a keyed stream whose column rowid hides DuckDB's rowid before reading its files or committing what came before", async () => {
    const withRowid = { ...SCHEMA, schema: { ...SCHEMA.schema, properties: { ...SCHEMA.schema.properties, rowid: nullable("integer") } } };
    const missing = pathToFileURL(join(dirname(db.path), "missing.jsonl")).href;
    const result = await runTarget(db.path, ndjson([withRowid, { type: "RECORD", stream: "users", record: user(1) }, state(1), batch([missing]), state(2)]));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /line 4, stream "users", field "rowid": BATCH loading needs DuckDB's rowid, which the stream's column "rowid" hides: send RECORD messages for this stream/);
    assert.deepEqual(stateLines(result), []);
  });

  it("stops on malformed JSON and on a corrupt gzip file, naming the file (and the line)", async () => {
    const malformed = batchFile("m.jsonl", ndjson([user(1)]) + '{"id": 2,\n');
    let result = await runTarget(db.path, ndjson([SCHEMA, batch([malformed]), state(1)]));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /line 2, stream "users": BATCH file \S*m\.jsonl, line 2: malformed JSON/);
    assert.deepEqual(stateLines(result), []);

    const corrupt = batchFile("c.jsonl.gz", "this is not gzip\n");
    result = await runTarget(db.path, ndjson([SCHEMA, batch([corrupt], "gzip"), state(1)]));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /line 2, stream "users", field "manifest": BATCH file \S*c\.jsonl\.gz cannot be read: /);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.users"), [["0"]]);
  });

  it("refuses a record with a repeated top-level key, naming the file, line and field", async () => {
    const url = batchFile("dup.jsonl", ndjson([user(1)]) + '{"id": 2, "email": "a@example.com", "id": 3}\n');
    const result = await runTarget(db.path, ndjson([SCHEMA, batch([url]), state(1)]));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /line 2, stream "users", field "id": BATCH file \S*dup\.jsonl, line 2: the key "id" appears twice in one JSON object/);
    assert.deepEqual(stateLines(result), []);
  });

  it("refuses a BATCH before its SCHEMA, an encoding other than jsonl and a manifest of non-file URLs, with the accepted form", async () => {
    let result = await runTarget(db.path, ndjson([batch([batchFile("x.jsonl", ndjson([user(1)]))]), SCHEMA]));
    assert.match(result.stderr, /line 1, stream "users": BATCH arrived before the stream's SCHEMA/);
    result = await runTarget(db.path, ndjson([SCHEMA, { ...batch([]), encoding: { format: "parquet", compression: "none" } }]));
    assert.match(result.stderr, /line 2, stream "users", field "encoding.format": BATCH message has format "parquet": only "jsonl" is supported \(accepted: /);
    result = await runTarget(db.path, ndjson([SCHEMA, batch(["s3://bucket/x.jsonl"])]));
    assert.match(result.stderr, /field "manifest": BATCH message lists "s3:\/\/bucket\/x.jsonl": only local file:\/\/ URLs are supported/);
  });

  it("flattens nested objects into the same parent__child columns as RECORDs (flattening_max_level)", async () => {
    const records = [user(1, { location: { city: "Dublin", floor: 3 } }), user(2, { location: { city: null } }), user(3, { location: null })];
    const url = batchFile("flat.jsonl", ndjson(records));
    const flat = { flattening_max_level: 1 };
    const batchRun = await runTarget(db.path, ndjson([SCHEMA, batch([url]), state(1)]), flat);
    assert.equal(batchRun.code, 0, batchRun.stderr);
    const sql = "SELECT id, location__city, location__floor FROM tap_intercom.users ORDER BY id";
    const fromBatch = await query(db.path, sql);
    const other = tempDatabase();
    try {
      const recordRun = await runTarget(other.path, ndjson([SCHEMA, ...records.map((record) => ({ type: "RECORD", stream: "users", record })), state(1)]), flat);
      assert.equal(recordRun.code, 0, recordRun.stderr);
      assert.deepEqual(fromBatch, await query(other.path, sql));
    } finally {
      other.cleanup();
    }
    assert.deepEqual(fromBatch, [
      ["1", "Dublin", "3"],
      ["2", null, null],
      ["3", null, null],
    ]);
  });

  it("validates streams whose schema uses keywords SQL does not check line by line, with the same refusals", async () => {
    const schema = { ...SCHEMA, schema: { ...SCHEMA.schema, properties: { ...SCHEMA.schema.properties, plan: { type: "string", enum: ["free", "pro"] } } } };
    const url = batchFile("e.jsonl", ndjson([user(1, { plan: "pro" }), user(2, { plan: "gold" })]));
    const result = await runTarget(db.path, ndjson([schema, batch([url]), state(1)]));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /field "plan": BATCH file \S*e\.jsonl, line 2: record does not match the schema/);
  });
});
