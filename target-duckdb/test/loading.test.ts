import assert from "node:assert/strict";
import { columnTypes, ndjson, query, runTarget, stateLines, tempDatabase } from "./support.js";

const schema = (stream: string, properties: Record<string, unknown>, keys: string[] = ["id"]) => ({
  type: "SCHEMA",
  stream,
  schema: { type: "object", properties },
  key_properties: keys,
});
const record = (stream: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: "RECORD", stream, record: data, ...extra });
const state = (value: unknown) => ({ type: "STATE", value });
/** A stream of `count` records, each with an id and a `body` of `bodyLength` characters, and a STATE after each. */
const textRecordsEachWithState = (stream: string, count: number, bodyLength: number) => {
  const body = "y".repeat(bodyLength);
  const messages: unknown[] = [schema(stream, { id: { type: "integer" }, body: { type: "string" } })];
  for (let id = 0; id < count; id++) messages.push(record(stream, { id, body }), state({ loaded: id + 1 }));
  return messages;
};

describe("target-duckdb loading", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  it("creates the schema and table and loads records, printing the bare state value", async () => {
    const result = await runTarget(
      db.path,
      ndjson([
        schema("users", { id: { type: "integer" }, name: { type: ["null", "string"] } }),
        record("users", { id: 1, name: "Ada" }),
        record("users", { id: 2, name: null }),
        state({ bookmarks: { users: { updated_at: "2024-01-01" } } }),
      ]),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(stateLines(result), [{ bookmarks: { users: { updated_at: "2024-01-01" } } }]);
    assert.deepEqual(await query(db.path, "SELECT id, name FROM tap_intercom.users ORDER BY id"), [
      ["1", "Ada"],
      ["2", null],
    ]);
    assert.doesNotMatch(result.stdout + result.stderr, /error|exception/i);
  });

  it("maps each JSON Schema type to its DuckDB column type", async () => {
    const properties = {
      id: { type: "string" },
      at: { type: ["null", "string"], format: "date-time" },
      day: { type: "string", format: "date" },
      count: { type: ["integer", "null"] },
      ratio: { type: "number" },
      flag: { anyOf: [{ type: "null" }, { type: "boolean" }] },
      nested: { type: "object", properties: { a: { type: "string" } } },
      list: { type: ["null", "array"], items: { type: "integer" } },
      free: {},
      numeric_union: { type: ["integer", "number"] },
      text_union: { type: ["string", "integer", "null"] },
      mixed_union: { anyOf: [{ type: "string" }, { type: "object" }] },
      only_null: { type: "null" },
    };
    const result = await runTarget(
      db.path,
      ndjson([
        schema("types", properties),
        record("types", {
          id: "a",
          at: "2024-01-02T03:04:05+02:00",
          day: "2024-01-02",
          count: "BIG",
          ratio: 0.5,
          flag: true,
          nested: { a: "x" },
          list: [1, 2],
          free: { any: ["thing"] },
          numeric_union: 1.5,
          text_union: 7,
          mixed_union: { k: 1 },
          only_null: null,
        }),
        // An integer beyond 2^53 written by hand: JavaScript cannot hold it, the column must.
      ]).replace('"count":"BIG"', '"count":9007199254740993'),
      { add_metadata_columns: false },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await columnTypes(db.path, "tap_intercom", "types"), {
      id: "VARCHAR",
      at: "TIMESTAMP WITH TIME ZONE",
      day: "DATE",
      count: "BIGINT",
      ratio: "DOUBLE",
      flag: "BOOLEAN",
      nested: "JSON",
      list: "JSON",
      free: "JSON",
      numeric_union: "DOUBLE",
      text_union: "VARCHAR",
      mixed_union: "JSON",
      only_null: "VARCHAR",
    });
    const [row] = await query(
      db.path,
      `SELECT epoch("at"), day::VARCHAR, count::VARCHAR, ratio, flag, nested::VARCHAR, list::VARCHAR, free::VARCHAR, numeric_union, text_union, mixed_union::VARCHAR FROM tap_intercom.types`,
    );
    assert.deepEqual(row, [1704157445, "2024-01-02", "9007199254740993", 0.5, true, '{"a":"x"}', "[1,2]", '{"any":["thing"]}', 1.5, "7", '{"k":1}']);
  });

  it("upserts by insertion order after deletes and a checkpoint: over several row groups, the last record per key wins and each key is stored once", async () => {
    // The upsert keeps, per key, the row inserted last (highest rowid). Rowids are only stable within
    // a transaction and DuckDB may reclaim deleted ones at a checkpoint: this pins that a load's rows
    // still come after the table's, in their input order, with more rows than one row group (122,880).
    const count = 130_000;
    const items = (rev: string, ids: Iterable<number>) => [...ids].map((id) => record("items", { id, rev }));
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    const head = schema("items", { id: { type: "integer" }, rev: { type: "string" } });
    const first = await runTarget(db.path, ndjson([head, ...items("a", range(0, count))]));
    assert.equal(first.code, 0, first.stderr);
    await query(db.path, "DELETE FROM tap_intercom.items WHERE id < 65000");
    await query(db.path, "CHECKPOINT");
    // Every key again, then each seventh key once more in the same load.
    const sevenths = range(0, count).filter((id) => id % 7 === 0);
    const second = await runTarget(db.path, ndjson([head, ...items("b", range(0, count)), ...items("c", sevenths)]));
    assert.equal(second.code, 0, second.stderr);
    const [totals] = await query(db.path, "SELECT count(*)::VARCHAR, count(DISTINCT id)::VARCHAR FROM tap_intercom.items");
    assert.deepEqual(totals, [String(count), String(count)], "each key once");
    const wrong = await query(db.path, "SELECT id, rev FROM tap_intercom.items WHERE rev <> CASE WHEN id % 7 = 0 THEN 'c' ELSE 'b' END ORDER BY id LIMIT 5");
    assert.deepEqual(wrong, [], "the last record per key wins");
  });

  it("keeps the last record per key when a chunk is large enough for several DuckDB threads to read at once", async () => {
    // Chunks load without insertion order on two threads; the upsert then orders a key's rows by
    // _sdc_sequence. Each key appears twice, about 36 MB apart (read_json reads 32 MiB per thread).
    const keys = 30_000;
    const padding = "x".repeat(1200);
    const lines = Array.from({ length: 2 * keys }, (_, i) => record("items", { id: i % keys, rev: i < keys ? "first" : "second", padding }));
    const head = schema("items", { id: { type: "integer" }, rev: { type: "string" }, padding: { type: "string" } });
    const result = await runTarget(db.path, ndjson([head, ...lines]));
    assert.equal(result.code, 0, result.stderr);
    const [totals] = await query(db.path, "SELECT count(*)::VARCHAR, count(DISTINCT id)::VARCHAR, count(*) FILTER (WHERE rev <> 'second')::VARCHAR FROM tap_intercom.items");
    assert.deepEqual(totals, [String(keys), String(keys), "0"], "each key once, with its second record");
  });

  it("upserts on key properties: the last record per key wins, within and across batches", async () => {
    const messages = [
      schema("tickets", { id: { type: "integer" }, region: { type: "string" }, status: { type: "string" } }, ["id", "region"]),
      record("tickets", { id: 1, region: "eu", status: "open" }),
      record("tickets", { id: 1, region: "us", status: "open" }),
      record("tickets", { id: 1, region: "eu", status: "pending" }),
      record("tickets", { id: 2, region: "eu", status: "open" }),
      record("tickets", { id: 1, region: "eu", status: "closed" }),
    ];
    // Batches of 2 split the duplicates across commits; batches of 10 and 15 keep them in one commit but
    // merge it in chunks of 2 and 3 rows (with and without a repeated key inside a chunk); 100 is one chunk.
    for (const batch_size_rows of [2, 10, 15, 100]) {
      const fresh = tempDatabase();
      try {
        const result = await runTarget(fresh.path, ndjson(messages), { batch_size_rows });
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(await query(fresh.path, "SELECT id, region, status FROM tap_intercom.tickets ORDER BY id, region"), [
          ["1", "eu", "closed"],
          ["1", "us", "open"],
          ["2", "eu", "open"],
        ]);
      } finally {
        fresh.cleanup();
      }
    }
    // Loading the same input again changes nothing.
    await runTarget(db.path, ndjson(messages));
    await runTarget(db.path, ndjson(messages));
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.tickets"), [["3"]]);
  });

  it("keeps only the last record per key wherever keys repeat: within a chunk, across chunks and batches, across runs", async () => {
    // A fixed pseudo-random sequence of updates to 60 keys; a property named rowid hides DuckDB's pseudocolumn of that name.
    for (const extra of [{}, { rowid: { type: "integer" } }]) {
      const properties = { id: { type: "string" }, version: { type: "integer" }, ...extra };
      const updates: Record<string, unknown>[] = [];
      let seed = 7;
      for (let version = 0; version < 400; version++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        updates.push({ id: `k${seed % 60}`, version, ...("rowid" in extra ? { rowid: 400 - version } : {}) });
      }
      const latest = new Map(updates.map((u) => [u.id as string, u.version as number]));
      const expected = [...latest].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, version]) => [id, String(version)]);
      for (const batch_size_rows of [7, 50, 1000]) {
        const fresh = tempDatabase();
        try {
          for (const part of [updates.slice(0, 250), updates.slice(250)]) {
            const result = await runTarget(fresh.path, ndjson([schema("items", properties), ...part.map((u) => record("items", u))]), { batch_size_rows });
            assert.equal(result.code, 0, result.stderr);
          }
          const rows = await query(fresh.path, "SELECT id, version FROM tap_intercom.items ORDER BY id");
          assert.deepEqual(rows, expected, `batch_size_rows ${batch_size_rows}, properties ${Object.keys(properties).join(", ")}`);
        } finally {
          fresh.cleanup();
        }
      }
    }
  });

  it("upserts keys JavaScript cannot hold exactly (integers beyond 2^53) by their exact values", async () => {
    const big = (id: string, v: string) => JSON.stringify(record("big", { id: 0, v })).replace('"id":0', `"id":${id}`);
    const input =
      ndjson([schema("big", { id: { type: "integer" }, v: { type: "string" } })]) +
      [big("9007199254740993", "a"), big("9007199254740992", "b"), big("9007199254740993", "c"), big("1", "d")].join("\n") +
      "\n";
    const result = await runTarget(db.path, input, { batch_size_rows: 10 });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id::VARCHAR, v FROM tap_intercom.big ORDER BY id"), [
      ["1", "d"],
      ["9007199254740992", "b"],
      ["9007199254740993", "c"],
    ]);
  });

  it("upserts timestamp and date keys by value, however each record spells them", async () => {
    const input = ndjson([
      schema("events", { at: { type: "string", format: "date-time" }, day: { type: "string", format: "date" }, v: { type: "string" } }, ["at", "day"]),
      record("events", { at: "2024-01-01T00:00:00Z", day: "2024-01-01", v: "first" }),
      record("events", { at: "2024-01-01T01:00:00+01:00", day: "2024-01-01", v: "same instant, other offset" }),
      record("events", { at: "2024-01-01 00:00:00.000Z", day: "2024-01-01", v: "same instant, third spelling" }),
      record("events", { at: "2024-01-01T00:00:00Z", day: "2024-01-02", v: "other day" }),
    ]);
    const result = await runTarget(db.path, input);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT day::VARCHAR, v FROM tap_intercom.events ORDER BY day"), [
      ["2024-01-01", "same instant, third spelling"],
      ["2024-01-02", "other day"],
    ]);
  });

  it("commits large records in smaller batches, so a batch stays within DuckDB's memory_limit", async () => {
    const result = await runTarget(db.path, ndjson(textRecordsEachWithState("notes", 600, 200_000)), { memory_limit: "96MB" });
    assert.equal(result.code, 0, result.stderr);
    const states = stateLines(result);
    assert.ok(states.length > 1, `a state line per early commit, got ${JSON.stringify(states)}`);
    assert.deepEqual(states.at(-1), { loaded: 600 });
    assert.deepEqual(await query(db.path, "SELECT count(*), sum(length(body)) FROM tap_intercom.notes"), [["600", String(600 * 200_000)]]);
  });

  it("keeps a batch of ordinary records whole, however much of memory_limit their JSON fills", async () => {
    // 40 MB of JSON at a 96MB memory_limit (DuckDB's JSON reader alone takes a 32 MiB buffer, so no smaller limit loads).
    const result = await runTarget(db.path, ndjson(textRecordsEachWithState("people", 16_000, 2_500)), { memory_limit: "96MB" });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(stateLines(result), [{ loaded: 16_000 }], "one commit, at the end of input");
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.people"), [["16000"]]);
  });

  it("appends when the stream has no key properties", async () => {
    const messages = [schema("events", { name: { type: "string" } }, []), record("events", { name: "a" }), record("events", { name: "a" })];
    await runTarget(db.path, ndjson(messages));
    const second = await runTarget(db.path, ndjson(messages));
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.events WHERE name = 'a'"), [["4"]]);
  });

  it("evolves the table: new properties add columns, type changes widen without losing rows, nothing is dropped", async () => {
    const first = await runTarget(
      db.path,
      ndjson([
        schema("items", { id: { type: "integer" }, amount: { type: "integer" }, code: { type: "integer" }, legacy: { type: "string" } }),
        record("items", { id: 1, amount: 5, code: 10, legacy: "keep me" }),
      ]),
    );
    assert.equal(first.code, 0, first.stderr);
    const second = await runTarget(
      db.path,
      ndjson([
        schema("items", { id: { type: "integer" }, amount: { type: "integer" }, code: { type: "integer" } }),
        record("items", { id: 2, amount: 6, code: 11 }),
        schema("items", {
          id: { type: "integer" },
          amount: { type: "number" },
          code: { type: ["null", "string"] },
          added: { type: "boolean" },
        }),
        record("items", { id: 3, amount: 7.25, code: "X-12", added: true }),
      ]),
    );
    assert.equal(second.code, 0, second.stderr);
    const types = await columnTypes(db.path, "tap_intercom", "items");
    assert.equal(types["amount"], "DOUBLE");
    assert.equal(types["code"], "VARCHAR");
    assert.equal(types["added"], "BOOLEAN");
    assert.equal(types["legacy"], "VARCHAR");
    assert.deepEqual(await query(db.path, "SELECT id, amount, code, legacy, added FROM tap_intercom.items ORDER BY id"), [
      ["1", 5, "10", "keep me", null],
      ["2", 6, "11", null, null],
      ["3", 7.25, "X-12", null, true],
    ]);
  });

  it("evolves one stream's table while another stream's rows are merged but not yet committed", async () => {
    await runTarget(db.path, ndjson([schema("b", { id: { type: "integer" } }), record("b", { id: 1 })]));
    const result = await runTarget(
      db.path,
      ndjson([
        schema("a", { id: { type: "integer" } }),
        ...[1, 2, 3].map((id) => record("a", { id })),
        schema("b", { id: { type: "integer" }, extra: { type: "string" } }),
        record("b", { id: 2, extra: "new" }),
        state({ bookmarks: { done: true } }),
      ]),
      // Chunks of 2 rows: stream a's first chunk is merged into the open batch transaction before b's SCHEMA.
      { batch_size_rows: 10 },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(stateLines(result), [{ bookmarks: { done: true } }]);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.a"), [["3"]]);
    assert.deepEqual(await query(db.path, "SELECT id, extra FROM tap_intercom.b ORDER BY id"), [
      ["1", null],
      ["2", "new"],
    ]);
  });

  it("fills the _sdc_ metadata columns", async () => {
    const result = await runTarget(
      db.path,
      ndjson([
        schema("m", { id: { type: "integer" } }),
        record("m", { id: 1 }, { time_extracted: "2024-03-04T05:06:07.000Z", version: 42 }),
        record("m", { id: 2, _sdc_deleted_at: "2024-05-01T00:00:00Z" }),
      ]),
    );
    assert.equal(result.code, 0, result.stderr);
    const rows = await query(
      db.path,
      `SELECT id, epoch(_sdc_extracted_at), _sdc_received_at IS NOT NULL, _sdc_batched_at IS NOT NULL, epoch(_sdc_deleted_at),
              _sdc_sequence > 0, _sdc_table_version FROM tap_intercom.m ORDER BY id`,
    );
    assert.deepEqual(rows, [
      ["1", 1709528767, true, true, null, true, "42"],
      ["2", null, true, true, 1714521600, true, null],
    ]);
    const ordered = await query(db.path, "SELECT max(_sdc_sequence) FILTER (id = 1) < max(_sdc_sequence) FILTER (id = 2) FROM tap_intercom.m");
    assert.deepEqual(ordered, [[true]]);
  });

  it("adds no metadata columns when add_metadata_columns is false", async () => {
    await runTarget(db.path, ndjson([schema("plain", { id: { type: "integer" } }), record("plain", { id: 1 })]), { add_metadata_columns: false });
    assert.deepEqual(Object.keys(await columnTypes(db.path, "tap_intercom", "plain")), ["id"]);
  });

  it("ACTIVATE_VERSION marks rows of older versions deleted", async () => {
    const result = await runTarget(
      db.path,
      ndjson([
        schema("full", { id: { type: "integer" } }),
        { type: "ACTIVATE_VERSION", stream: "full", version: 1 },
        record("full", { id: 1 }, { version: 1 }),
        record("full", { id: 2 }, { version: 1 }),
        { type: "ACTIVATE_VERSION", stream: "full", version: 1 },
        record("full", { id: 2 }, { version: 2 }),
        record("full", { id: 3 }, { version: 2 }),
        { type: "ACTIVATE_VERSION", stream: "full", version: 2 },
      ]),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id, _sdc_table_version, _sdc_deleted_at IS NOT NULL FROM tap_intercom.full ORDER BY id"), [
      ["1", "1", true],
      ["2", "2", false],
      ["3", "2", false],
    ]);
  });

  it("ACTIVATE_VERSION with hard_delete removes rows of older versions", async () => {
    const result = await runTarget(
      db.path,
      ndjson([
        schema("full", { id: { type: "integer" } }),
        record("full", { id: 1 }, { version: 1 }),
        record("full", { id: 2 }, { version: 1 }),
        record("full", { id: 2 }, { version: 2 }),
        record("full", { id: 3 }, { version: 2 }),
        { type: "ACTIVATE_VERSION", stream: "full", version: 2 },
      ]),
      { hard_delete: true },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id FROM tap_intercom.full ORDER BY id"), [["2"], ["3"]]);
  });

  it("with hard_delete, removes rows whose records carry _sdc_deleted_at", async () => {
    const result = await runTarget(
      db.path,
      ndjson([
        schema("log", { id: { type: "integer" } }),
        record("log", { id: 1 }),
        record("log", { id: 2 }),
        record("log", { id: 2, _sdc_deleted_at: "2024-05-01T00:00:00Z" }),
      ]),
      { hard_delete: true },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id FROM tap_intercom.log ORDER BY id"), [["1"]]);
  });

  it("with hard_delete, removes a row committed by an earlier run when a later record for its key carries _sdc_deleted_at", async () => {
    const first = await runTarget(db.path, ndjson([schema("log", { id: { type: "integer" } }), record("log", { id: 1 }), record("log", { id: 2 })]), { hard_delete: true });
    assert.equal(first.code, 0, first.stderr);
    const second = await runTarget(
      db.path,
      ndjson([schema("log", { id: { type: "integer" } }), record("log", { id: 2, _sdc_deleted_at: "2024-05-01T00:00:00Z" }), record("log", { id: 3 })]),
      { hard_delete: true },
    );
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(await query(db.path, "SELECT id FROM tap_intercom.log ORDER BY id"), [["1"], ["3"]]);
  });

  it("treats hostile stream and property names as plain identifiers", async () => {
    const hostile = 'x"; DROP TABLE y; --';
    await query(db.path, "CREATE SCHEMA tap_intercom; CREATE TABLE tap_intercom.y (keep INTEGER); INSERT INTO tap_intercom.y VALUES (1)");
    const result = await runTarget(
      db.path,
      ndjson([
        schema(hostile, { [hostile]: { type: "string" }, "it's": { type: "integer" }, "Mixed Case.Name": { type: "string" } }, [hostile]),
        record(hostile, { [hostile]: "value'); DROP TABLE y; --", "it's": 1, "Mixed Case.Name": "ok" }),
      ]),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, `SELECT "${hostile.replace(/"/g, '""')}", "it's", "Mixed Case.Name" FROM tap_intercom."${hostile.replace(/"/g, '""')}"`), [
      ["value'); DROP TABLE y; --", "1", "ok"],
    ]);
    assert.deepEqual(await query(db.path, "SELECT keep FROM tap_intercom.y"), [[1]]);
  });

  it("flattens nested objects into parent__child columns up to flattening_max_level", async () => {
    const properties = {
      id: { type: "integer" },
      location: { type: ["null", "object"], properties: { city: { type: "string" }, geo: { type: "object", properties: { lat: { type: "number" } } } } },
    };
    const result = await runTarget(
      db.path,
      ndjson([schema("people", properties), record("people", { id: 1, location: { city: "Dublin", geo: { lat: 53.3 } } }), record("people", { id: 2, location: null })]),
      { flattening_max_level: 1, add_metadata_columns: false },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await columnTypes(db.path, "tap_intercom", "people"), { id: "BIGINT", location__city: "VARCHAR", location__geo: "JSON" });
    assert.deepEqual(await query(db.path, "SELECT id, location__city, location__geo::VARCHAR FROM tap_intercom.people ORDER BY id"), [
      ["1", "Dublin", '{"lat":53.3}'],
      ["2", null, null],
    ]);
  });

  it("emits state only after the records before it are committed, once per flush", async () => {
    const result = await runTarget(
      db.path,
      ndjson([
        state({ bookmarks: { a: 0 } }),
        schema("a", { id: { type: "integer" } }),
        record("a", { id: 1 }),
        state({ bookmarks: { a: 1 } }),
        record("a", { id: 2 }),
        state({ bookmarks: { a: 2 } }),
        record("a", { id: 3 }),
        state({ bookmarks: { a: 3 } }),
      ]),
      { batch_size_rows: 2 },
    );
    assert.equal(result.code, 0, result.stderr);
    // State 0 precedes any record, so it goes out at once; the full batch (records 1 and 2) commits and
    // releases state 1; state 2 then covers only committed rows; state 3 waits for the final commit.
    assert.deepEqual(stateLines(result), [{ bookmarks: { a: 0 } }, { bookmarks: { a: 1 } }, { bookmarks: { a: 2 } }, { bookmarks: { a: 3 } }]);
  });

  it("warns once per unknown message type and skips it", async () => {
    const result = await runTarget(
      db.path,
      ndjson([
        schema("s", { id: { type: "integer" } }),
        { type: "HEARTBEAT", stream: "s" },
        record("s", { id: 1 }),
        { type: "HEARTBEAT", stream: "s" },
      ]),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr.match(/HEARTBEAT/g)?.length, 1);
    assert.match(result.stderr, /WARN/);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.s"), [["1"]]);
  });

  it("loads into the configured schema, given by config file alias default_target_schema", async () => {
    const { writeFileSync } = await import("node:fs");
    const config = db.path + ".json";
    writeFileSync(config, JSON.stringify({ path: db.path, default_target_schema: "raw" }));
    const { runCommand, TARGET_BIN } = await import("../../test/helpers.js");
    const result = await runCommand(TARGET_BIN, ["--config", config], { input: ndjson([schema("s", { id: { type: "integer" } }), record("s", { id: 1 })]) });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id FROM raw.s"), [["1"]]);
  });
});
