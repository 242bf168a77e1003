import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./helpers.js";

const exec = promisify(execFile);
const CHECKER = join(REPO_ROOT, "dist/scripts/check-npm-scripts.js");

async function check(packageJson: string): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await exec(process.execPath, [CHECKER, packageJson]);
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

describe("npm scripts and bins (checked by make lint)", function () {
  it("every `node <file>` script and every bin of package.json names a file that exists", async function () {
    assert.deepEqual(await check(join(REPO_ROOT, "package.json")), { code: 0, stderr: "" });
  });

  it("a script or bin naming a missing file fails the check, naming the script and the path", async function () {
    const dir = await mkdtemp(join(tmpdir(), "npm-scripts-"));
    await writeFile(join(dir, "package.json"), JSON.stringify({
      scripts: { build: "tsc -p tsconfig.json", types: "node --enable-source-maps scripts/generate-types.mjs" },
      bin: { tool: "bin/tool" },
    }));
    const { code, stderr } = await check(join(dir, "package.json"));
    assert.equal(code, 1);
    assert.match(stderr, /scripts\.types: scripts\/generate-types\.mjs does not exist/);
    assert.match(stderr, /bin\.tool: bin\/tool does not exist/);
    assert.doesNotMatch(stderr, /scripts\.build/);
  });
});
