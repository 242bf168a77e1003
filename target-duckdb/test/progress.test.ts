import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "../../singer/src/index.js";
import { Progress } from "../src/progress.js";
import { runTarget } from "../src/run.js";
import { resolveSettings } from "../src/settings.js";
import { ndjson, query, tempDatabase } from "./support.js";

const SCHEMA = { type: "SCHEMA", stream: "users", schema: { type: "object", properties: { id: { type: "integer" } } }, key_properties: ["id"] };
const records = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ type: "RECORD", stream: "users", record: { id: from + i } }));

/** Runs the target in this process on input written in two parts 3.5 s apart (progress is reported at most every 2 s). */
async function runSlowly(path: string, showProgress: boolean): Promise<{ log: string[]; stdout: string }> {
  const log: string[] = [];
  const input = new PassThrough();
  const output = new PassThrough();
  let stdout = "";
  output.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  const run = runTarget({
    settings: resolveSettings({ path }, {}),
    input,
    source: "test input",
    output,
    logger: new Logger("target-duckdb", "info", (line) => log.push(line)),
    showProgress,
  });
  input.write(ndjson([SCHEMA, ...records(1, 4)]));
  await sleep(3500);
  input.end(ndjson([...records(4, 6), { type: "STATE", value: { n: 5 } }]));
  await run;
  return { log, stdout };
}

describe("target-duckdb progress on stderr", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  it("reports rows per stream and rows per second while loading when asked to (a TTY on stderr)", async () => {
    const { log, stdout } = await runSlowly(db.path, true);
    assert.ok(
      log.some((line) => /progress: 3 rows \(\d+ rows\/s; [234] s\): stream "users" 3$/.test(line)),
      `no progress line for the first 3 rows in:\n${log.join("\n")}`,
    );
    assert.equal(stdout, '{"n":5}\n');
    assert.deepEqual(await query(db.path, "SELECT count(*) FROM tap_intercom.users"), [["5"]]);
  });

  it("reports no progress otherwise", async () => {
    const { log } = await runSlowly(db.path, false);
    assert.ok(!log.some((line) => line.includes("progress:")), log.join("\n"));
    assert.ok(log.some((line) => /\n {2}users +5 +5 +5 +0/.test(line)), `the end-of-run summary names the rows loaded:\n${log.join("\n")}`);
  });

  it("names only the streams that moved since the last line, so the line stays one line", () => {
    const lines: string[] = [];
    const progress = new Progress(new Logger("target-duckdb", "info", (line) => lines.push(line)), 2000);
    const start = Date.now();
    progress.tick(new Map([["admins", 25], ["contacts", 100]]), start + 2000);
    progress.tick(new Map([["admins", 25], ["contacts", 300]]), start + 4000);
    progress.tick(new Map([["admins", 25], ["contacts", 300]]), start + 6000);
    assert.match(lines[0] ?? "", /progress: 125 rows \(\d+ rows\/s; 2 s\): stream "admins" 25, stream "contacts" 100$/);
    assert.match(lines[1] ?? "", /progress: 325 rows \(100 rows\/s; 4 s\): stream "contacts" 300$/);
    assert.match(lines[2] ?? "", /progress: 325 rows \(0 rows\/s; 6 s\); nothing new$/);
  });
});
