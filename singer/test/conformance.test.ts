import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { createRequire } from "node:module";
import { readLines, recordMessage, schemaMessage, SingerWriter, stateMessage } from "../src/index.js";

// singer-node (AGPL, a devDependency only) is an independent Singer implementation: it must parse what we write.
const require = createRequire(import.meta.url);
const singerNode = require("singer-node") as {
  parse_message(line: string): { asObject(): Record<string, unknown> };
};

describe("conformance with an independent Singer parser (singer-node)", () => {
  it("parses every SCHEMA, RECORD and STATE line our writer emits", async () => {
    const pipe = new PassThrough();
    const writer = new SingerWriter(pipe);
    const lines: string[] = [];
    const reading = (async () => {
      for await (const { text } of readLines(pipe)) lines.push(text);
    })();
    const schema = { type: "object", properties: { id: { type: "string" }, updated_at: { type: "string", format: "date-time" } } };
    await writer.write(schemaMessage("conversations", schema, ["id"], ["updated_at"]));
    await writer.write(recordMessage("conversations", { id: "42", updated_at: "2024-01-01T00:00:00.000Z" }, { timeExtracted: new Date(0) }));
    await writer.write(stateMessage({ bookmarks: { conversations: { updated_at: "2024-01-01T00:00:00.000Z" } } }));
    await writer.end();
    await reading;

    assert.equal(lines.length, 3);
    const parsed = lines.map((line) => singerNode.parse_message(line).asObject());
    assert.equal(parsed[0]?.["type"], "SCHEMA");
    assert.equal(parsed[0]?.["stream"], "conversations");
    assert.deepEqual(parsed[0]?.["key_properties"], ["id"]);
    assert.deepEqual(parsed[0]?.["schema"], schema);
    assert.equal(parsed[1]?.["type"], "RECORD");
    assert.deepEqual(parsed[1]?.["record"], { id: "42", updated_at: "2024-01-01T00:00:00.000Z" });
    assert.equal(parsed[2]?.["type"], "STATE");
    assert.deepEqual(parsed[2]?.["value"], { bookmarks: { conversations: { updated_at: "2024-01-01T00:00:00.000Z" } } });
  });
});
