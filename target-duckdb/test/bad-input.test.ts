import assert from "node:assert/strict";
import { ndjson, query, runTarget, stateLines, tempDatabase } from "./support.js";

const SCHEMA = { type: "SCHEMA", stream: "users", schema: { type: "object", properties: { id: { type: "integer" }, email: { type: "string" } } }, key_properties: ["id"] };
const record = (id: number, extra: Record<string, unknown> = {}) => ({ type: "RECORD", stream: "users", record: { id, email: `u${id}@example.com`, ...extra } });
const state = (n: number) => ({ type: "STATE", value: { bookmarks: { users: { n } } } });

describe("target-duckdb on bad input", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  async function tableRows(): Promise<unknown[][]> {
    const exists = await query(db.path, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'");
    return exists[0]?.[0] === "0" ? [] : query(db.path, "SELECT id FROM tap_intercom.users ORDER BY id");
  }

  const cases: { name: string; lines: string; line: number; message: RegExp; committed: string[]; states: number[] }[] = [
    {
      name: "malformed JSON on the first line",
      lines: '{"type": "SCHEMA", \n' + ndjson([SCHEMA, record(1)]),
      line: 1,
      message: /malformed JSON/,
      committed: [],
      states: [],
    },
    {
      name: "malformed JSON in the middle of a batch",
      lines: ndjson([SCHEMA, record(1), state(1)]) + '{"type":"RECORD","stream":"users","record":{"id":2\n' + ndjson([record(3)]),
      line: 4,
      message: /malformed JSON/,
      committed: [],
      states: [],
    },
    {
      name: "malformed JSON after a committed batch",
      // batch_size_rows is 2: records 1 and 2 commit and release state 1; record 3 is buffered when line 7 fails.
      lines: ndjson([SCHEMA, record(1), state(1), record(2), record(3), state(2)]) + "not json at all\n" + ndjson([record(4)]),
      line: 7,
      message: /malformed JSON/,
      committed: ["1", "2"],
      states: [1],
    },
    {
      name: "a RECORD before its SCHEMA",
      lines: ndjson([record(1), SCHEMA]),
      line: 1,
      message: /stream "users": RECORD arrived before the stream's SCHEMA/,
      committed: [],
      states: [],
    },
    {
      name: "a key property missing from the schema",
      lines: ndjson([{ ...SCHEMA, key_properties: ["id", "tenant"] }, record(1)]),
      line: 1,
      message: /stream "users", field "tenant": key property is not among the schema's properties/,
      committed: [],
      states: [],
    },
    {
      name: "a record without its key property",
      lines: ndjson([SCHEMA, record(1), record(2), state(1), { type: "RECORD", stream: "users", record: { email: "x" } }]),
      line: 5,
      message: /stream "users", field "id": record lacks a key property/,
      committed: ["1", "2"],
      states: [1],
    },
    {
      name: "a record that fails validation",
      lines: ndjson([SCHEMA, record(1), { type: "RECORD", stream: "users", record: { id: 2, email: 42 } }]),
      line: 3,
      message: /stream "users", field "email": record does not match the schema: must be string/,
      committed: [],
      states: [],
    },
    {
      name: "a nested field that fails validation",
      lines: ndjson([
        { ...SCHEMA, schema: { type: "object", properties: { id: { type: "integer" }, location: { type: "object", properties: { at: { type: "string", format: "date-time" } } } } } },
        { type: "RECORD", stream: "users", record: { id: 2, location: { at: "yesterday" } } },
      ]),
      line: 2,
      message: /field "location.at": record does not match the schema: must match format "date-time"/,
      committed: [],
      states: [],
    },
    {
      name: "a date-time that names no calendar day (DuckDB would load it as NULL)",
      lines: ndjson([
        { ...SCHEMA, schema: { type: "object", properties: { id: { type: "integer" }, at: { type: "string", format: "date-time" } } } },
        { type: "RECORD", stream: "users", record: { id: 1, at: "2024-02-29T10:00:00Z" } },
        { type: "RECORD", stream: "users", record: { id: 2, at: "2023-02-29T10:00:00Z" } },
      ]),
      line: 3,
      message: /field "at": record does not match the schema: must match format "date-time"/,
      committed: [],
      states: [],
    },
    {
      name: "a date that names no calendar day",
      lines: ndjson([
        { ...SCHEMA, schema: { type: "object", properties: { id: { type: "integer" }, on: { type: "string", format: "date" } } } },
        { type: "RECORD", stream: "users", record: { id: 1, on: "2024-04-31" } },
      ]),
      line: 2,
      message: /field "on": record does not match the schema: must match format "date"/,
      committed: [],
      states: [],
    },
    {
      name: "an integer beyond the range of its BIGINT column",
      lines: ndjson([SCHEMA, record(1)]) + '{"type":"RECORD","stream":"users","record":{"id":18446744073709551615,"email":"x"}}\n' + ndjson([record(3)]),
      line: 3,
      message: /stream "users", field "id": integer is outside the range of its BIGINT column/,
      committed: [],
      states: [],
    },
    {
      name: "two streams whose names differ only in case",
      lines: ndjson([SCHEMA, record(1), { ...SCHEMA, stream: "Users" }]),
      line: 3,
      message: /stream "Users": streams "users" and "Users" would share one table \(DuckDB names are case-insensitive\)/,
      committed: [],
      states: [],
    },
    {
      name: "a SCHEMA without properties",
      lines: ndjson([{ ...SCHEMA, schema: { type: "object" } }]),
      line: 1,
      message: /field "schema.properties": schema has no "properties" object/,
      committed: [],
      states: [],
    },
  ];

  for (const c of cases) {
    it(`fails clearly on ${c.name}, committing nothing after the last good flush`, async () => {
      const result = await runTarget(db.path, c.lines, { batch_size_rows: 2 });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`line ${c.line}\\b`));
      assert.match(result.stderr, c.message);
      assert.deepEqual(stateLines(result), c.states.map((n) => ({ bookmarks: { users: { n } } })));
      assert.deepEqual(await tableRows(), c.committed.map((id) => [id]));
    });
  }

  it("names DuckDB running out of memory and the settings that help, not the aborted transaction it leaves", async () => {
    const padding = "x".repeat(2000);
    const input = ndjson([SCHEMA, ...Array.from({ length: 2000 }, (_, i) => record(i, { email: `${padding}${i}` })), state(1)]);
    const result = await runTarget(db.path, input, { memory_limit: "4MB", batch_size_rows: 1000 });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /stream "users": loading a batch failed: Out of Memory Error: .*\(memory_limit is 4MB: raise it, or lower batch_size_rows\)/);
    assert.doesNotMatch(result.stderr, /transaction is aborted/i);
    assert.deepEqual(stateLines(result), []);
  });

  it("refuses streams without keys when primary_key_required is set", async () => {
    const result = await runTarget(db.path, ndjson([{ ...SCHEMA, key_properties: [] }]), { primary_key_required: true });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /line 1, stream "users", field "key_properties": stream has no key_properties and primary_key_required is set/);
  });

  it("loads records that do not match the schema when validate_records is false", async () => {
    const result = await runTarget(db.path, ndjson([SCHEMA, { type: "RECORD", stream: "users", record: { id: 2, email: 42 } }]), { validate_records: false });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id, email FROM tap_intercom.users"), [["2", "42"]]);
  });

  it("rejects an invalid setting with a message naming it", async () => {
    const result = await runTarget(db.path, ndjson([SCHEMA]), { batch_size_rows: "many" });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /setting "batch_size_rows" must be a number/);
  });
});
