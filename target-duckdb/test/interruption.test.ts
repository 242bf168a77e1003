import assert from "node:assert/strict";
import { LiveTarget, ndjson, query, runTarget, stateLines, tempDatabase } from "./support.js";

const SCHEMA = { type: "SCHEMA", stream: "contacts", schema: { type: "object", properties: { id: { type: "integer" }, name: { type: "string" } } }, key_properties: ["id"] };
const record = (id: number) => ({ type: "RECORD", stream: "contacts", record: { id, name: `contact ${id}` } });
const state = (n: number) => ({ type: "STATE", value: { bookmarks: { contacts: { id: n } } } });
/** A message type the target does not know: its warning on stderr proves every line before it was read. */
const marker = (name: string) => ({ type: `MARKER_${name}` });

describe("target-duckdb interrupted", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  it("kill -9 mid-batch loses nothing committed and reports no state for the rest; a re-run adds no duplicates", async () => {
    const firstBatch = [SCHEMA, record(1), record(2), state(2), record(3)];
    const secondBatch = [record(4), record(5), state(5)];
    const target = new LiveTarget(db.path, { batch_size_rows: 3 });
    target.write(firstBatch);
    await target.waitForStdoutLines(1);
    target.write([...secondBatch, marker("KILL")]);
    await target.waitForStderr("MARKER_KILL");
    const killed = await target.kill("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    assert.deepEqual(
      target.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as unknown),
      [state(2).value],
    );
    assert.deepEqual(await query(db.path, "SELECT id FROM tap_intercom.contacts ORDER BY id"), [["1"], ["2"], ["3"]]);

    const rerun = await runTarget(db.path, ndjson([...firstBatch, ...secondBatch, record(6), state(6)]), { batch_size_rows: 3 });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(stateLines(rerun).at(-1), state(6).value);
    assert.deepEqual(await query(db.path, "SELECT id, count(*) FROM tap_intercom.contacts GROUP BY id ORDER BY id"), [
      ["1", "1"],
      ["2", "1"],
      ["3", "1"],
      ["4", "1"],
      ["5", "1"],
      ["6", "1"],
    ]);
  });

  it("finishes a large final batch under a short max_batch_age_seconds without the age timer starting a second flush", async () => {
    const rows = 20_000;
    const messages = [SCHEMA, ...Array.from({ length: rows }, (_, i) => record(i + 1)), state(rows)];
    const run = await runTarget(db.path, ndjson(messages), { max_batch_age_seconds: 0.05 });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(stateLines(run).at(-1), state(rows).value);
    assert.deepEqual(await query(db.path, "SELECT count(*), count(DISTINCT id) FROM tap_intercom.contacts"), [[String(rows), String(rows)]]);
  });

  it("SIGTERM commits the buffered records, emits the latest state and exits non-zero", async () => {
    const target = new LiveTarget(db.path);
    target.write([SCHEMA, record(1), record(2), state(2), marker("TERM")]);
    await target.waitForStderr("MARKER_TERM");
    const stopped = await target.kill("SIGTERM");
    assert.equal(stopped.code, 143, target.stderr);
    assert.equal(target.stdout, JSON.stringify(state(2).value) + "\n");
    assert.deepEqual(await query(db.path, "SELECT id FROM tap_intercom.contacts ORDER BY id"), [["1"], ["2"]]);
  });

  it("commits and emits state when the oldest buffered record is older than max_batch_age_seconds, input still open", async () => {
    const target = new LiveTarget(db.path, { max_batch_age_seconds: 0.2 });
    target.write([SCHEMA, record(1), state(1)]);
    await target.waitForStdoutLines(1);
    target.write([record(2), state(2)]);
    await target.waitForStdoutLines(2);
    const done = await target.end();
    assert.equal(done.code, 0, target.stderr);
    assert.deepEqual(
      target.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as unknown),
      [state(1).value, state(2).value],
    );
    assert.deepEqual(await query(db.path, "SELECT id FROM tap_intercom.contacts ORDER BY id"), [["1"], ["2"]]);
  });
});
