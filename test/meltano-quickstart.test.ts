/**
 * The README's Meltano steps, literally, in a fresh copy of the repository (its tracked files,
 * with this build's node_modules and dist linked in, as `make build` leaves them), through the
 * invocations Meltano 4 makes (test/meltano-emulation.ts). The one thing the test adds is where
 * Intercom is: TAP_INTERCOM_BASE_URL points at the offline fixture instead of api.intercom.io.
 * Nothing else is prepared: no output/ folder, no select, no app_id.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { startFixtureServer, type FixtureServer } from "../fixtures/src/index.js";
import { tableCounts } from "../scripts/lib/fixture-run.js";
import { meltanoDrift, aboutsOfBoth } from "../scripts/meltano-settings.js";
import { REPO_ROOT, runCommand } from "./helpers.js";
import { MeltanoEmulator } from "./meltano-emulation.js";

const exec = promisify(execFile);

/** The shell commands of the README's Meltano section, comments removed. */
export function readmeMeltanoCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf("\n## Meltano\n"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "");
}

/** A copy of the repository as `git clone` would give (tracked and new files), with the build linked in. */
async function freshCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "meltano-quickstart-"));
  const { stdout } = await exec("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, maxBuffer: 64 << 20 });
  for (const file of stdout.split("\0").filter((f) => f !== "")) {
    const from = join(REPO_ROOT, file);
    if (!(await stat(from).catch(() => undefined))?.isFile()) continue;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(from, join(dir, file));
  }
  await symlink(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  await symlink(join(REPO_ROOT, "dist"), join(dir, "dist"));
  return dir;
}

/** Splits a command line into words (single and double quotes, no expansions). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

describe("the README's Meltano quick start, in a fresh copy of the repository", function () {
  this.timeout(300_000);
  let server: FixtureServer;
  let root: string;
  before(async () => {
    server = await startFixtureServer({ seed: 13, scale: "tiny", exportJobSeconds: 0, log: () => undefined });
    root = await freshCopy();
  });
  after(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it("uses Meltano 4's command order, and every step works as written: output/ is created, reporting streams without app_id are skipped, state carries over", async () => {
    const commands = readmeMeltanoCommands(await readFile(join(REPO_ROOT, "README.md"), "utf8"));
    assert.ok(commands.some((c) => c.startsWith("meltano run ")), "the README runs the pipeline");
    const meltano = new MeltanoEmulator(root, { TAP_INTERCOM_BASE_URL: server.url });
    const transcript: string[] = [];
    for (const line of commands) {
      const command = line.replaceAll("dG9r…", server.token);
      if (command === "make build") continue; // done: this build is linked in
      const result = command.startsWith("meltano ")
        ? await meltano.run(words(command).slice(1))
        : await runCommand("bash", ["-c", command], { cwd: root });
      transcript.push(`$ ${line}\n${result.stdout}\n${result.stderr}`);
      assert.equal(result.code, 0, `\`${line}\` failed:\n${transcript.join("\n")}`);
      if (command.startsWith("meltano run ")) {
        // One warning, which the tap's end-of-run summary repeats as a "  - " item.
        const warnings = result.stderr.split("\n").filter((l) => /WARN tap-intercom: skipping stream "report_/.test(l));
        assert.equal(warnings.length, 1, `one warning for the skipped reporting streams:\n${result.stderr}`);
      }
    }
    const database = join(root, "output/intercom.duckdb");
    const counts = await tableCounts(database);
    const truth = server.truth().streams;
    for (const stream of ["admins", "companies", "contacts", "conversations", "conversation_parts"]) {
      assert.equal(counts.get(stream), truth[stream]?.count, `${stream} is loaded`);
    }
    assert.ok(![...counts.keys()].some((t) => t.startsWith("report_")), "no reporting table without app_id/client_id");

    // Meltano rewrote meltano.yml on `config set`: the value is there, nothing generated was harmed.
    const yml = await readFile(join(root, "meltano.yml"), "utf8");
    assert.match(yml, /start_date: .*2024-01-01/);
    assert.deepEqual(await meltanoDrift(root, await aboutsOfBoth()), []);

    // A second run starts from the state Meltano stored, which no unrunnable stream pins.
    const state = meltano.stateStore.get("dev:tap-intercom-to-target-duckdb") as { currently_syncing?: unknown } | undefined;
    assert.ok(state, "Meltano stored the loader's state");
    assert.equal(state.currently_syncing ?? null, null);
    const again = await meltano.run(["run", "tap-intercom", "target-duckdb"]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await tableCounts(database), counts, "upserted by key: nothing duplicated");
  });

  it("Meltano 4 refuses the 3.x order `meltano config tap-intercom set`", async () => {
    const meltano = new MeltanoEmulator(root, {});
    const result = await meltano.run(["config", "tap-intercom", "set", "start_date", "2024-01-01T00:00:00Z"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /No such command 'tap-intercom'/);
  });
});
