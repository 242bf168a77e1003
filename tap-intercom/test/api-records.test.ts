/** The tap reads API records' fields through the types generated from the stream schemas, and checks each value it uses. */
import assert from "node:assert/strict";
import type { ConversationsRecord } from "../../schemas/types/index.js";
import { unchecked } from "../src/streams/api-records.js";
import type { ChildDeclaration } from "../src/streams/declaration.js";
import { declarations } from "../src/streams/declarations.js";

const parts = declarations.find((d): d is ChildDeclaration => d.name === "conversation_parts" && d.kind === "child");

describe("tap-intercom: typed reads of API records", () => {
  it("reads only the fields a schema names (a renamed field fails to compile)", () => {
    const conversation = unchecked<ConversationsRecord>({ id: "7", statistics: { count_conversation_parts: 3 } });
    assert.equal(conversation.statistics?.count_conversation_parts, 3);
    // @ts-expect-error conversations.json names no `count_parts`: the build fails if this line compiles.
    assert.equal(conversation.statistics?.count_parts, undefined);
  });

  it("conversation parts carry their conversation's id, updated_at and part count, read from the conversation", () => {
    assert.ok(parts?.enrich);
    const conversation = { id: "7", updated_at: 1_700_000_000, statistics: { count_conversation_parts: 612 } };
    assert.deepEqual(parts.enrich({ id: "p1" }, conversation), {
      id: "p1",
      conversation_id: "7",
      conversation_updated_at: 1_700_000_000,
      conversation_total_parts: 612,
    });
    assert.equal(parts.enrich({ id: "p1" }, { id: "7", statistics: null }).conversation_total_parts, null);
  });

  it("warns of truncated parts only when the conversation's part count is a number above those returned", () => {
    assert.ok(parts?.inspect);
    const warned = parts.inspect({ statistics: { count_conversation_parts: 612 } }, { id: "7" }, 500);
    assert.equal(warned?.metric, "conversation_parts_truncated");
    assert.deepEqual(warned?.tags, { conversation_id: "7", expected: 612, returned: 500 });
    assert.equal(parts.inspect({ statistics: { count_conversation_parts: "612" } }, { id: "7" }, 500), undefined, "a count sent as text is not trusted");
    assert.equal(parts.inspect({ statistics: "612" }, { id: "7" }, 500), undefined, "statistics that are not an object hold no count");
    assert.equal(parts.inspect({}, { id: "7" }, 500), undefined);
  });
});
