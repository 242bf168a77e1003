/** `make demo` shows commands a person can paste: each printed query command, run as printed, prints what the demo showed. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "./helpers.js";

describe("the demo", function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "demo-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  it("prints the query commands it really ran; pasted into a shell they print the same tables", async () => {
    const demo = await runCommand("node", ["dist/scripts/demo.js", "--scale", "tiny", "--dir", dir]);
    assert.equal(demo.code, 0, demo.stderr);
    assert.doesNotMatch(demo.stdout, /^\$ duckdb /m, "no command a fresh machine lacks");
    const lines = demo.stdout.split("\n");
    const commands = lines.map((line, i) => ({ line, i })).filter(({ line }) => line.startsWith("$ ") && line.includes("intercom-query"));
    assert.ok(commands.length >= 2, demo.stdout);
    for (const { line, i } of commands) {
      const shown: string[] = [];
      for (let j = i + 1; j < lines.length && lines[j] !== ""; j += 1) shown.push((lines[j] ?? "").slice(2));
      const pasted = await runCommand("bash", ["-c", line.slice(2)]);
      assert.equal(pasted.code, 0, `${line}\n${pasted.stderr}`);
      assert.deepEqual(pasted.stdout.trimEnd().split("\n"), shown, line);
    }
    assert.match(demo.stdout, /Query it yourself: make query DB=/);
  });
});
