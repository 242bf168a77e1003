/**
 * SIGKILL at random points of a large load, each run resumed from the last state the killed one
 * printed, as a tap would: every printed state's records must be in the database, no row twice,
 * and the last run ends with every record exactly once. Seeded; KILL_RESUME_SEED replays a run.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { Random } from "../../fixtures/src/random.js";
import { REPO_ROOT, TARGET_BIN } from "../../test/helpers.js";
import { query, targetEnv, tempDatabase } from "./support.js";

const RECORDS = 100_000;
const STATE_EVERY = 1_000;
const KILLS = 5;
const SETTINGS = { batch_size_rows: 5_000 };

const SCHEMA_LINE = JSON.stringify({
  type: "SCHEMA",
  stream: "events",
  schema: {
    type: "object",
    properties: { id: { type: "integer" }, name: { type: ["null", "string"] }, at: { type: ["null", "string"], format: "date-time" }, tags: { type: ["null", "array"] } },
  },
  key_properties: ["id"],
});

const recordLine = (id: number) =>
  JSON.stringify({
    type: "RECORD",
    stream: "events",
    record: { id, name: `event ${id} ${"é".repeat(id % 7)}`, at: new Date(1_700_000_000_000 + id * 1000).toISOString(), tags: id % 3 ? ["a", id] : [] },
  });

const stateLine = (id: number) => JSON.stringify({ type: "STATE", value: { bookmarks: { events: { id } } } });

/** What a tap resuming after record `after` sends: the schema, then the records after it with a state every STATE_EVERY records. */
function inputAfter(after: number): string {
  const lines = [SCHEMA_LINE];
  for (let id = after + 1; id <= RECORDS; id++) {
    lines.push(recordLine(id));
    if (id % STATE_EVERY === 0 || id === RECORDS) lines.push(stateLine(id));
  }
  return lines.join("\n") + "\n";
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The bookmark ids of the states the run printed, in order. */
  states: number[];
  stderr: string;
}

/**
 * Runs the target on the input; with `killAfter`, SIGKILLs it once it has printed that many
 * states and a further `killDelayMs` has passed (unless it finished first).
 */
async function runTarget(path: string, input: string, kill?: { afterStates: number; delayMs: number }): Promise<Run> {
  const child = spawn(TARGET_BIN, ["--config", "/dev/null"], { cwd: REPO_ROOT, env: { ...process.env, ...targetEnv(path, SETTINGS) } });
  let stdout = "";
  let stderr = "";
  const states = () => stdout.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { bookmarks: { events: { id: number } } }).bookmarks.events.id);
  let killTimer: NodeJS.Timeout | undefined;
  const armKill = () => {
    if (kill && killTimer === undefined && states().length >= kill.afterStates) killTimer = setTimeout(() => child.kill("SIGKILL"), kill.delayMs);
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    armKill();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdin.on("error", () => undefined);
  const exited = once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
  armKill();
  child.stdin.end(input);
  const [code, signal] = await exited;
  clearTimeout(killTimer);
  return { code, signal, states: states(), stderr };
}

describe("target-duckdb killed at random points of a large load", function () {
  let db: ReturnType<typeof tempDatabase>;
  beforeEach(() => (db = tempDatabase()));
  afterEach(() => db.cleanup());

  it(`keeps every printed state's records through ${KILLS} SIGKILLs and resumes to exactly ${RECORDS} rows`, async () => {
    const seed = Number(process.env["KILL_RESUME_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
    const random = new Random(seed);
    const context = (text: string) => `${text} (replay with KILL_RESUME_SEED=${seed})`;
    let resumeAfter = 0;
    let kills = 0;
    for (let round = 0; round < KILLS; round++) {
      // The whole load takes about a second now, a state printed after each batch's commit, some
      // 30 ms apart: kill after at most 60% of the batches still to come have printed, at most 49 ms after one.
      const batchesToCome = Math.ceil((RECORDS - resumeAfter) / SETTINGS.batch_size_rows);
      const kill = { afterStates: random.int(0, Math.floor(batchesToCome * 0.6)), delayMs: random.int(0, 49) };
      const run = await runTarget(db.path, inputAfter(resumeAfter), kill);
      if (run.signal !== "SIGKILL") {
        assert.equal(run.code, 0, context(run.stderr));
        break;
      }
      kills += 1;
      // Killed before it created the table: nothing may have been printed.
      const [[tables]] = (await query(db.path, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'tap_intercom' AND table_name = 'events'")) as [[string]];
      if (tables === "0") {
        assert.deepEqual(run.states, [], context(`round ${round}: states printed, but no table`));
        continue;
      }
      const [counts] = await query(db.path, "SELECT count(*), count(DISTINCT id), coalesce(max(id), 0) FROM tap_intercom.events");
      assert.equal(counts?.[0], counts?.[1], context(`round ${round}: a row is stored twice`));
      for (const printed of run.states) {
        const [committed] = await query(db.path, "SELECT count(DISTINCT id) FROM tap_intercom.events WHERE id <= ?", [printed]);
        assert.equal(committed?.[0], String(printed), context(`round ${round}: state ${printed} was printed but its records are not all committed`));
      }
      assert.ok(Number(counts?.[2]) <= RECORDS, context(`round ${round}: rows beyond the input`));
      resumeAfter = run.states.at(-1) ?? resumeAfter;
    }
    const last = await runTarget(db.path, inputAfter(resumeAfter));
    assert.equal(last.code, 0, context(last.stderr));
    // A killed run may already have printed the final state: the last run then has no record to load.
    assert.equal(last.states.at(-1) ?? resumeAfter, RECORDS, context("the last state printed"));
    assert.deepEqual(
      await query(db.path, "SELECT count(*), count(DISTINCT id), min(id), max(id), count(*) FILTER (name = 'event ' || id || ' ' || repeat('é', id % 7)) FROM tap_intercom.events"),
      [[String(RECORDS), String(RECORDS), "1", String(RECORDS), String(RECORDS)]],
      context("the final table"),
    );
    assert.ok(kills >= 1, context("no run was killed: the load finished before every kill point"));
  });
});
