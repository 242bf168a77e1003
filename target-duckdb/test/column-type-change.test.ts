/**
 * A database loaded while a field was an integer (tap-intercom before its times became date-time
 * strings) meets a SCHEMA that now says date-time: the target stops before touching the table, with
 * a message naming table, column, both types and the statement that converts the column.
 */
import assert from "node:assert/strict";
import { columnTypes, ndjson, query, runTarget, tempDatabase } from "./support.js";

const schema = (updatedAt: Record<string, unknown>) => ({
  type: "SCHEMA",
  stream: "contacts",
  key_properties: ["id"],
  schema: { type: "object", properties: { id: { type: "string" }, name: { type: ["null", "string"] }, updated_at: updatedAt } },
});

describe("target-duckdb: a column whose type changed from integer to date-time", function () {
  this.timeout(60_000);

  it("refuses with the table, column, old and new type and the statement to convert it, leaving the table as it was", async () => {
    const db = tempDatabase();
    try {
      const before = await runTarget(
        db.path,
        ndjson([
          schema({ type: ["null", "integer"] }),
          { type: "RECORD", stream: "contacts", record: { id: "a", name: "Ann", updated_at: 1_700_000_000 } },
          { type: "RECORD", stream: "contacts", record: { id: "b", name: "Bob", updated_at: null } },
        ]),
      );
      assert.equal(before.code, 0, before.stderr);
      assert.equal((await columnTypes(db.path, "tap_intercom", "contacts"))["updated_at"], "BIGINT");

      const after = ndjson([
        schema({ type: ["null", "string"], format: "date-time" }),
        { type: "RECORD", stream: "contacts", record: { id: "c", name: "Cy", updated_at: "2024-05-01T10:00:00Z" } },
      ]);
      const refused = await runTarget(db.path, after, { validate_records: true });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /table "tap_intercom"\."contacts"/);
      assert.match(refused.stderr, /column "updated_at" is BIGINT in the database, the stream now sends TIMESTAMPTZ/);
      const statement = refused.stderr.split("\n").find((line) => line.trim().startsWith("ALTER TABLE"));
      assert.ok(statement, refused.stderr);
      assert.equal((await columnTypes(db.path, "tap_intercom", "contacts"))["updated_at"], "BIGINT", "the table is untouched");
      assert.deepEqual(await query(db.path, "SELECT id FROM tap_intercom.contacts ORDER BY id"), [["a"], ["b"]]);

      // The statement the message gives converts the Unix seconds in place; the load then goes through.
      await query(db.path, statement.trim());
      const loaded = await runTarget(db.path, after, { validate_records: true });
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.equal((await columnTypes(db.path, "tap_intercom", "contacts"))["updated_at"], "TIMESTAMP WITH TIME ZONE");
      const rows = await query(db.path, "SELECT id, epoch(updated_at) FROM tap_intercom.contacts ORDER BY id");
      assert.deepEqual(rows, [["a", 1_700_000_000], ["b", null], ["c", 1_714_557_600]]);
    } finally {
      db.cleanup();
    }
  });
});
