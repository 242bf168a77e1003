import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { generateTypes, SCHEMA_DIR } from "../../scripts/generate-types.js";

describe("schemas/ and their generated TypeScript types", () => {
  it("has a committed, up-to-date type file for every schema (run `make types` when this fails)", async () => {
    const generated = await generateTypes();
    const schemas = (await readdir(SCHEMA_DIR)).filter((f) => f.endsWith(".json"));
    assert.ok(schemas.length > 0, "schemas/ holds at least one JSON Schema");
    assert.equal(generated.size, schemas.length + 2, "one type file per schema plus the shared shapes and the index");
    for (const [path, content] of generated) {
      const committed = await readFile(path, "utf8").catch(() => "<missing>");
      assert.equal(committed, content, `${path} is stale`);
    }
  });
});
