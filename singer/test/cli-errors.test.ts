import assert from "node:assert/strict";
import { runCommand, TARGET_BIN } from "../../test/helpers.js";

describe("malformed input on the command line", () => {
  it("target-duckdb exits non-zero and names the line of malformed JSON", async () => {
    const input = '{"type":"STATE","value":{}}\n\n{"type":"RECORD", oops}\n';
    const result = await runCommand(TARGET_BIN, ["--config", "/dev/null"], { input, env: { TARGET_DUCKDB_PATH: ":memory:" } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /line 3: malformed JSON/);
    assert.equal(result.stdout.includes("RECORD"), false);
  });
});
