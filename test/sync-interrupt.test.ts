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
    await writeFile(targetConfig, JSON.stringify({ path: database }));
    // A process group of its own, like a terminal's foreground job; `-o build` skips the (done) build.
    const make = spawn("make", ["-s", "-o", "build", "sync", `CONFIG=${tapConfig}`, `STATE=${statePath}`, `TARGET_CONFIG=${targetConfig}`], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let interrupted = false;
    const closed = new Promise<number | null>((resolve) => make.once("close", (code) => resolve(code)));
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      if (!interrupted && /\[tap\] INFO tap-intercom: companies: \d+ records in/.test(output)) {
        interrupted = true;
        process.kill(-make.pid!, "SIGINT");
      }
    };
    make.stdout.on("data", onData);
    make.stderr.on("data", onData);
    const code = await closed;
    assert.ok(interrupted, `the sync ended before companies were synced:\n${output}`);
    assert.notEqual(code, 0);
    assert.doesNotMatch(output, /No child processes/);
    assert.match(output, /\[target\] INFO target-duckdb: SIGINT received: committing buffered records/);
    assert.match(output, /sync: interrupted by SIGINT; state saved to/);
    const state = JSON.parse(await readFile(statePath, "utf8")) as { bookmarks: Record<string, unknown> };
    assert.ok(state.bookmarks["companies"], `companies were committed before the interrupt: ${JSON.stringify(state)}`);
    const [[companies]] = (await query(database, "SELECT count(*) FROM tap_intercom.companies")) as [[number]];
    assert.ok(Number(companies) > 0);
  });

  it("passes a SIGTERM sent to the wrapper alone on to the tap and the target", async () => {
    const sub = await mkdtemp(join(dir, "term-"));
    const tapConfig = join(sub, "tap.json");
    const targetConfig = join(sub, "target.json");
    const statePath = join(sub, "state.json");
    await writeFile(tapConfig, JSON.stringify({ access_token: server.token, base_url: server.url }));
    await writeFile(targetConfig, JSON.stringify({ path: join(sub, "intercom.duckdb") }));
    const wrapper = spawn(
      process.execPath,
      [join(REPO_ROOT, "dist/scripts/sync.js"), "--config", tapConfig, "--state", statePath, "--target-config", targetConfig, "--log-dir", join(sub, "logs")],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    let signalled = false;
    const closed = new Promise<number | null>((resolve) => wrapper.once("close", (code) => resolve(code)));
    wrapper.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (!signalled && /\[tap\] INFO tap-intercom: companies: \d+ records in/.test(output)) {
        signalled = true;
        wrapper.kill("SIGTERM");
      }
    });
    const code = await closed;
    assert.ok(signalled, output);
    assert.equal(code, 143, output);
    assert.match(output, /\[target\] INFO target-duckdb: SIGTERM received: committing buffered records/);
    assert.match(output, /sync: interrupted by SIGTERM; state saved to/);
    const state = JSON.parse(await readFile(statePath, "utf8")) as { bookmarks: Record<string, unknown> };
    assert.ok(state.bookmarks["companies"], JSON.stringify(state));
  });
});
