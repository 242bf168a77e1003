import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { REPO_ROOT } from "../../test/helpers.js";
import { assertRoundTrip, columnTypes, ndjson, query, runTarget, stateLines, tempDatabase } from "./support.js";

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

  it("loads every stream of the Python singer-io tap-intercom's output shape, every field as sent (multipleOf 1e-08 decimals included)", async () => {
    const lines = fixture("singer_io_tap_intercom.singer");
    const states = await load("singer_io_tap_intercom.singer");
    assert.deepEqual(states.at(-1), JSON.parse(lines.trim().split("\n").at(-1)!).value);
    const tables = (await query(db.path, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tap_intercom' ORDER BY 1")).flat();
    assert.deepEqual(tables, [
      "admins", "companies", "company_attributes", "company_segments", "contact_attributes", "contacts",
      "conversation_parts", "conversations", "segments", "tags", "teams",
    ]);
    assert.ok((await assertRoundTrip(db.path, lines)) > 300);
    assert.deepEqual(await query(db.path, "SELECT monthly_spend FROM tap_intercom.companies ORDER BY company_id"), [[324.71], [0.3], [19.99], [1e-8], [0], [1234567.12345678], [null]]);
    // ACTIVATE_VERSION after the attributes' records keeps them (same version): none is marked deleted.
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.contact_attributes WHERE _sdc_deleted_at IS NULL AND _sdc_table_version = 1772442000500"), [["2"]]);
  });

  it("checks multipleOf on the decimal as written: 1e-09 is refused with its line and field, 0.01 steps and integer steps exactly", async () => {
    const spend = (divisor: number) => ({
      type: "SCHEMA",
      stream: "companies",
      schema: { type: "object", properties: { id: { type: "string" }, monthly_spend: { type: ["null", "number"], multipleOf: divisor } } },
      key_properties: ["id"],
    });
    const company = (id: string, monthly_spend: number) => ({ type: "RECORD", stream: "companies", record: { id, monthly_spend } });
    const accepted = await runTarget(db.path, ndjson([spend(0.01), company("a", 19.99), company("b", 0.3), company("c", 1e21), spend(5), company("d", 1e21), company("e", -15)]));
    assert.equal(accepted.code, 0, accepted.stderr);
    for (const [divisor, value] of [[1e-8, 1e-9], [0.01, 19.995], [5, 7]] as const) {
      const refused = await runTarget(db.path, ndjson([spend(divisor), company("x", 0), company("y", value)]));
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, new RegExp(`line 3, stream "companies", field "monthly_spend": record does not match the schema: must be multiple of ${divisor}`));
    }
  });

  /** Loads a file that must fail: the error names its line, stream and field; nothing is committed and no state printed. */
  async function refused(name: string, line: number, stream: string, message: RegExp, settings: Record<string, string | number | boolean> = {}): Promise<void> {
    const result = await runTarget(db.path, fixture(name), settings);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp(`ERROR target-duckdb: stdin, line ${line}, stream "${stream}"`));
    assert.match(result.stderr, message);
    assert.deepEqual(stateLines(result), []);
    const tables = await query(db.path, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tap_intercom'");
    for (const [table] of tables) assert.deepEqual(await query(db.path, `SELECT count(*) FROM tap_intercom."${table as string}"`), [["0"]]);
  }

  it("loads array data into a JSON column", async () => {
    assert.deepEqual(await load("array_data.singer"), [{ test_carts: 4 }]);
    assert.deepEqual(await columnTypes(db.path, "tap_intercom", "test_carts").then((t) => t["fruits"]), "JSON");
    assert.deepEqual(await query(db.path, "SELECT id, fruits::VARCHAR FROM tap_intercom.test_carts ORDER BY id"), [
      ["1", '["pear","quince"]'],
      ["2", '["fig"]'],
      ["3", "[]"],
      ["4", '["kiwi","lime","date"]'],
    ]);
  });

  it("refuses a SCHEMA whose schema has no properties (invalid schema), naming the line", async () => {
    await refused("invalid_schema.singer", 1, "test_invalid_schema", /field "schema.properties": schema has no "properties" object/);
  });

  it("refuses a RECORD before its stream's SCHEMA", async () => {
    await refused("record_before_schema.singer", 1, "test_record_before_schema", /RECORD arrived before the stream's SCHEMA/);
  });

  it("refuses a record without its key property", async () => {
    await refused("record_missing_key_property.singer", 3, "test_record_missing_key_property", /field "id": record lacks a key property/);
  });

  it("refuses a record without a property the schema requires", async () => {
    await refused("record_missing_required_property.singer", 3, "test_record_missing_required_property", /field "id": record does not match the schema: must have required property 'id'/);
  });

  it("emits the states of interleaved streams in order, each once its records are committed, ending on the last", async () => {
    const states = (await load("multiple_state_messages.singer")) as Record<string, number>[];
    assert.deepEqual(states, [{ test_multiple_state_messages_a: 3, test_multiple_state_messages_b: 5 }]);
    db.cleanup();
    db = tempDatabase();
    const result = await runTarget(db.path, fixture("multiple_state_messages.singer"), { batch_size_rows: 1 });
    assert.equal(result.code, 0, result.stderr);
    const sent = fixture("multiple_state_messages.singer")
      .split("\n")
      .filter((line) => line.includes('"STATE"'))
      .map((line) => (JSON.parse(line) as { value: unknown }).value);
    assert.deepEqual(stateLines(result), sent);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.test_multiple_state_messages_a"), [["3"]]);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.test_multiple_state_messages_b"), [["5"]]);
  });

  it("appends every record of a stream with empty key_properties, on every run", async () => {
    await load("no_primary_keys.singer");
    await load("no_primary_keys.singer");
    await load("no_primary_keys_append.singer");
    assert.deepEqual(await query(db.path, "SELECT id, metric, count(*) FROM tap_intercom.test_no_pk GROUP BY ALL ORDER BY ALL"), [
      ["1", "11", "2"],
      ["1", "12", "2"],
      ["1", "13", "1"],
      ["2", "21", "2"],
      ["2", "22", "1"],
      ["3", "31", "1"],
      ["4", "41", "1"],
      ["5", "51", "1"],
    ]);
  });

  it("loads a SCHEMA without key_properties as a stream without keys, with one warning", async () => {
    const result = await runTarget(db.path, fixture("no_key_properties.singer"));
    assert.equal(result.code, 0, result.stderr);
    const warnings = result.stderr.split("\n").filter((line) => line.startsWith("WARN"));
    assert.deepEqual(warnings, [
      'WARN target-duckdb: stream "test_no_key_properties": line 1: SCHEMA has no top-level "key_properties": loading it without keys, every record appended as a new row (set primary_key_required to refuse such streams)',
    ]);
    assert.deepEqual(stateLines(result), [{ test_no_key_properties: 2 }]);
    assert.deepEqual(await query(db.path, "SELECT id, name, note FROM tap_intercom.test_no_key_properties ORDER BY name"), [
      ["1", "again", "same id, new row"],
      ["1", "first", null],
    ]);
  });

  it("loads key_properties given inside schema (the Meltano SDK's pk_updates stream) as no keys, with one warning", async () => {
    const result = await runTarget(db.path, fixture("pk_updates.singer"));
    assert.equal(result.code, 0, result.stderr);
    const warnings = result.stderr.split("\n").filter((line) => line.startsWith("WARN"));
    assert.equal(warnings.length, 1, result.stderr);
    assert.match(warnings[0]!, /stream "test_pk_updates": line 1: SCHEMA has no top-level "key_properties" \(it has "key_properties" inside "schema", where the Singer spec does not look for them\)/);
    assert.deepEqual(await query(db.path, "SELECT id, email, name FROM tap_intercom.test_pk_updates ORDER BY name"), [
      ["1", "kim@example.test", "Kim"],
      ["1", "kim@example.test", "Kim P."],
      ["2", "lee@example.test", "Lee"],
    ]);
  });

  it("merges on the new key once a later SCHEMA changes key_properties", async () => {
    assert.deepEqual(await load("pk_change.singer"), [{ test_pk_change: 5 }]);
    assert.deepEqual(await query(db.path, "SELECT id, email, name FROM tap_intercom.test_pk_change ORDER BY email"), [
      ["10", "kim@example.test", "Kim P."],
      ["2", "lee@example.test", "Lee J."],
      ["3", "ola@example.test", "Ola"],
    ]);
  });

  it("refuses a SCHEMA without key_properties when primary_key_required is set", async () => {
    await refused("pk_updates.singer", 1, "test_pk_updates", /field "key_properties": SCHEMA has no top-level "key_properties" \(it has .*\) and primary_key_required is set/, {
      primary_key_required: true,
    });
    await refused("no_key_properties.singer", 1, "test_no_key_properties", /field "key_properties": SCHEMA has no top-level "key_properties" and primary_key_required is set/, {
      primary_key_required: true,
    });
  });

  it("stores NULL for optional attributes a record leaves out", async () => {
    await load("optional_attributes.singer");
    assert.deepEqual(await query(db.path, "SELECT id, optional FROM tap_intercom.test_optional_attributes ORDER BY id"), [
      ["1", "present"],
      ["2", null],
      ["3", ""],
    ]);
  });

  it("stores NULL for missing fields and passes on an empty final state", async () => {
    assert.deepEqual(await load("record_missing_fields.singer"), [{}]);
    assert.deepEqual(await query(db.path, "SELECT id, optional, count FROM tap_intercom.test_record_missing_fields ORDER BY id"), [
      ["1", "here", "5"],
      ["2", null, "6"],
      ["3", null, null],
    ]);
  });

  it("keeps object properties with and without declared nested properties as JSON", async () => {
    await load("schema_no_properties.singer");
    assert.deepEqual(await query(db.path, "SELECT object_store::VARCHAR FROM tap_intercom.test_object_schema_with_properties ORDER BY object_store->>'id'"), [
      ['{"id":1,"metric":187}'],
      ['{"id":2,"metric":203}'],
    ]);
    assert.deepEqual(await query(db.path, "SELECT object_store::VARCHAR FROM tap_intercom.test_object_schema_no_properties ORDER BY length(object_store::VARCHAR) DESC"), [
      ['{"id":1,"metric":1,"extra":["free",{"form":true}]}'],
      ["{}"],
    ]);
  });

  it("upserts across runs: changed rows replaced, new rows added, composite keys included", async () => {
    assert.deepEqual(await load("user_location_data.singer"), [{ run: 1 }]);
    assert.deepEqual(await load("user_location_upsert_data.singer"), [{ run: 2 }]);
    assert.deepEqual(await query(db.path, "SELECT id, name FROM tap_intercom.test_users ORDER BY id"), [
      ["1", "Noor A."],
      ["2", "Ravi"],
      ["3", "Ines"],
      ["4", "Tomás"],
    ]);
    assert.deepEqual(await query(db.path, "SELECT id, name FROM tap_intercom.test_locations ORDER BY id"), [
      ["1", "Lisbon"],
      ["2", "Oslo (NO)"],
      ["3", "Accra"],
    ]);
    assert.deepEqual(await query(db.path, "SELECT user_id, location_id, info->>'weather' FROM tap_intercom.test_user_in_location ORDER BY ALL"), [
      ["1", "1", "cloudy"],
      ["2", "2", "snow"],
      ["3", "1", "rain"],
      ["4", "3", "hot"],
    ]);
  });

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
