/**
 * A config, state or catalog file that is not JSON is reported by file, line and column and the
 * form it must have, never by its text (which may hold the token): the tap, the target and
 * `make sync`'s log alike.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSync } from "../scripts/lib/sync-run.js";
import { runCommand, TAP_BIN, TARGET_BIN, tokenFragments } from "./helpers.js";

const TOKEN = "dG9rOmF1ZGl0LXNlY3JldC10b2tlbi0xMjM0NTY3ODkw";

describe("JSON files that are not JSON", function () {
  this.timeout(120_000);
  let dir: string;
  let good: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "config-parse-"));
    good = join(dir, "good.json");
    // Port 9 (discard) is never asked: the files are checked before the first request.
    await writeFile(good, JSON.stringify({ access_token: "fixture-token", base_url: "http://127.0.0.1:9" }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it("tap config: a token pasted without quotes is located, not quoted", async () => {
    const path = await file("tap.json", `{\n  "base_url": "http://127.0.0.1:9",\n  "access_token": ${TOKEN}\n}\n`);
    const run = await runCommand(TAP_BIN, ["--config", path, "--test"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`config file ${path} is not valid JSON: unexpected character at line 3, column 19\\. It must hold a JSON object of settings, such as \\{"access_token": "…"`),
    );
    assert.deepEqual(tokenFragments(run.stderr + run.stdout, TOKEN), [], run.stderr);
  });

  it("tap config: a token in quotes with a missing comma after it", async () => {
    const path = await file("tap-comma.json", `{"access_token": "${TOKEN}" "start_date": "2024-01-01"}`);
    const run = await runCommand(TAP_BIN, ["--config", path, "--discover"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`config file ${path} is not valid JSON: expected ',' or '}' after property value at line 1, column ${TOKEN.length + 21}\\.`));
    assert.deepEqual(tokenFragments(run.stderr + run.stdout, TOKEN), [], run.stderr);
  });

  it("tap state and catalog files", async () => {
    const state = await file("state.json", `{"bookmarks": {"contacts": {"updated_at": ${TOKEN}}}}`);
    const stateRun = await runCommand(TAP_BIN, ["--config", good, "--state", state]);
    assert.equal(stateRun.code, 1);
    assert.match(stateRun.stderr, new RegExp(`state file ${state} is not valid JSON: unexpected character at line 1, column 43\\. It must hold a JSON object such as \\{"bookmarks": \\{…\\}\\}`));
    assert.deepEqual(tokenFragments(stateRun.stderr + stateRun.stdout, TOKEN), []);

    const catalog = await file("catalog.json", `{"streams": [\n{"tap_stream_id": "admins",\n"schema": {}, ${TOKEN}}]}`);
    const catalogRun = await runCommand(TAP_BIN, ["--config", good, "--catalog", catalog]);
    assert.equal(catalogRun.code, 1);
    assert.match(catalogRun.stderr, new RegExp(`catalog file ${catalog} is not valid JSON: expected double-quoted property name at line 3, column 15\\. It must hold a JSON object with a "streams" array, as --discover prints it`));
    assert.deepEqual(tokenFragments(catalogRun.stderr + catalogRun.stdout, TOKEN), []);
  });

  it("target config", async () => {
    const path = await file("target.json", `{"path": "${join(dir, "t.duckdb")}",\n"motherduck_token": ${TOKEN}}`);
    const run = await runCommand(TARGET_BIN, ["--config", path], { input: "" });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, new RegExp(`config file ${path} is not valid JSON: unexpected character at line 2, column 21\\.`));
    assert.deepEqual(tokenFragments(run.stderr + run.stdout, TOKEN), [], run.stderr);
  });

  it("make sync: neither the terminal nor the run's log file shows the text", async () => {
    const path = await file("sync-tap.json", `{"access_token": ${TOKEN}}`);
    const echoed: string[] = [];
    const outcome = await runSync({
      tap: { command: TAP_BIN },
      target: { command: TARGET_BIN },
      tapConfigs: [path],
      targetConfigs: [await file("sync-target.json", JSON.stringify({ path: join(dir, "sync.duckdb") }))],
      statePath: join(dir, "sync-state.json"),
      logDir: join(dir, "logs"),
      echo: (line) => echoed.push(line),
    });
    assert.equal(outcome.ok, false);
    const log = await readFile(join(dir, "logs", (await readdir(join(dir, "logs")))[0]!), "utf8");
    assert.match(log, /\[tap\] ERROR tap-intercom: config file .* is not valid JSON: unexpected character at line 1, column 18\./);
    assert.deepEqual(tokenFragments(log, TOKEN), [], log);
    assert.deepEqual(tokenFragments(echoed.join("\n"), TOKEN), []);
  });
});
