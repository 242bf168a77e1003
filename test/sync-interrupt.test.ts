/**
 * Ctrl-C under `make sync`: the terminal sends SIGINT to the whole foreground process group
 * (make, the wrapper, the pipeline shell, the tap and the target). The wrapper must pass it on,
 * wait for the target to commit, and save the target's last committed state.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFixtureServer, type FixtureServer } from "../fixtures/src/index.js";
import { query } from "../target-duckdb/test/support.js";
import { REPO_ROOT } from "./helpers.js";

/**
 * Resolves, with the stream's name, once the wrapper has saved a committed state holding the
 * bookmark of an incremental stream: the signal is sent only after the target has committed it, so
 * what must survive the interrupt is known (streams run concurrently: whichever bookmarks first).
 */
async function bookmarkCommitted(statePath: string, ended: () => boolean): Promise<string | undefined> {
  while (!ended()) {
    try {
      const state = JSON.parse(await readFile(statePath, "utf8")) as { bookmarks?: Record<string, unknown> };
      const stream = ["companies", "contacts", "conversations", "tickets", "activity_logs"].find((name) => state.bookmarks?.[name]);
      if (stream) return stream;
    } catch {
      // not written yet, or written by the next rename a moment later
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

describe("make sync and Ctrl-C", function () {
  this.timeout(180_000);
  let server: FixtureServer;
  let dir: string;
  before(async () => {
    server = await startFixtureServer({ seed: 1, scale: "small", faults: { latencyMs: 20 } });
    dir = await mkdtemp(join(tmpdir(), "sync-interrupt-"));
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("passes SIGINT on, saves the target's last committed state, and make does not lose its child", async () => {
    const tapConfig = join(dir, "tap.json");
    const targetConfig = join(dir, "target.json");
    const statePath = join(dir, "state.json");
    const database = join(dir, "intercom.duckdb");
    await writeFile(tapConfig, JSON.stringify({ access_token: server.token, base_url: server.url }));
    // Commits every second, so a bookmark is committed (and its state saved) while the sync goes on.
    await writeFile(targetConfig, JSON.stringify({ path: database, max_batch_age_seconds: 1 }));
    // A process group of its own, like a terminal's foreground job; `-o build` skips the (done) build.
    const make = spawn("make", ["-s", "-o", "build", "sync", `CONFIG=${tapConfig}`, `STATE=${statePath}`, `TARGET_CONFIG=${targetConfig}`], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let ended = false;
    const closed = new Promise<number | null>((resolve) => make.once("close", (code) => resolve(code)));
    void closed.then(() => (ended = true));
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
    };
    make.stdout.on("data", onData);
    make.stderr.on("data", onData);
    const interrupted = await bookmarkCommitted(statePath, () => ended);
    if (interrupted) process.kill(-make.pid!, "SIGINT");
    const code = await closed;
    assert.ok(interrupted, `the sync ended before any stream was bookmarked:\n${output}`);
    assert.notEqual(code, 0);
    assert.doesNotMatch(output, /No child processes/);
    assert.match(output, /\[target\] INFO target-duckdb: SIGINT received: committing buffered records/);
    assert.match(output, /sync: interrupted by SIGINT; state saved to/);
    const state = JSON.parse(await readFile(statePath, "utf8")) as { bookmarks: Record<string, unknown> };
    assert.ok(state.bookmarks[interrupted], `the state saved after the interrupt lost the ${interrupted} bookmark committed before it: ${JSON.stringify(state)}`);
    const [[rows]] = (await query(database, `SELECT count(*) FROM tap_intercom.${interrupted}`)) as [[number]];
    assert.ok(Number(rows) > 0);
  });

  it("passes a SIGTERM sent to the wrapper alone on to the tap and the target", async () => {
    const sub = await mkdtemp(join(dir, "term-"));
    const tapConfig = join(sub, "tap.json");
    const targetConfig = join(sub, "target.json");
    const statePath = join(sub, "state.json");
    await writeFile(tapConfig, JSON.stringify({ access_token: server.token, base_url: server.url }));
    await writeFile(targetConfig, JSON.stringify({ path: join(sub, "intercom.duckdb"), max_batch_age_seconds: 1 }));
    const wrapper = spawn(
      process.execPath,
      [join(REPO_ROOT, "dist/scripts/sync.js"), "--config", tapConfig, "--state", statePath, "--target-config", targetConfig, "--log-dir", join(sub, "logs")],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    let ended = false;
    const closed = new Promise<number | null>((resolve) => wrapper.once("close", (code) => resolve(code)));
    void closed.then(() => (ended = true));
    wrapper.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    const signalled = await bookmarkCommitted(statePath, () => ended);
    if (signalled) wrapper.kill("SIGTERM");
    const code = await closed;
    assert.ok(signalled, output);
    assert.equal(code, 143, output);
    assert.match(output, /\[target\] INFO target-duckdb: SIGTERM received: committing buffered records/);
    assert.match(output, /sync: interrupted by SIGTERM; state saved to/);
    const state = JSON.parse(await readFile(statePath, "utf8")) as { bookmarks: Record<string, unknown> };
    assert.ok(signalled && state.bookmarks[signalled], JSON.stringify(state));
  });
});
