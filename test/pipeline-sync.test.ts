import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startPipeline, runPipeline } from "../scripts/lib/pipeline.js";
import { runSync, type SyncOptions } from "../scripts/lib/sync-run.js";

const FAKES = resolve(fileURLToPath(import.meta.url), "../fakes");
const fakes = (tapMode = "ok", targetMode = "ok") => ({
  tap: { command: process.execPath, args: [join(FAKES, "fake-tap.js")] },
  target: { command: process.execPath, args: [join(FAKES, "fake-target.js")] },
  env: { FAKE_TAP_MODE: tapMode, FAKE_TARGET_MODE: targetMode },
});

describe("pipeline runner (tap | target)", () => {
  it("joins the two processes with one OS pipe and collects the target's state lines", async () => {
    let resolveFirst: () => void = () => undefined;
    const firstState = new Promise<void>((r) => (resolveFirst = r));
    const running = startPipeline({ ...fakes("hang"), onState: () => resolveFirst() });
    const { tapPid, targetPid } = await running.started;
    await firstState;
    // Both are alive: the tap's stdout and the target's stdin are the same kernel pipe.
    const tapOut = await readlink(`/proc/${tapPid}/fd/1`);
    const targetIn = await readlink(`/proc/${targetPid}/fd/0`);
    assert.match(tapOut, /^pipe:\[\d+\]$/);
    assert.equal(targetIn, tapOut);
    running.killTap("SIGKILL");
    const result = await running.done;
    assert.equal(result.tap.signal, "SIGKILL");
    assert.equal(result.target.code, 0);
    assert.equal(result.ok, false);
    assert.deepEqual(result.states, [{ bookmarks: { s: { n: 1 } } }]);
  });

  it("fails when the target fails, without hanging the tap", async () => {
    const result = await runPipeline(fakes("ok", "fail"));
    assert.equal(result.target.code, 3);
    assert.equal(result.ok, false);
  });

  it("skips target stdout lines that are not JSON, as Meltano does", async () => {
    const result = await runPipeline(fakes("ok", "noise"));
    assert.equal(result.ok, true);
    assert.deepEqual(result.invalidStateLines, ["not json"]);
    assert.equal(result.states.length, 2);
  });
});

describe("make sync (scripts/lib/sync-run.ts)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sync-test-"));
    await writeFile(join(dir, "tap.json"), JSON.stringify({ access_token: "tok-in-config-123" }));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sync = (tapMode: string, now: string) => runSync(options(tapMode, now));
  const options = (tapMode: string, now: string): SyncOptions => ({
    tap: { command: process.execPath, args: [join(FAKES, "fake-tap.js")] },
    target: { command: process.execPath, args: [join(FAKES, "fake-target.js")] },
    tapConfigs: [join(dir, "tap.json")],
    targetConfigs: [],
    statePath: join(dir, "state.json"),
    logDir: join(dir, "logs"),
    now: new Date(now),
    env: { FAKE_TAP_MODE: tapMode, TAP_INTERCOM_ACCESS_TOKEN: "tok-in-env-456" },
  });

  it("keeps the state between runs, one log file per run, secrets redacted", async () => {
    const first = await sync("ok", "2026-01-01T00:00:00Z");
    assert.equal(first.ok, true, first.message);
    assert.equal(await readFile(join(dir, "state.json"), "utf8"), '{"bookmarks":{"s":{"n":2}}}\n');
    const second = await sync("ok", "2026-01-01T00:01:00Z");
    assert.equal(second.ok, true, second.message);
    assert.equal(await readFile(join(dir, "state.json"), "utf8"), '{"bookmarks":{"s":{"n":4}}}\n');

    const logs = (await readdir(join(dir, "logs"))).sort();
    assert.deepEqual(logs, ["2026-01-01T00-00-00-000Z.log", "2026-01-01T00-01-00-000Z.log"]);
    const secondLog = await readFile(join(dir, "logs", logs[1] ?? ""), "utf8");
    assert.match(secondLog, /\[tap\] fake tap: starting after 2 with token \*\*\*/);
    assert.match(secondLog, /\[target\] fake target: done/);
    assert.doesNotMatch(secondLog, /tok-in-env-456|tok-in-config-123/);
    // No temporary files are left next to the state file.
    assert.deepEqual((await readdir(dir)).sort(), ["logs", "state.json", "tap.json"]);
  });

  it("redacts the target's token too, from its config file or the environment", async () => {
    await writeFile(join(dir, "target.json"), JSON.stringify({ path: "md:db", token: "md-secret-in-config-789" }));
    const outcome = await runSync({
      ...options("ok", "2026-01-01T00:00:00Z"),
      targetConfigs: [join(dir, "target.json")],
      env: { FAKE_TARGET_MODE: "careless", TARGET_DUCKDB_TOKEN: "md-secret-in-env-012" },
    });
    assert.equal(outcome.ok, true, outcome.message);
    const log = await readFile(outcome.logPath, "utf8");
    assert.match(log, /\[target\] fake target: config \{"path":"md:db","token":"\*\*\*"\}/);
    assert.match(log, /\[target\] fake target: token from the environment \*\*\*/);
    assert.doesNotMatch(log, /md-secret/);
  });

  it("a failed tap fails the run, and the state file keeps what the target committed, so the next run resumes there", async () => {
    await sync("ok", "2026-01-01T00:00:00Z");
    const failed = await sync("fail", "2026-01-01T00:01:00Z");
    assert.equal(failed.ok, false);
    assert.equal(failed.stateWritten, true);
    assert.match(failed.message, /tap exit code 2/);
    assert.equal(await readFile(join(dir, "state.json"), "utf8"), '{"bookmarks":{"s":{"n":3}}}\n');
    const resumed = await sync("ok", "2026-01-01T00:02:00Z");
    assert.equal(resumed.ok, true, resumed.message);
    const log = await readFile(resumed.logPath, "utf8");
    assert.match(log, /\[tap\] fake tap: starting after 3 /);
    assert.equal(await readFile(join(dir, "state.json"), "utf8"), '{"bookmarks":{"s":{"n":5}}}\n');
  });
});
