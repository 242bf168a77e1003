import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROW_GROUP_SIZE } from "../src/database.js";
import { runCommand, TARGET_BIN } from "../../test/helpers.js";
import { ndjson, query, runTarget, stateLines, targetEnv, tempDatabase } from "./support.js";

const SCHEMA = { type: "SCHEMA", stream: "users", schema: { type: "object", properties: { id: { type: "integer" } } }, key_properties: ["id"] };
const MESSAGES = ndjson([SCHEMA, { type: "RECORD", stream: "users", record: { id: 1 } }, { type: "STATE", value: { bookmarks: { users: { n: 1 } } } }]);

describe("target-duckdb: where the database lives (the path setting)", function () {
  this.timeout(60_000);
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  it("creates the missing parent folders of the database file (Meltano's output/ on a fresh clone)", async () => {
    const path = join(dirname(db.path), "output", "nested", "intercom.duckdb");
    const result = await runTarget(path, MESSAGES);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(path, "SELECT id FROM tap_intercom.users"), [["1"]]);
  });

  for (const [name, content] of [
    ["notes.json", '{"a": 1}\n'],
    ["export.csv", "id,name\n1,x\n"],
    ["notes.txt", "hello\n"],
  ] as const) {
    it(`refuses an existing file that is not a DuckDB database (${name}), touching nothing and printing no state`, async () => {
      const path = join(dirname(db.path), name);
      writeFileSync(path, content);
      const result = await runTarget(path, MESSAGES);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /setting "path": .* exists but is not a DuckDB database file/);
      assert.deepEqual(stateLines(result), [], "no state for data that was not saved");
      assert.equal(readFileSync(path, "utf8"), content, "the file is unchanged");
    });
  }

  for (const file of ["tap_intercom.duckdb", "TAP_INTERCOM.db", "target.duckdb"]) {
    it(`loads into a file named like the schema (${file} with schema tap_intercom, twice)`, async () => {
      const path = join(dirname(db.path), file);
      for (const run of [1, 2]) {
        const result = await runTarget(path, MESSAGES, run === 2 ? { schema: "target" } : {});
        assert.equal(result.code, 0, result.stderr);
      }
      // Opened directly, DuckDB names the file's catalog after it: a reader qualifies the schema with it.
      const catalog = `"${file.split(".")[0]}"`;
      assert.deepEqual(await query(path, `SELECT count(*) FROM ${catalog}.tap_intercom.users`), [["1"]]);
      assert.deepEqual(await query(path, `SELECT count(*) FROM ${catalog}.target.users`), [["1"]]);
    });
  }

  it("keeps loading into an existing DuckDB file", async () => {
    assert.equal((await runTarget(db.path, MESSAGES)).code, 0);
    const again = await runTarget(db.path, MESSAGES);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.users"), [["1"]]);
  });

  it(`writes tables in row groups of ${ROW_GROUP_SIZE} rows (a load's rows reach the file as each fills, not all at its commit)`, async () => {
    const rows = 70_000;
    const file = join(dirname(db.path), "users.jsonl");
    writeFileSync(file, Array.from({ length: rows }, (_, id) => JSON.stringify({ id })).join("\n") + "\n");
    const batch = { type: "BATCH", stream: "users", encoding: { format: "jsonl", compression: "none" }, manifest: [pathToFileURL(file).href] };
    const result = await runTarget(db.path, ndjson([SCHEMA, batch, { type: "STATE", value: { bookmarks: { users: { n: rows } } } }]));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.users"), [[String(rows)]]);
    const groups = await query(db.path, "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('tap_intercom.users')");
    assert.deepEqual(groups, [[String(Math.ceil(rows / ROW_GROUP_SIZE))]]);
  });

  for (const [path, extension] of [
    ["md:intercom", "motherduck"],
    ["ducklake:LAKE", "ducklake"],
  ] as const) {
    it(`an ${path.split(":")[0]}: path whose DuckDB extension (${extension}) cannot be loaded fails clearly, before reading anything, without leaking the token`, async () => {
      const resolved = path.replace("LAKE", join(dirname(db.path), "lake.ducklake"));
      const token = "md-secret-token-123456";
      // A fresh home (so no extension installed before) and no network: DuckDB cannot get the extension.
      const result = await runCommand(TARGET_BIN, ["--config", "/dev/null"], { input: MESSAGES, env: { ...targetEnv(resolved, { token }), HOME: dirname(db.path) } });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`needs DuckDB's ${extension} extension .*could not be loaded; nothing was read or loaded`));
      assert.ok(!result.stderr.includes(token), "the token is never printed");
      assert.deepEqual(stateLines(result), []);
    });
  }

  it("a token of the wrong type is refused without printing it", async () => {
    const config = join(dirname(db.path), "target.json");
    writeFileSync(config, JSON.stringify({ path: db.path, token: 987654321 }));
    const result = await runCommand(TARGET_BIN, ["--config", config], { input: MESSAGES });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /setting "token"/);
    assert.ok(!result.stderr.includes("987654321"), result.stderr);
  });

  it("a MotherDuck token given in the path itself (md:db?motherduck_token=…) is never printed either", async () => {
    const token = "md-secret-in-path-987654";
    const result = await runCommand(TARGET_BIN, ["--config", "/dev/null"], { input: MESSAGES, env: { ...targetEnv(`md:intercom?motherduck_token=${token}`), HOME: dirname(db.path) } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /motherduck_token=\*\*\*/);
    assert.ok(!result.stderr.includes(token), result.stderr);
  });
});
