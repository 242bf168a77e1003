/**
 * Inputs that used to be loaded altered or lost without a word (issue 17, items 4-8): each is now
 * refused with its line, stream and field, or loaded exactly as sent.
 */
import assert from "node:assert/strict";
import { runCommand, TARGET_BIN, type RunResult } from "../../test/helpers.js";
import { ndjson, query, runTarget, stateLines, targetEnv, tempDatabase } from "./support.js";

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: ["null", type], ...extra });
const schema = (properties: Record<string, unknown>, keys: string[] = ["id"]) => ({
  type: "SCHEMA",
  stream: "s",
  schema: { type: "object", properties },
  key_properties: keys,
});
const record = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: "RECORD", stream: "s", record: fields, ...extra });
const state = (n: number) => ({ type: "STATE", value: { n } });
const ID_NAME = schema({ id: nullable("string"), name: nullable("string") });

/** Runs the target on raw bytes (for input that is not valid UTF-8). */
function runTargetOnBytes(path: string, input: Buffer, settings: Record<string, string | number | boolean> = {}): Promise<RunResult> {
  return runCommand(TARGET_BIN, ["--config", "/dev/null"], { input, env: targetEnv(path, settings) });
}

describe("target-duckdb data integrity", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  const rows = (sql: string) => query(db.path, sql);

  describe("null and missing keys", () => {
    it("refuses a record whose key property is null, naming line, stream and field; the records before the last state stay", async () => {
      const input = ndjson([ID_NAME, record({ id: "1", name: "a" }), state(1), record({ id: "2", name: "b" }), record({ id: null, name: "c" }), record({ id: "3", name: "d" })]);
      const result = await runTarget(db.path, input, { batch_size_rows: 1 });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /line 5, stream "s", field "id": key property is null/);
      assert.match(result.stderr, /needs a value \(a string, number or boolean\)/);
      assert.deepEqual(stateLines(result), [{ n: 1 }]);
      assert.deepEqual(await rows("SELECT id, name FROM tap_intercom.s ORDER BY id"), [
        ["1", "a"],
        ["2", "b"],
      ]);
    });

    it("refuses a null in any part of a composite key, and a missing key property, with the accepted form", async () => {
      const composite = schema({ a: nullable("integer"), b: nullable("string") }, ["a", "b"]);
      const nullPart = await runTarget(db.path, ndjson([composite, record({ a: 1, b: "x" }), record({ a: 2, b: null })]));
      assert.notEqual(nullPart.code, 0);
      assert.match(nullPart.stderr, /line 3, stream "s", field "b": key property is null/);
      const missing = await runTarget(db.path, ndjson([composite, record({ a: 3 })]));
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /line 2, stream "s", field "b": record lacks a key property: .*needs a value \(a string, number or boolean\)/);
    });

    it("keeps every record of a stream that declares no keys, null values included", async () => {
      const input = ndjson([{ ...ID_NAME, key_properties: [] }, record({ id: null, name: "a" }), record({ id: null, name: "b" }), record({ name: "c" }), state(1)]);
      const result = await runTarget(db.path, input);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(await rows("SELECT id, name FROM tap_intercom.s ORDER BY name"), [
        [null, "a"],
        [null, "b"],
        [null, "c"],
      ]);
    });
  });

  describe("duplicate keys in one JSON object", () => {
    const NUMBERED = schema({ id: { type: "string" }, n: nullable("integer"), obj: nullable("object", { properties: { a: nullable("integer") } }) });

    for (const validate of [true, false]) {
      it(`refuses {"n":"not-a-number","n":5} with line, stream and field (validate_records ${validate}), storing neither value`, async () => {
        const input = ndjson([NUMBERED, record({ id: "0", n: 0 }), state(0)]) + '{"type":"RECORD","stream":"s","record":{"id":"1","n":"not-a-number","n":5}}\n' + ndjson([state(1)]);
        const result = await runTarget(db.path, input, { validate_records: validate, batch_size_rows: 1 });
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, /line 4, stream "s", field "n": the key "n" appears twice in one JSON object/);
        assert.deepEqual(stateLines(result), [{ n: 0 }]);
        assert.deepEqual(await rows("SELECT id, n FROM tap_intercom.s ORDER BY id"), [["0", "0"]]);
      });
    }

    it("names duplicates in the message and its record, and at any depth of a message it parses itself (a RECORD in another member order)", async () => {
      const keyTwice = await runTarget(db.path, ndjson([NUMBERED]) + '{"type":"RECORD","stream":"s","record":{"id":"1","id":"2"}}\n');
      assert.match(keyTwice.stderr, /line 2, stream "s", field "id": the key "id" appears twice/);
      const version = await runTarget(db.path, ndjson([NUMBERED]) + '{"type":"RECORD","stream":"s","version":1,"record":{"id":"1"},"version":2}\n');
      assert.notEqual(version.code, 0);
      assert.match(version.stderr, /line 2, stream "s", field "version": the key "version" appears twice/);
      const nested = await runTarget(db.path, ndjson([NUMBERED]) + '{"record":{"id":"1","obj":{"a":1, "a" :2}},"type":"RECORD","stream":"s"}\n');
      assert.notEqual(nested.code, 0);
      assert.match(nested.stderr, /line 2, stream "s", field "obj.a": the key "a" appears twice/);
      const inArray = await runTarget(db.path, ndjson([NUMBERED]) + '{"stream":"s","type":"RECORD","record":{"id":"1","list":[{"a":1},[],{"b":"\\"a\\":","a":1,"a":2}]}}\n');
      assert.match(inArray.stderr, /line 2, stream "s", field "list.2.a": the key "a" appears twice/);
      assert.deepEqual(await rows("SELECT count(*) FROM tap_intercom.s"), [["0"]]);
    });

    it("loads a nested duplicate in a RECORD DuckDB parses (the usual member order) with its first value checked and the object stored as sent", async () => {
      const checked = await runTarget(db.path, ndjson([NUMBERED]) + '{"type":"RECORD","stream":"s","record":{"id":"1","obj":{"a":"x", "a" :2}}}\n');
      assert.notEqual(checked.code, 0);
      assert.match(checked.stderr, /line 2, stream "s", field "obj.a": the key "a" appears twice/);
      const loaded = await runTarget(db.path, ndjson([NUMBERED]) + '{"type":"RECORD","stream":"s","record":{"id":"1","obj":{"a":1, "a" :"x"}}}\n');
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.deepEqual(await rows("SELECT id, obj, obj->>'$.a' FROM tap_intercom.s"), [["1", '{"a":1,"a":"x"}', "1"]]);
    });

    it('loads strings that merely look like keys (\\":, escaped quotes) exactly', async () => {
      const text = { id: "1", n: 1, obj: { a: 2 } };
      const tricky = { id: 'say \\"n\\": 5, "n":6 {"a":1,"a":2}', n: 2, obj: { a: 3 } };
      const result = await runTarget(db.path, ndjson([NUMBERED, record(text), record(tricky), state(1)]));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(await rows("SELECT id, n, json_extract_string(obj, '$.a') FROM tap_intercom.s ORDER BY n"), [
        ["1", "1", "2"],
        [tricky.id, "2", "3"],
      ]);
    });
  });

  describe("invalid UTF-8", () => {
    const head = Buffer.from(ndjson([ID_NAME, record({ id: "1", name: "ok" }), state(1)]));
    const line = (bytes: Buffer) => Buffer.concat([Buffer.from('{"type":"RECORD","stream":"s","record":{"id":"2","name":"'), bytes, Buffer.from('"}}\n')]);

    it("refuses bytes that are not UTF-8 with the line and byte offset, changing nothing", async () => {
      const input = Buffer.concat([head, line(Buffer.from([0x61, 0xff, 0xfe])), Buffer.from(ndjson([state(2)]))]);
      const result = await runTargetOnBytes(db.path, input, { batch_size_rows: 1 });
      assert.notEqual(result.code, 0);
      // Byte 0x61 is at offset 57 of the line, 0xFF at 58.
      assert.match(result.stderr, /stdin, line 4: invalid UTF-8 at byte offset 58 of the line \(byte 0xff; input byte offset \d+\)/);
      assert.deepEqual(stateLines(result), [{ n: 1 }]);
      assert.deepEqual(await rows("SELECT id, name FROM tap_intercom.s"), [["1", "ok"]]);
    });

    it("finds invalid UTF-8 deep in a line longer than the input's chunks, and encoded surrogates and overlong forms", async () => {
      const long = Buffer.concat([Buffer.from("x".repeat(200_000)), Buffer.from([0xc3])]);
      const result = await runTargetOnBytes(db.path, Buffer.concat([head, line(long)]));
      assert.match(result.stderr, /line 4: invalid UTF-8 at byte offset 200057 of the line \(byte 0xc3/);
      for (const bad of [[0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
        const refused = await runTargetOnBytes(db.path, Buffer.concat([head, line(Buffer.from(bad))]));
        assert.match(refused.stderr, /line 4: invalid UTF-8 at byte offset 57 of the line/);
      }
    });

    it("loads a genuine U+FFFD and other multi-byte characters unchanged", async () => {
      const name = "\ufffd é 🕐 \u2028";
      const result = await runTargetOnBytes(db.path, Buffer.concat([head, Buffer.from(ndjson([record({ id: "2", name }), state(2)]))]));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(await rows("SELECT name FROM tap_intercom.s WHERE id = '2'"), [[name]]);
    });
  });

  describe("properties named like metadata columns", () => {
    for (const name of ["_sdc_sequence", "_SDC_Batched_At", "_sdc_table_version"]) {
      it(`refuses a schema declaring "${name}" while add_metadata_columns is on`, async () => {
        const result = await runTarget(db.path, ndjson([schema({ id: { type: "string" }, [name]: nullable("string") }), record({ id: "1", [name]: "z" })]));
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, new RegExp(`line 1, stream "s", field "${name}": property "${name}" has the name of a metadata column the target fills`));
        assert.match(result.stderr, /rename it, or set add_metadata_columns to false/);
      });
    }

    it("loads such a property as an ordinary column when add_metadata_columns is off", async () => {
      const result = await runTarget(db.path, ndjson([schema({ id: { type: "string" }, _sdc_sequence: nullable("string") }), record({ id: "1", _sdc_sequence: "z" })]), {
        add_metadata_columns: false,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(await rows("SELECT id, _sdc_sequence FROM tap_intercom.s"), [["1", "z"]]);
    });

    const DELETABLE = schema({ id: { type: "string" }, _sdc_deleted_at: nullable("string", { format: "date-time" }) });
    const deletes = ndjson([
      DELETABLE,
      record({ id: "1", _sdc_deleted_at: null }),
      record({ id: "2", _sdc_deleted_at: null }),
      state(1),
      record({ id: "2", _sdc_deleted_at: "2024-05-06T07:08:09Z" }),
      state(2),
    ]);

    it("keeps a tap's _sdc_deleted_at: the row is marked deleted at the tap's time", async () => {
      const result = await runTarget(db.path, deletes);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(await rows("SELECT id, CAST(_sdc_deleted_at AS VARCHAR) FROM tap_intercom.s ORDER BY id"), [
        ["1", null],
        ["2", "2024-05-06 07:08:09+00"],
      ]);
    });

    it("removes rows a tap marks with _sdc_deleted_at under hard_delete, with or without metadata columns", async () => {
      for (const metadata of [true, false]) {
        const result = await runTarget(db.path, deletes, { hard_delete: true, add_metadata_columns: metadata });
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(await rows("SELECT id FROM tap_intercom.s ORDER BY id"), [["1"]], `add_metadata_columns ${metadata}`);
      }
    });

    it("refuses a declared _sdc_deleted_at that is not a date-time", async () => {
      const result = await runTarget(db.path, ndjson([schema({ id: { type: "string" }, _sdc_deleted_at: nullable("boolean") }), record({ id: "1", _sdc_deleted_at: true })]));
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /line 1, stream "s", field "_sdc_deleted_at": _sdc_deleted_at marks a record deleted and must be a date-time string/);
    });
  });

  describe("versions outside BIGINT", () => {
    const VERSIONED = schema({ id: { type: "string" } });

    it("refuses ACTIVATE_VERSION with version 1e300 with line, stream and field", async () => {
      const input = ndjson([VERSIONED, record({ id: "1" }, { version: 1 }), state(1)]) + '{"type":"ACTIVATE_VERSION","stream":"s","version":1e300}\n' + ndjson([state(2)]);
      const result = await runTarget(db.path, input, { batch_size_rows: 1 });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /line 4, stream "s", field "version": version must be an integer from -2\^63 to 2\^63-1/);
      assert.deepEqual(stateLines(result), [{ n: 1 }]);
      assert.deepEqual(await rows("SELECT id, _sdc_table_version, _sdc_deleted_at FROM tap_intercom.s"), [["1", "1", null]]);
    });

    for (const version of ["1e300", "9223372036854775808", "-1e19", "1.5"]) {
      it(`refuses a RECORD with version ${version} instead of storing NULL`, async () => {
        const input = ndjson([VERSIONED, record({ id: "1" }, { version: 1 }), state(1)]) + `{"type":"RECORD","stream":"s","record":{"id":"2"},"version":${version}}\n` + ndjson([state(2)]);
        const result = await runTarget(db.path, input, { batch_size_rows: 1 });
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, /line 4, stream "s", field "version": version must be an integer from -2\^63 to 2\^63-1/);
        assert.deepEqual(stateLines(result), [{ n: 1 }]);
        assert.deepEqual(await rows("SELECT id, _sdc_table_version FROM tap_intercom.s"), [["1", "1"]]);
      });
    }

    it("still loads versions at the edges of the exact range", async () => {
      const big = 2 ** 53;
      const result = await runTarget(db.path, ndjson([VERSIONED, record({ id: "1" }, { version: -big }), record({ id: "2" }, { version: big }), state(1)]));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(await rows("SELECT id, _sdc_table_version FROM tap_intercom.s ORDER BY id"), [
        ["1", String(-big)],
        ["2", String(big)],
      ]);
    });
  });
});
