/**
 * A tap that dies in the middle of a run (here: its token is revoked) makes the run fail for a
 * scheduler, under `make sync` and under the README's own pipeline, while the target still commits
 * what it received and the saved state claims no more than what was committed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { selectedStreams, type Catalog } from "../singer/src/index.js";
import { assertExactlyTruth, discover, startWorld, syncedStreams, type E2eWorld } from "./e2e-support.js";
import { REPO_ROOT, runCommand } from "./helpers.js";

/** API requests answered before the token is revoked: discovery and the first streams, not the whole run. */
const REVOKE_AFTER = 21;

/**
 * The saved state is a state the tap wrote mid-run: it names a stream the run was in
 * (`currently_syncing`). Streams run concurrently, so which were finished by then depends on
 * timing; the resume in each test is what shows the state claimed nothing beyond the committed
 * rows (an incremental stream whose bookmark ran ahead would miss rows after it).
 */
function assertMidRunState(catalog: Catalog, state: { currently_syncing?: unknown }): void {
  const selected = selectedStreams(catalog).map((s) => s.tap_stream_id);
  assert.ok(typeof state.currently_syncing === "string" && selected.includes(state.currently_syncing), `the run stopped inside a selected stream: ${JSON.stringify(state)}`);
}

describe("a tap that fails mid-run", function () {
  this.timeout(180_000);
  let world: E2eWorld;
  let catalog: Catalog;
  let tapConfig: string;
  beforeEach(async () => {
    world = await startWorld();
    tapConfig = join(world.dir, "tap.json");
    await writeFile(tapConfig, JSON.stringify({ access_token: world.server.token, base_url: world.server.url }));
    catalog = await discover(["--config", tapConfig]);
    world.server.setFaults({ revokeTokenAfterRequests: REVOKE_AFTER });
  });
  afterEach(async () => {
    await world.close();
  });

  it("make sync exits non-zero, the state it saved covers only committed rows, and a re-run completes exactly once", async () => {
    const makeSync = async (): Promise<{ code: number | null; output: string }> => {
      // `-o build`: the build is done; make must not rebuild under the test.
      const make = spawn("make", ["-s", "-o", "build", "sync", `CONFIG=${tapConfig}`, `STATE=${world.state}`, `TARGET_CONFIG=${world.targetConfig}`], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      make.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      make.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      const code = await new Promise<number | null>((resolve) => make.once("close", resolve));
      return { code, output };
    };
    const failed = await makeSync();
    assert.notEqual(failed.code, 0, failed.output);
    assert.match(failed.output, /\[tap\] ERROR tap-intercom: Intercom rejected the access token \(HTTP 401\)/);
    assert.match(failed.output, /sync: failed \(tap exit code 1, target exit code 0\); .* holds the last state the target committed/);
    assertMidRunState(catalog, JSON.parse(await readFile(world.state, "utf8")) as { currently_syncing?: unknown });
    world.server.setFaults({});
    const resumed = await makeSync();
    assert.equal(resumed.code, 0, resumed.output);
    await assertExactlyTruth(world, catalog, syncedStreams(catalog));
  });

  it("the README's pipeline exits non-zero and keeps the last committed state", async () => {
    const readme = await readFile(join(REPO_ROOT, "README.md"), "utf8");
    const usage = /## Usage\n+```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(usage, "README has a Usage shell block");
    // The block as a user saves it, run from a directory holding tap.json and target.json.
    const script = join(world.dir, "sync.sh");
    await writeFile(script, usage);
    await writeFile(join(world.dir, "target.json"), JSON.stringify({ path: world.database }));
    await symlink(join(REPO_ROOT, "tap-intercom"), join(world.dir, "tap-intercom"));
    await symlink(join(REPO_ROOT, "target-duckdb"), join(world.dir, "target-duckdb"));
    const run = await runCommand("bash", [script], { cwd: world.dir });
    assert.notEqual(run.code, 0, run.stderr);
    assert.match(run.stderr, /ERROR tap-intercom: Intercom rejected the access token \(HTTP 401\)/);
    const lines = (await readFile(join(world.dir, "states.jsonl"), "utf8")).trim().split("\n");
    const saved = await readFile(join(world.dir, "state.json"), "utf8");
    assert.equal(saved.trim(), lines.at(-1), "state.json holds the target's last committed state");
    assertMidRunState(catalog, JSON.parse(saved) as { currently_syncing?: unknown });
    world.server.setFaults({});
    const resumed = await runCommand("bash", [script], { cwd: world.dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    await assertExactlyTruth(world, catalog, syncedStreams(catalog));
  });
});
