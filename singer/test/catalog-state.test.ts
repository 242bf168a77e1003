import assert from "node:assert/strict";
import {
  ConfigError,
  getBookmark,
  getMetadata,
  isFieldSelected,
  isStreamSelected,
  keyPropertiesOf,
  parseCatalog,
  parseState,
  replicationKeyOf,
  replicationMethodOf,
  resumeOrder,
  selectedFields,
  setBookmark,
  setCurrentlySyncing,
  standardMetadata,
  writeMetadata,
  type CatalogStream,
  type SingerState,
} from "../src/index.js";

const schema = {
  type: "object",
  properties: { id: { type: "string" }, updated_at: { type: "integer" }, name: { type: "string" }, secret: { type: "string" } },
};

function contactsStream(): CatalogStream {
  return {
    tap_stream_id: "contacts",
    stream: "contacts",
    schema,
    metadata: standardMetadata(schema, {
      keyProperties: ["id"],
      validReplicationKeys: ["updated_at"],
      forcedReplicationMethod: "INCREMENTAL",
      selectedByDefault: true,
      unsupported: ["secret"],
    }),
  };
}

describe("catalog metadata", () => {
  it("writes complete standard metadata: keys and replication key automatic, others available", () => {
    const stream = contactsStream();
    assert.deepEqual(getMetadata(stream, []), {
      inclusion: "available",
      "table-key-properties": ["id"],
      "valid-replication-keys": ["updated_at"],
      "forced-replication-method": "INCREMENTAL",
      "replication-method": "INCREMENTAL",
      "replication-key": "updated_at",
      "selected-by-default": true,
    });
    assert.equal(getMetadata(stream, ["properties", "id"]).inclusion, "automatic");
    assert.equal(getMetadata(stream, ["properties", "updated_at"]).inclusion, "automatic");
    assert.equal(getMetadata(stream, ["properties", "name"]).inclusion, "available");
    assert.equal(getMetadata(stream, ["properties", "secret"]).inclusion, "unsupported");
    assert.deepEqual(keyPropertiesOf(stream), ["id"]);
    assert.equal(replicationMethodOf(stream), "INCREMENTAL");
    assert.equal(replicationKeyOf(stream), "updated_at");
  });

  it("resolves selection as Meltano applies it: automatic beats selected:false, unsupported beats selected:true", () => {
    const stream = contactsStream();
    stream.metadata = writeMetadata(stream.metadata, [], { selected: true });
    stream.metadata = writeMetadata(stream.metadata, ["properties", "id"], { selected: false });
    stream.metadata = writeMetadata(stream.metadata, ["properties", "name"], { selected: false });
    stream.metadata = writeMetadata(stream.metadata, ["properties", "secret"], { selected: true });
    assert.equal(isStreamSelected(stream), true);
    assert.deepEqual(selectedFields(stream), ["id", "updated_at"]);
    assert.equal(isFieldSelected(stream, "secret"), false);
  });

  it("a deselected stream selects no fields; selected-by-default applies when nothing is said", () => {
    const stream = contactsStream();
    assert.equal(isStreamSelected(stream), true, "selected-by-default true");
    stream.metadata = writeMetadata(stream.metadata, [], { selected: false });
    assert.equal(isStreamSelected(stream), false);
    assert.equal(isFieldSelected(stream, "id"), false);
  });

  it("honours the legacy schema-level selected flag of --properties catalogs", () => {
    const legacy = parseCatalog({ streams: [{ tap_stream_id: "tags", schema: { ...schema, selected: false } }] });
    assert.equal(isStreamSelected(legacy.streams[0]!), false);
    const chosen = parseCatalog({ streams: [{ tap_stream_id: "tags", schema: { ...schema, selected: true } }] });
    assert.equal(isStreamSelected(chosen.streams[0]!), true);
  });

  it("rejects a catalog without streams, naming the source", () => {
    assert.throws(() => parseCatalog({ nope: [] }, "catalog.json"), /catalog.json: a catalog must be an object with a "streams" array/);
    assert.throws(() => parseCatalog({ nope: [] }, "catalog.json"), ConfigError, "a file problem, reported as one");
    assert.throws(() => parseCatalog({ streams: [{ tap_stream_id: "x" }] }, "c.json"), /c.json: stream "x" has no "schema" object/);
  });
});

describe("state helpers", () => {
  it("sets bookmarks without changing the original state", () => {
    const before = parseState({ bookmarks: { contacts: { updated_at: 1 } } });
    const after = setBookmark(before, "contacts", "updated_at", 2);
    assert.equal(getBookmark(before, "contacts", "updated_at"), 1);
    assert.equal(getBookmark(after, "contacts", "updated_at"), 2);
    assert.equal(getBookmark(after, "tags", "updated_at"), undefined);
  });

  it("unwraps a STATE message envelope and accepts an empty state file", () => {
    assert.deepEqual(parseState({ type: "STATE", value: { bookmarks: { a: { k: 1 } } } }), { bookmarks: { a: { k: 1 } } });
    assert.deepEqual(parseState(null), { bookmarks: {} });
    assert.throws(() => parseState([1], "s.json"), /s.json: state must be a JSON object/);
    assert.throws(() => parseState({ bookmarks: [] }, "s.json"), ConfigError);
  });

  it("resumes the interrupted stream first, the others in their order", () => {
    const state = setCurrentlySyncing(parseState({}), "conversations");
    assert.deepEqual(
      resumeOrder(["admins", "contacts", "conversations", "tags"], (s) => s, state),
      ["conversations", "admins", "contacts", "tags"],
    );
    assert.deepEqual(resumeOrder(["a", "b"], (s) => s, setCurrentlySyncing(state, null)), ["a", "b"]);
    assert.deepEqual(resumeOrder(["a", "b"], (s) => s, state), ["a", "b"], "an interrupted stream no longer selected changes nothing");
    assert.deepEqual(resumeOrder(["a", "b"], (s) => s, { bookmarks: {}, currently_syncing: 7 } as unknown as SingerState), ["a", "b"]);
  });
});
