/** The target's settings: unknown keys, the Meltano SDK's names for ours, and load_method. */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCommand, TARGET_BIN } from "../../test/helpers.js";
import { resolveSettings } from "../src/settings.js";
import { ndjson, query, tempDatabase } from "./support.js";

const schemaMessage = { type: "SCHEMA", stream: "users", schema: { type: "object", properties: { id: { type: "integer" }, name: { type: "string" } } }, key_properties: ["id"] };
const recordOf = (id: number, name: string) => ({ type: "RECORD", stream: "users", record: { id, name } });

describe("target-duckdb settings", function () {
  this.timeout(60_000);
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  /** Runs the target with a config file (no environment settings). */
  async function run(config: Record<string, unknown>, messages: unknown[]) {
    const path = join(db.path + ".config.json");
    await writeFile(path, JSON.stringify({ path: db.path, ...config }));
    return runCommand(TARGET_BIN, ["--config", path], { input: ndjson(messages) });
  }

  it("rejects unknown settings, naming the closest known one", async () => {
    assert.throws(() => resolveSettings({ scheme: "x" }, {}), /unknown setting "scheme" \(did you mean schema\?\)/);
    assert.throws(() => resolveSettings({ validate_record: false }, {}), /unknown setting "validate_record" \(did you mean validate_records\?\)/);
    assert.doesNotThrow(() => resolveSettings({ _dialect: "duckdb" }, {}));
    const result = await run({ scheme: "other" }, [schemaMessage, recordOf(1, "a")]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown setting "scheme" \(did you mean schema\?\)/);
  });

  it("accepts the Meltano SDK's names for its settings and lists them in --about", async () => {
    const settings = resolveSettings({ add_record_metadata: false, default_target_schema: "raw", flattening_enabled: true, flattening_max_depth: 2, hard_delete: true }, {});
    assert.equal(settings.add_metadata_columns, false);
    assert.equal(settings.schema, "raw");
    assert.equal(settings.flattening_max_level, 2);
    assert.equal(settings.hard_delete, true);
    assert.equal(resolveSettings({ flattening_enabled: false, flattening_max_depth: 3 }, {}).flattening_max_level, 0);
    assert.throws(() => resolveSettings({ flattening_enabled: true }, {}), /also set flattening_max_depth/);
    assert.equal(resolveSettings({}, { TARGET_DUCKDB_ADD_RECORD_METADATA: "false" }).add_metadata_columns, false);
    assert.throws(() => resolveSettings({ load_method: "merge" }, {}), /setting "load_method" must be one of upsert, append-only, overwrite \(got "merge"\)/);
    const about = JSON.parse((await runCommand(TARGET_BIN, ["--about", "--format", "json"])).stdout) as {
      settings: { additionalProperties?: unknown; properties: Record<string, { aliases?: string[] }> };
    };
    assert.equal(about.settings.additionalProperties, false);
    assert.deepEqual(about.settings.properties["add_metadata_columns"]?.aliases, ["add_record_metadata"]);
    assert.ok(about.settings.properties["flattening_max_level"]?.aliases?.includes("flattening_max_depth"));
    assert.ok(about.settings.properties["schema"]?.aliases?.includes("default_target_schema"));
    const markdown = (await runCommand(TARGET_BIN, ["--about", "--format", "markdown"])).stdout;
    assert.match(markdown, /\| load_method \|/);
    assert.match(markdown, /Also accepted as: add_record_metadata\./);
  });

  it("load_method upsert (the default) keeps one row per key", async () => {
    assert.equal((await run({}, [schemaMessage, recordOf(1, "a"), recordOf(1, "b")])).code, 0);
    assert.equal((await run({ load_method: "upsert" }, [schemaMessage, recordOf(1, "c"), recordOf(2, "d")])).code, 0);
    assert.deepEqual(await query(db.path, "SELECT CAST(id AS INTEGER), name FROM tap_intercom.users ORDER BY id"), [[1, "c"], [2, "d"]]);
  });

  it("load_method append-only keeps every record as a row, keys or not", async () => {
    assert.equal((await run({ load_method: "append-only" }, [schemaMessage, recordOf(1, "a"), recordOf(1, "b")])).code, 0);
    const second = await run({ load_method: "append-only" }, [schemaMessage, recordOf(1, "c")]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(await query(db.path, "SELECT CAST(id AS INTEGER), name FROM tap_intercom.users ORDER BY name"), [[1, "a"], [1, "b"], [1, "c"]]);
  });

  it("load_method overwrite replaces the table's rows with this run's", async () => {
    assert.equal((await run({}, [schemaMessage, recordOf(1, "a"), recordOf(2, "b"), recordOf(3, "c")])).code, 0);
    const result = await run({ load_method: "overwrite", batch_size_rows: 1 }, [schemaMessage, recordOf(2, "new"), recordOf(4, "d")]);
    assert.equal(result.code, 0, result.stderr);
    // Both batches of the run stay: only the rows from before the run are replaced.
    assert.deepEqual(await query(db.path, "SELECT CAST(id AS INTEGER), name FROM tap_intercom.users ORDER BY id"), [[2, "new"], [4, "d"]]);
  });

  it("load_method overwrite keeps the old rows when the run fails before its first commit", async () => {
    assert.equal((await run({}, [schemaMessage, recordOf(1, "a")])).code, 0);
    const result = await run({ load_method: "overwrite" }, [schemaMessage, recordOf(2, "b"), { type: "RECORD", stream: "users", record: { id: "not a number" } }]);
    assert.equal(result.code, 1);
    assert.deepEqual(await query(db.path, "SELECT CAST(id AS INTEGER), name FROM tap_intercom.users ORDER BY id"), [[1, "a"]]);
  });
});
