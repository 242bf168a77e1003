import assert from "node:assert/strict";
import { assertRoundTrip, ndjson, query, runTarget, stateLines, tempDatabase } from "./support.js";

/** A SCHEMA of `id` plus `count` properties of every column type, and `records` records filling them all. */
function wideStream(count: number, records: number): string {
  const kinds = [
    [{ type: ["null", "string"] }, (r: number, i: number) => `text ${r}/${i}`],
    [{ type: ["null", "integer"] }, (r: number, i: number) => r * 100_000 + i],
    [{ type: ["null", "number"] }, (r: number, i: number) => i + r / 4],
    [{ type: ["null", "boolean"] }, (r: number, i: number) => (r + i) % 2 === 0],
    [{ type: ["null", "string"], format: "date-time" }, (r: number, i: number) => new Date(Date.UTC(2026, 0, 1 + r, 0, 0, i % 60)).toISOString()],
    [{ type: ["null", "object"], properties: { n: { type: "integer" } } }, (r: number, i: number) => ({ n: i, r })],
  ] as const;
  const properties: Record<string, unknown> = { id: { type: "string" } };
  for (let i = 0; i < count; i++) properties[`p${i}`] = kinds[i % kinds.length]![0];
  const messages: unknown[] = [{ type: "SCHEMA", stream: "wide", schema: { type: "object", properties }, key_properties: ["id"] }];
  for (let r = 0; r < records; r++) {
    const record: Record<string, unknown> = { id: `r${r}` };
    for (let i = 0; i < count; i++) record[`p${i}`] = r === 1 && i % 7 === 0 ? null : kinds[i % kinds.length]![1](r, i);
    messages.push({ type: "RECORD", stream: "wide", record });
  }
  messages.push({ type: "STATE", value: { bookmarks: { wide: { records } } } });
  return ndjson(messages);
}

describe("target-duckdb with wide schemas", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  it("loads a 5,000-property schema with the default settings, every field round-tripping", async () => {
    const input = wideStream(5000, 3);
    const result = await runTarget(db.path, input);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(stateLines(result), [{ bookmarks: { wide: { records: 3 } } }]);
    assert.match(result.stderr, /stream "wide": 5007 columns: DuckDB's memory limit raised from 256MB to \d+MiB for this run/);
    assert.equal(await assertRoundTrip(db.path, input), 3 * 5001);
  });

  it("upserts a wide stream's repeated keys within one chunk, keeping the last record", async () => {
    const input = wideStream(1200, 2);
    const again = input.replace(/"id":"r0","p0":"text 0\/0"/, '"id":"r1","p0":"replaced"');
    const result = await runTarget(db.path, again, { validate_records: false });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await query(db.path, "SELECT id, p0, p1 FROM tap_intercom.wide ORDER BY id"), [["r1", null, "100001"]]);
  });

  it("refuses a wide table's out-of-memory with advice about its columns, not its batch size", async () => {
    const result = await runTarget(db.path, wideStream(1500, 3000), { memory_limit: "128MB" });
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /failed: .*(Out of Memory|could not allocate|failed to allocate).*\(memory_limit is 128MB, raised to \d+MiB for the widest table; the table has 1507 columns, .* a smaller batch_size_rows does not help\. Raise memory_limit to at least \d+MiB/,
    );
    assert.deepEqual(stateLines(result), []);
  });
});
