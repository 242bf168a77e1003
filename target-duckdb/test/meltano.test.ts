import assert from "node:assert/strict";
import { runCommand, TARGET_BIN } from "../../test/helpers.js";
import { ndjson, query, runTarget, stateLines, tempDatabase } from "./support.js";

describe("target-duckdb as a Meltano loader", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  it("passes `meltano config test`: exit 0 and no line mentioning an error or exception", async () => {
    // The exact sequence Meltano's plugin test service sends to a loader declaring activate-version.
    const input = ndjson([
      {
        type: "SCHEMA",
        stream: "meltano_test_stream",
        schema: {
          type: "object",
          properties: { id: { type: "integer" }, name: { type: "string" }, created_at: { type: "string", format: "date-time" } },
        },
        key_properties: ["id"],
      },
      { type: "RECORD", stream: "meltano_test_stream", record: { id: 1, name: "Meltano", created_at: "2024-01-01T00:00:00+00:00" } },
      { type: "STATE", value: { bookmarks: { meltano_test_stream: { last_record: 1 } } } },
      { type: "ACTIVATE_VERSION", stream: "meltano_test_stream", version: 1 },
    ]);
    const result = await runTarget(db.path, input);
    assert.equal(result.code, 0, result.stderr);
    for (const line of (result.stdout + result.stderr).split("\n")) assert.doesNotMatch(line, /error|exception/i);
    assert.deepEqual(stateLines(result), [{ bookmarks: { meltano_test_stream: { last_record: 1 } } }]);
    assert.deepEqual(await query(db.path, "SELECT id, name FROM tap_intercom.meltano_test_stream"), [["1", "Meltano"]]);
  });

  it("describes its settings with --about --format json and markdown", async () => {
    const json = await runCommand(TARGET_BIN, ["--about", "--format", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const about = JSON.parse(json.stdout) as { name: string; capabilities: string[]; settings: { properties: Record<string, { default?: unknown }> } };
    assert.equal(about.name, "target-duckdb");
    assert.ok(about.capabilities.includes("activate-version"));
    assert.deepEqual(Object.keys(about.settings.properties).sort(), [
      "add_metadata_columns",
      "batch_size_rows",
      "flattening_max_level",
      "hard_delete",
      "load_method",
      "max_batch_age_seconds",
      "memory_limit",
      "path",
      "primary_key_required",
      "schema",
      "token",
      "validate_records",
    ]);
    assert.equal(about.settings.properties["path"]?.default, "intercom.duckdb");
    const markdown = await runCommand(TARGET_BIN, ["--about", "--format", "markdown"]);
    assert.match(markdown.stdout, /\| batch_size_rows \| integer \| False \| 100000 \|/);
  });

  it("reads messages from --input FILE, with later --config files winning", async () => {
    const { writeFileSync } = await import("node:fs");
    const messages = db.path + ".singer";
    writeFileSync(messages, ndjson([{ type: "SCHEMA", stream: "s", schema: { properties: { id: { type: "integer" } } }, key_properties: [] }, { type: "RECORD", stream: "s", record: { id: 7 } }]));
    writeFileSync(db.path + ".a.json", JSON.stringify({ path: db.path, schema: "first" }));
    writeFileSync(db.path + ".b.json", JSON.stringify({ schema: "second" }));
    const result = await runCommand(TARGET_BIN, ["--config", db.path + ".a.json", "--config", db.path + ".b.json", "--input", messages], {
      env: { TARGET_DUCKDB_PATH: "" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id FROM second.s"), [["7"]]);
  });
});
