/**
 * The npm package as a user gets it: `npm pack` (which builds first, through `prepack`), the
 * tarball installed into a fresh prefix with the lockfile's production dependencies (from the
 * npm cache when it has them), and both bins run from there: --about, a sync from the fixture
 * server, a load into a DuckDB file.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, copyFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startFixtureServer, type FixtureServer } from "../fixtures/src/index.js";
import { tableCounts } from "../scripts/lib/fixture-run.js";
import { runPipeline } from "../scripts/lib/pipeline.js";
import { REPO_ROOT, runCommand } from "./helpers.js";

const exec = promisify(execFile);

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await exec("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, maxBuffer: 64 << 20 });
  return stdout;
}

describe("the npm package", function () {
  this.timeout(300_000);
  let dir: string;
  let files: string[];
  let installed: string;
  let bin: string;
  let server: FixtureServer | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "npm-package-"));
    const packed = JSON.parse(await npm(["pack", "--json", "--pack-destination", dir], REPO_ROOT)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = join(dir, packed[0]?.filename ?? "");
    files = (packed[0]?.files ?? []).map((f) => f.path);
    // What `npm install -g` does, with the lockfile's dependency versions: unpack, install the
    // production dependencies, link the bins declared in package.json into <prefix>/bin.
    const prefix = join(dir, "prefix");
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { name: string; bin: Record<string, string> };
    installed = join(prefix, "lib/node_modules", manifest.name);
    bin = join(prefix, "bin");
    await mkdir(installed, { recursive: true });
    await mkdir(bin, { recursive: true });
    await exec("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
    await copyFile(join(REPO_ROOT, "package-lock.json"), join(installed, "package-lock.json"));
    await npm(["ci", "--omit=dev", "--prefer-offline"], installed);
    for (const [name, target] of Object.entries(manifest.bin)) await symlink(join(installed, target), join(bin, name));
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("ships the compiled runtime, the schemas, both bins, README and LICENSE, and no tests, benches, fixtures, sources or CI files", () => {
    for (const needed of ["dist/tap-intercom/src/cli.js", "dist/target-duckdb/src/cli.js", "dist/singer/src/index.js", "dist/package.json", "schemas/contacts.json", "dist/schemas/shared/defs.json", "tap-intercom/bin/tap-intercom", "target-duckdb/bin/target-duckdb", "target-duckdb/bin/intercom-query", "README.md", "LICENSE", "package.json"]) {
      assert.ok(files.includes(needed), `the package holds ${needed}`);
    }
    const unwanted = files.filter((f) => /(^|\/)(test|bench|fixtures|scripts|\.ci)\//.test(f) || /\.ts$|\.map$|\.test\.js$/.test(f));
    assert.deepEqual(unwanted, []);
  });

  it("its bins are Node entry points with a #!/usr/bin/env node shebang", async () => {
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as { name: string; bin: Record<string, string> };
    assert.equal(manifest.name, "tap-intercom", "`npx tap-intercom` runs the package named tap-intercom");
    assert.deepEqual(Object.keys(manifest.bin).sort(), ["intercom-query", "tap-intercom", "target-duckdb"]);
    for (const [name, path] of Object.entries(manifest.bin)) {
      const text = await readFile(join(installed, path), "utf8");
      assert.ok(text.startsWith("#!/usr/bin/env node\n"), `${name} starts with the node shebang`);
    }
  });

  it("installed, both bins answer --about, and the tap syncs the fixture into a DuckDB file through the target", async () => {
    for (const name of ["tap-intercom", "target-duckdb"]) {
      const about = await runCommand(join(bin, name), ["--about", "--format", "json"], { cwd: dir });
      assert.equal(about.code, 0, about.stderr);
      assert.equal((JSON.parse(about.stdout) as { name: string }).name, name);
    }
    server = await startFixtureServer({ seed: 11, scale: "tiny", log: () => undefined });
    const tapConfig = join(dir, "tap.json");
    const targetConfig = join(dir, "target.json");
    const database = join(dir, "out", "intercom.duckdb");
    await writeFile(tapConfig, JSON.stringify({ access_token: server.token, base_url: server.url }));
    await writeFile(targetConfig, JSON.stringify({ path: database }));
    const result = await runPipeline({
      tap: { command: join(bin, "tap-intercom"), args: ["--config", tapConfig] },
      target: { command: join(bin, "target-duckdb"), args: ["--config", targetConfig] },
      cwd: dir,
      timeoutMs: 120_000,
      onLog: () => undefined,
    });
    assert.ok(result.ok, JSON.stringify(result));
    const counts = await tableCounts(database);
    const truth = server.truth().streams;
    for (const stream of ["admins", "contacts", "conversations"]) assert.equal(counts.get(stream), truth[stream]?.count, `${stream} loaded`);
    const query = await runCommand(join(bin, "intercom-query"), ["--db", database, "SELECT count(*) AS admins FROM tap_intercom.admins"], { cwd: dir });
    assert.equal(query.code, 0, query.stderr);
    assert.match(query.stdout, new RegExp(`admins\\s+${truth["admins"]?.count ?? "?"}`));
  });
});
