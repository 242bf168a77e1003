import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { REPO_ROOT } from "../../test/helpers.js";
import { columnTypes, query, runTarget, stateLines, tempDatabase } from "./support.js";

const fixture = (name: string) => readFileSync(resolve(REPO_ROOT, "fixtures/singer-streams", name), "utf8");

describe("target-duckdb with streams shaped like other taps' (fixtures/singer-streams)", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  async function load(name: string): Promise<ReturnType<typeof stateLines>> {
    const result = await runTarget(db.path, fixture(name));
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, /error|exception/i);
    return stateLines(result);
  }

  it("keeps camel-case stream and property names", async () => {
    assert.deepEqual(await load("camelcase.singer"), [{ bookmarks: { TestCamelcase: { Id: "2" } } }]);
    assert.deepEqual(await query(db.path, `SELECT "Id", "clientName", "AccountBalance" FROM tap_intercom."TestCamelcase" ORDER BY "Id"`), [
      ["1", "Gitter Windows Desktop App", 10.5],
      ["2", "Gitter iOS App", null],
    ]);
  });

  it("loads a stream whose name and nested keys hold special characters, with its version", async () => {
    await load("special_chars_in_attributes.singer");
    const rows = await query(
      db.path,
      `SELECT "_id", d->>'$."agent:os:version"', _sdc_table_version, _sdc_deleted_at FROM tap_intercom."test:SpecialChars!in?attributes"`,
    );
    assert.deepEqual(rows, [["a2e98886", "10.13.1", "1541199424491", null]]);
  });

  it("adds a column for each successive SCHEMA update", async () => {
    await load("schema_updates.singer");
    assert.deepEqual(Object.keys(await columnTypes(db.path, "tap_intercom", "test_schema_updates")).filter((c) => !c.startsWith("_sdc_")), [
      "id",
      "a1",
      "a2",
      "a3",
      "a4",
      "a5",
      "a6",
    ]);
    assert.deepEqual(await query(db.path, "SELECT id, a3, a4::VARCHAR, a5::VARCHAR, a6 FROM tap_intercom.test_schema_updates ORDER BY id"), [
      ["1", null, null, null, null],
      ["2", true, null, null, null],
      ["3", false, '{"id":1,"value":1}', null, null],
      ["4", true, '{"id":2,"value":22}', '["banana","apple"]', "985"],
    ]);
  });

  it("keeps the last of duplicate records", async () => {
    await load("duplicate_records.singer");
    assert.deepEqual(await query(db.path, "SELECT id, metric FROM tap_intercom.test_duplicate_records ORDER BY id"), [
      ["1", "100"],
      ["2", "20"],
    ]);
  });

  it("types anyOf unions with null by their non-null branch, whichever comes first", async () => {
    await load("anyof_nullable.singer");
    const types = await columnTypes(db.path, "tap_intercom", "ForecastingTypeToCategory");
    assert.equal(types["CreatedDate"], "TIMESTAMP WITH TIME ZONE");
    assert.equal(types["LastModifiedDate"], "TIMESTAMP WITH TIME ZONE");
    assert.equal(types["DisplayPosition"], "BIGINT");
    assert.equal(types["IsAdjustable"], "BOOLEAN");
    assert.deepEqual(
      await query(db.path, `SELECT "Id", epoch("LastModifiedDate"), age, "_attribute_startswith_underscore" FROM tap_intercom."ForecastingTypeToCategory" ORDER BY "Id"`),
      [
        ["0eZ3w00000001", 1546547748, null, null],
        ["0eZ3w00000002", null, null, null],
        ["0eZ3w00000003", null, "42", "_"],
      ],
    );
  });

  it("stores non-ASCII text, quotes, backslashes and control characters unchanged", async () => {
    await load("encoded_strings.singer");
    const expected = fixture("encoded_strings.singer")
      .split("\n")
      .filter((line) => line.includes('"RECORD"'))
      .map((line) => (JSON.parse(line) as { record: { id: number; info: string } }).record)
      .map(({ id, info }) => [String(id), info]);
    assert.deepEqual(await query(db.path, "SELECT id, info FROM tap_intercom.test_strings ORDER BY id"), expected);
    assert.deepEqual(await query(db.path, "SELECT nested->>'text', list->>0 FROM tap_intercom.test_strings WHERE id = 1"), [["中文 漢字", "àéîõü"]]);
  });

  it("loads interleaved streams, upserting one and appending the other, and ends on the last state", async () => {
    const states = await load("multiple_streams_and_states.singer");
    assert.deepEqual(states.at(-1), { bookmarks: { users: { id: 2 }, locations: { id: 2 } } });
    assert.deepEqual(await query(db.path, "SELECT id, name FROM tap_intercom.users ORDER BY id"), [
      ["1", "Yash R."],
      ["2", "Alex"],
    ]);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.locations"), [["2"]]);
  });
});
