import assert from "node:assert/strict";
import { ndjson, runTarget, tempDatabase } from "./support.js";

const SCHEMA = {
  type: "SCHEMA",
  stream: "contacts",
  schema: { type: "object", properties: { id: { type: "integer" }, updated_at: { type: "integer" } } },
  key_properties: ["id"],
};
const EMPTY = { type: "SCHEMA", stream: "tags", schema: { type: "object", properties: { id: { type: "integer" } } }, key_properties: ["id"] };
const record = (id: number, updatedAt: number) => ({ type: "RECORD", stream: "contacts", record: { id, updated_at: updatedAt } });

/** The summary table's row for a table, as its cells. */
function summaryRow(stderr: string, table: string): string[] {
  const line = stderr.split("\n").find((l) => l.trim().startsWith(`${table} `));
  assert.ok(line, `a summary line for ${table} in:\n${stderr}`);
  return line.trim().split(/\s+/);
}

describe("target-duckdb: the summary at the end of a run", function () {
  this.timeout(60_000);
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  it("shows per table its rows, the records received, rows inserted and updated this run, the latest updated_at, and streams without records", async () => {
    const first = await runTarget(db.path, ndjson([SCHEMA, EMPTY, record(1, 1704067200), record(2, 1704153600), record(3, 1704240000)]));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /table\s+rows\s+received\s+inserted\s+updated\s+latest updated_at/);
    assert.deepEqual(summaryRow(first.stderr, "contacts"), ["contacts", "3", "3", "3", "0", "2024-01-03T00:00:00Z"]);
    assert.match(first.stderr, /no records this run: stream "tags"/);

    // One changed contact and one new one: 4 rows, 1 inserted, 1 updated, fresher.
    const second = await runTarget(db.path, ndjson([SCHEMA, record(2, 1704326400), record(4, 1704412800)]));
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(summaryRow(second.stderr, "contacts"), ["contacts", "4", "2", "1", "1", "2024-01-05T00:00:00Z"]);
    assert.doesNotMatch(second.stderr, /error|exception/i, "nothing Meltano's config test would read as a failure");
  });
});
