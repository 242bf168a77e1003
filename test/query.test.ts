/**
 * Looking at a sync's result with nothing beyond `npm ci`: `make query`, the intercom-query bin,
 * and the README's one-line Node snippet, against a DuckDB file the target wrote.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { REPO_ROOT, runCommand, TARGET_BIN } from "./helpers.js";

const QUERY_BIN = resolve(REPO_ROOT, "target-duckdb/bin/intercom-query");

describe("querying the result without a duckdb CLI", function () {
  this.timeout(120_000);
  let dir: string;
  let database: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "query-"));
    database = join(dir, "intercom.duckdb");
    const schema = { type: "object", properties: { id: { type: "integer" }, state: { type: "string" }, updated_at: { type: "integer" } } };
    const lines = [
      { type: "SCHEMA", stream: "conversations", schema, key_properties: ["id"] },
      ...[1, 2, 3].map((id) => ({ type: "RECORD", stream: "conversations", record: { id, state: id === 3 ? "closed" : "open", updated_at: 1704067200 + id * 86400 } })),
    ];
    const loaded = await runCommand(TARGET_BIN, ["--config", "/dev/null"], { input: lines.map((l) => JSON.stringify(l)).join("\n") + "\n", env: { TARGET_DUCKDB_PATH: database } });
    assert.equal(loaded.code, 0, loaded.stderr);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("`make query DB=… SQL=\"…\"` prints the result as a table, whatever quotes the SQL holds", async () => {
    const sql = `SELECT state AS "the state", count(*) AS n FROM tap_intercom.conversations WHERE state <> 'snoozed' GROUP BY 1 ORDER BY 1`;
    const result = await runCommand("make", ["-s", "--no-print-directory", "-o", "build", "query", `DB=${database}`, `SQL=${sql}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split("\n").map((l) => l.trim().split(/\s{2,}/)), [["the state", "n"], ["closed", "1"], ["open", "2"], ["(2 rows)"]]);
  });

  it("without SQL lists the tables with their rows and freshness; a missing file is a clear error", async () => {
    const list = await runCommand(QUERY_BIN, ["--db", database]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /tap_intercom\.conversations\s+3\s+2024-01-04T00:00:00Z/);
    const missing = await runCommand(QUERY_BIN, ["--db", join(dir, "nope.duckdb"), "SELECT 1"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no database at .*nope\.duckdb; run a sync first/);
    const notDuckDb = join(dir, "notes.json");
    await writeFile(notDuckDb, '{"a": 1}\n');
    const refused = await runCommand(QUERY_BIN, ["--db", notDuckDb]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--db: .*notes\.json exists but is not a DuckDB database file/);
  });

  it("the README's one-line Node snippet runs as written (from the repository)", async () => {
    const readme = await readFile(join(REPO_ROOT, "README.md"), "utf8");
    const snippet = readme.split("\n").find((line) => line.startsWith("node -e "));
    assert.ok(snippet, "the README has a `node -e` line");
    assert.ok(snippet.includes(".sync/intercom.duckdb"));
    const result = await runCommand("bash", ["-c", snippet.replace(".sync/intercom.duckdb", database)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /open/);
  });
});
