import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { runCommand, TARGET_BIN } from "../../test/helpers.js";
import { ndjson, query, stateLines, targetEnv, tempDatabase } from "./support.js";

/** Python's json.dumps with its default separators (", " and ": ") and ensure_ascii, as singer-python taps write. */
function pythonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonDumps).join(", ")}]`;
  if (typeof value === "object" && value !== null) return `{${Object.entries(value).map(([k, v]) => `${pythonDumps(k)}: ${pythonDumps(v)}`).join(", ")}}`;
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const SCHEMA = {
  type: "SCHEMA",
  stream: "people",
  key_properties: ["id"],
  schema: {
    type: "object",
    properties: {
      id: { type: "integer" },
      name: { type: ["null", "string"] },
      score: { type: ["null", "number"] },
      seen_at: { type: ["null", "string"], format: "date-time" },
      address: { type: ["null", "object"], properties: { city: { type: ["null", "string"] } } },
    },
  },
};
const OTHER = { type: "SCHEMA", stream: "others", key_properties: ["id"], schema: { type: "object", properties: { id: { type: "string" } } } };
const person = (id: number, extra: Record<string, unknown> = {}) => ({
  type: "RECORD",
  stream: "people",
  record: { id, name: `Zoë ${id}`, score: id / 4, seen_at: "2024-03-01T10:00:00+02:00", address: { city: "Zürich" }, ...extra },
  version: 7,
  time_extracted: "2024-03-02T00:00:00Z",
});
const state = (n: number) => ({ type: "STATE", value: { n } });
const DATA = "SELECT id, name, score, seen_at, address, _sdc_extracted_at, _sdc_table_version FROM tap_intercom.people ORDER BY id";

describe("target-duckdb RECORD chunks", function () {
  let db: ReturnType<typeof tempDatabase>;
  /** The target's temporary directory (TMPDIR), where chunk files would be. */
  let temp: string;
  beforeEach(() => {
    db = tempDatabase();
    temp = mkdtempSync(join(tmpdir(), "target-duckdb-tmpdir-"));
  });
  afterEach(() => {
    db.cleanup();
    rmSync(temp, { recursive: true, force: true });
  });
  const run = (input: string, settings: Record<string, string | number | boolean> = {}) =>
    runCommand(TARGET_BIN, ["--config", "/dev/null"], { input, env: { ...targetEnv(db.path, settings), TMPDIR: temp } });

  it("loads the spaced envelope Python's json.dumps writes exactly as the compact one", async () => {
    const messages = [SCHEMA, ...Array.from({ length: 30 }, (_, i) => person(i)), state(1), person(3, { name: "again" })];
    const compact = await run(ndjson(messages), { batch_size_rows: 7 });
    assert.equal(compact.code, 0, compact.stderr);
    const expected = await query(db.path, DATA);
    assert.equal(expected.length, 30);
    assert.deepEqual(expected[3]?.slice(0, 2), ["3", "again"]);
    db.cleanup();
    db = tempDatabase();
    const spaced = await run(messages.map(pythonDumps).join("\n") + "\n", { batch_size_rows: 7 });
    assert.equal(spaced.code, 0, spaced.stderr);
    assert.match(messages.map(pythonDumps)[1] as string, /^\{"type": "RECORD", "stream": "people", "record": \{"id": 0, "name": "Zo\\u00eb 0"/);
    assert.deepEqual(await query(db.path, DATA), expected);
    assert.deepEqual(stateLines(spaced), stateLines(compact));
  });

  it("loads a message whose own members have short names the loader could use for itself (_ln, _seq, line)", async () => {
    const messages = [SCHEMA, ...Array.from({ length: 5 }, (_, i) => ({ ...person(i), _ln: "tap's own", _seq: i, line: 1 })), state(1)];
    const result = await run(ndjson(messages));
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await query(db.path, DATA)).length, 5);
  });

  it("names the input line, stream and field of a bad record in the middle of a chunk, among STATEs and another stream's lines, and emits no state after the last commit", async () => {
    const lines: unknown[] = [SCHEMA, OTHER];
    let bad = 0;
    for (let i = 0; i < 300; i++) {
      lines.push(person(i, i === 157 ? { score: "high" } : {}));
      if (i === 157) bad = lines.length;
      if (i % 10 === 0) lines.push({ type: "RECORD", stream: "others", record: { id: `o${i}` } });
      if (i % 25 === 24) lines.push(state(i + 1));
    }
    const result = await run(ndjson(lines), { batch_size_rows: 100 });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp(`stdin, line ${bad}, stream "people", field "score": record does not match the schema: must be null,number`));
    // Every state emitted covers committed records only, and nothing from the bad record on is stored.
    const emitted = stateLines(result) as { n: number }[];
    const stored = (await query(db.path, "SELECT count(*), coalesce(max(id), -1) FROM tap_intercom.people"))[0] as [string, number];
    assert.ok(emitted.length > 0, "the batches before the bad record were committed and their states emitted");
    for (const { n } of emitted) assert.ok(Number(stored[0]) >= n, `state ${n} emitted with ${stored[0]} records stored`);
    assert.ok(stored[1] < 157, `records from the bad one on are stored (up to ${stored[1]})`);
  });

  it("names a bad routed record before a later line that fails in JavaScript", async () => {
    const input = ndjson([SCHEMA, person(1), person(2, { seen_at: "2024-02-30T00:00:00Z" }), person(3)]) + "{not json\n";
    const result = await run(input);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /stdin, line 3, stream "people", field "seen_at": record does not match the schema: must match format "date-time"/);
    assert.doesNotMatch(result.stderr, /line 5/);
  });

  it("refuses NaN and Infinity for a number, which DuckDB's JSON reader would take, on the RECORD and the BATCH path", async () => {
    for (const value of ["NaN", "-Infinity", "Infinity"]) {
      const line = `{"type":"RECORD","stream":"people","record":{"id":1,"score":${value}}}`;
      const result = await run(ndjson([SCHEMA]) + line + "\n");
      assert.notEqual(result.code, 0, value);
      assert.match(result.stderr, /stdin, line 2: malformed JSON/, value);
    }
    const file = join(dirname(db.path), "nan.jsonl");
    writeFileSync(file, '{"id":1,"score":1.5}\n{"id":2,"score":-Infinity}\n');
    const batch = { type: "BATCH", stream: "people", encoding: { format: "jsonl", compression: "none" }, manifest: [pathToFileURL(file).href] };
    const result = await run(ndjson([SCHEMA, batch]));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /line 2, stream "people".*BATCH file \S*nan\.jsonl, line 2: malformed JSON/);
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.people"), [["0"]]);
  });

  it("numbers _sdc_sequence upward within a run and across runs, RECORD and BATCH alike", async () => {
    const first = await run(ndjson([SCHEMA, ...Array.from({ length: 3000 }, (_, i) => person(i))]), { batch_size_rows: 1000 });
    assert.equal(first.code, 0, first.stderr);
    const file = join(dirname(db.path), "later.jsonl");
    writeFileSync(file, '{"id":5000}\n');
    const batch = { type: "BATCH", stream: "people", encoding: { format: "jsonl", compression: "none" }, manifest: [pathToFileURL(file).href] };
    const second = await run(ndjson([SCHEMA, person(0, { name: "again" }), batch]));
    assert.equal(second.code, 0, second.stderr);
    const ordered = await query(db.path, "SELECT id FROM tap_intercom.people ORDER BY _sdc_sequence");
    assert.deepEqual(ordered.map(([id]) => Number(id)), [...Array.from({ length: 2999 }, (_, i) => i + 1), 0, 5000]);
    assert.deepEqual(await query(db.path, "SELECT count(DISTINCT _sdc_sequence) FROM tap_intercom.people WHERE id < 5000"), [["3000"]]);
  });

  it("leaves no chunk file behind: after a run, after a failed run, after SIGKILL", async () => {
    const good = await run(ndjson([SCHEMA, ...Array.from({ length: 50 }, (_, i) => person(i)), state(1)]), { batch_size_rows: 10 });
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual(readdirSync(temp), []);
    const failed = await run(ndjson([SCHEMA, person(1), person(2, { id: null })]));
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /line 3, stream "people", field "id": key property is null/);
    assert.deepEqual(readdirSync(temp), []);

    // Killed while a chunk file is open: the file was deleted as soon as it was made (DuckDB reads it through /proc/self/fd).
    const child = spawn(TARGET_BIN, ["--config", "/dev/null"], { env: { ...process.env, ...targetEnv(db.path, { batch_size_rows: 100_000 }), TMPDIR: temp } });
    child.stdin.write(ndjson([SCHEMA, ...Array.from({ length: 50 }, (_, i) => person(i))]));
    const fds = `/proc/${child.pid}/fd`;
    const openChunks = () => readdirSync(fds).map((fd) => { try { return readlinkSync(join(fds, fd)); } catch { return ""; } }).filter((target) => target.startsWith(temp));
    const deadline = Date.now() + 30_000;
    while (openChunks().length === 0) {
      assert.ok(child.exitCode === null && Date.now() < deadline, `the target opened no chunk file (exit code ${child.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(openChunks().every((target) => target.endsWith("(deleted)")), openChunks().join(", "));
    child.kill("SIGKILL");
    await once(child, "close");
    assert.deepEqual(readdirSync(temp), []);
  });
});
