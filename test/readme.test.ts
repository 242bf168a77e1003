import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { aboutJson, ROOT } from "../scripts/lib/about-output.js";
import { generatedReadme } from "../scripts/readme-settings.js";

describe("README", () => {
  it("its configuration reference is what `--about` prints today (`make readme`)", async () => {
    const { current, next } = await generatedReadme();
    assert.equal(current, next, "README.md is stale: run `make readme`");
    for (const name of ["tap-intercom", "target-duckdb"] as const) {
      for (const setting of Object.keys((await aboutJson(name)).settings.properties)) {
        assert.ok(current.includes(`| ${setting} |`), `README documents ${name} setting ${setting}`);
      }
    }
  });

  it("names make targets that exist", async () => {
    const readme = await readFile(resolve(ROOT, "README.md"), "utf8");
    const makefile = await readFile(resolve(ROOT, "Makefile"), "utf8");
    const targets = new Set([...makefile.matchAll(/^([a-z][\w-]*):/gm)].map((match) => match[1]));
    const named = new Set([...readme.matchAll(/`make ([a-z][\w-]*)/g)].map((match) => match[1]));
    for (const target of ["demo", "test", "sync", "bench"]) assert.ok(named.has(target), `README names make ${target}`);
    for (const target of named) assert.ok(targets.has(target), `make ${target} is a Makefile target`);
  });

  it("its layout names paths that exist, and every module of the folders it describes", async () => {
    const readme = await readFile(resolve(ROOT, "README.md"), "utf8");
    const section = /^## Layout\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";
    const paths = new Set([...section.matchAll(/`([^`\s]*\/[^`\s]*)`/g)].map((match) => match[1] as string));
    for (const path of paths) assert.ok(existsSync(resolve(ROOT, path)), `README layout names ${path}, which does not exist`);
    // The modules are named in the table's first column.
    const modules = new Set(section.split("\n").flatMap((line) => [...(/^\| ([^|]+) \|/.exec(line)?.[1] ?? "").matchAll(/`([^`]+)`/g)].map((match) => match[1] as string)));
    const unnamed: string[] = [];
    for (const folder of ["singer/src", "tap-intercom/src", "target-duckdb/src", "fixtures/src", "bench", "scripts"]) {
      for (const file of await readdir(resolve(ROOT, folder), { recursive: true })) {
        const path = `${folder}/${file.split(sep).join("/")}`;
        if (path.endsWith(".ts") && !modules.has(path)) unnamed.push(path);
      }
    }
    assert.deepEqual(unnamed.sort(), [], "modules the README layout does not name");
  });
});
