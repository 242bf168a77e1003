import assert from "node:assert/strict";
import { PassThrough, Readable, Writable } from "node:stream";
import {
  activateVersionMessage,
  readLines,
  readMessages,
  recordMessage,
  schemaMessage,
  SingerWriter,
  stateMessage,
  type ReadItem,
  type SingerMessage,
} from "../src/index.js";

async function collect(input: Readable): Promise<ReadItem[]> {
  const items: ReadItem[] = [];
  for await (const item of readMessages(input)) items.push(item);
  return items;
}

async function roundTrip(messages: SingerMessage[]): Promise<SingerMessage[]> {
  const pipe = new PassThrough();
  const writer = new SingerWriter(pipe);
  const reading = collect(pipe);
  for (const m of messages) await writer.write(m);
  await writer.end();
  return (await reading).map((item) => {
    assert.equal(item.kind, "message");
    return (item as Extract<ReadItem, { kind: "message" }>).message;
  });
}

describe("Singer protocol messages", () => {
  it("round-trips SCHEMA, RECORD, STATE and ACTIVATE_VERSION through the writer and the reader", async () => {
    const messages: SingerMessage[] = [
      schemaMessage("contacts", { type: "object", properties: { id: { type: "string" } } }, ["id"], ["updated_at"]),
      activateVersionMessage("contacts", 1700000000000),
      recordMessage("contacts", { id: "1", name: "Zoë \u2603 \"quoted\"\nnewline" }, {
        timeExtracted: new Date("2024-05-06T07:08:09.123Z"),
        version: 1700000000000,
      }),
      stateMessage({ bookmarks: { contacts: { updated_at: "2024-05-06T07:08:09Z" } } }),
    ];
    assert.deepEqual(await roundTrip(messages), messages);
  });

  it("writes time_extracted as an RFC 3339 UTC string", () => {
    const message = recordMessage("s", { a: 1 }, { timeExtracted: new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)) });
    assert.equal(message.time_extracted, "2020-01-02T03:04:05.006Z");
  });

  it("omits bookmark_properties when there are none, and always writes key_properties", () => {
    const message = schemaMessage("tags", { type: "object", properties: {} }, []);
    assert.deepEqual(Object.keys(message).sort(), ["key_properties", "schema", "stream", "type"]);
  });
});

describe("Singer writer backpressure", () => {
  it("waits for drain instead of buffering without bound, and never splits a line", async () => {
    const chunks: string[] = [];
    let maxBuffered = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, callback) {
        chunks.push(chunk.toString("utf8"));
        setImmediate(callback);
      },
    });
    const writer = new SingerWriter(slow);
    const line = JSON.stringify(recordMessage("s", { payload: "x".repeat(300) })).length + 1;
    for (let i = 0; i < 500; i += 1) {
      await writer.write(recordMessage("s", { payload: "x".repeat(300), i }));
      maxBuffered = Math.max(maxBuffered, slow.writableLength);
    }
    await writer.end();
    assert.ok(maxBuffered <= 1024 + 2 * line, `buffered ${maxBuffered} bytes with a 1024-byte high-water mark`);
    assert.equal(chunks.length, 500, "each message is exactly one write");
    chunks.forEach((chunk, i) => {
      assert.ok(chunk.endsWith("\n"));
      assert.equal((JSON.parse(chunk) as { record: { i: number } }).record.i, i);
    });
  });
});

describe("Singer message reader", () => {
  it("reads a single 20 MB line", async () => {
    const big = "é".repeat(10 * 1024 * 1024);
    const text = JSON.stringify(recordMessage("notes", { id: "1", body: big })) + "\n";
    const items = await collect(Readable.from([Buffer.from(text)]));
    assert.equal(items.length, 1);
    const item = items[0] as Extract<ReadItem, { kind: "message" }>;
    assert.equal((item.message as unknown as { record: { body: string } }).record.body.length, big.length);
  });

  it("handles CRLF line endings, blank lines and a last line without a newline", async () => {
    const text =
      '{"type":"STATE","value":{"a":1}}\r\n\r\n{"type":"RECORD","stream":"s","record":{"x":"a\\r\\nb"}}\r\n{"type":"STATE","value":{"a":2}}';
    const items = await collect(Readable.from([text]));
    assert.deepEqual(
      items.map((i) => [i.lineNumber, i.kind === "message" ? i.message.type : i.type]),
      [
        [1, "STATE"],
        [3, "RECORD"],
        [4, "STATE"],
      ],
    );
    const record = items[1] as Extract<ReadItem, { kind: "message" }>;
    assert.deepEqual((record.message as { record: unknown }).record, { x: "a\r\nb" });
  });

  it("splits lines that arrive across chunk boundaries", async () => {
    const text = '{"type":"STATE","value":{"n":1}}\n{"type":"STATE","value":{"n":2}}\n';
    const chunks = text.match(/.{1,7}/gs) ?? [];
    const items = await collect(Readable.from(chunks.map((c) => Buffer.from(c))));
    assert.deepEqual(
      items.map((i) => (i.kind === "message" ? i.message : null)),
      [stateMessage({ n: 1 }), stateMessage({ n: 2 })],
    );
  });

  it("refuses bytes that are not UTF-8 with the line and byte offsets, never replacing them", async () => {
    const good = Buffer.from('{"type":"STATE","value":{"a":1}}\n');
    const before = Buffer.from('{"type":"STATE","value":{"a":"x');
    const bad = Buffer.concat([before, Buffer.from([0xff]), Buffer.from('"}}\n')]);
    await assert.rejects(
      collect(Readable.from([good, bad])),
      new RegExp(`^SingerInputError: stdin, line 2: invalid UTF-8 at byte offset ${before.length} of the line \\(byte 0xff; input byte offset ${good.length + before.length}\\)`),
    );
  });

  it("keeps a U+FFFD that was sent as such and a character split across chunks", async () => {
    const bytes = Buffer.from('{"type":"STATE","value":{"a":"\uFFFD é"}}\n');
    const at = bytes.indexOf(Buffer.from("é")) + 1;
    const items = await collect(Readable.from([bytes.subarray(0, at), bytes.subarray(at)]));
    assert.deepEqual(items.map((i) => (i.kind === "message" ? i.message : null)), [stateMessage({ a: "\uFFFD é" })]);
  });

  it("stops at a line boundary once told to, never yielding the partial line in hand", async () => {
    const input = new PassThrough();
    const texts: string[] = [];
    let stop = false;
    const reading = (async () => {
      for await (const { text } of readLines(input, () => stop)) {
        texts.push(text);
        stop = true;
        input.write('{"type":"STATE"');
        input.destroy();
      }
    })();
    input.write('{"type":"STATE","value":1}\n');
    await reading;
    assert.deepEqual(texts, ['{"type":"STATE","value":1}']);
  });

  it("reports malformed JSON with its line number", async () => {
    const text = '{"type":"STATE","value":{}}\n{"type":"RECORD","stream":"s","record":{\n';
    await assert.rejects(collect(Readable.from([text])), /line 2: malformed JSON/);
  });

  it("names the line, stream and field of a malformed known message", async () => {
    await assert.rejects(
      collect(Readable.from(['{"type":"SCHEMA","stream":"users","schema":{"type":"object"},"key_properties":"id"}\n'])),
      /line 1, stream "users", field "key_properties"/,
    );
    await assert.rejects(
      collect(Readable.from(['\n{"type":"RECORD","stream":"users","record":[1]}\n'])),
      /line 2, stream "users", field "record"/,
    );
    await assert.rejects(collect(Readable.from(["[1,2]\n"])), /line 1: a Singer message must be a JSON object/);
  });

  it("hands unknown message types to the caller with their line number", async () => {
    const text = '{"type":"BATCH","stream":"s","manifest":[]}\n{"type":"state","value":{}}\n';
    const items = await collect(Readable.from([text]));
    assert.deepEqual(items[0], {
      kind: "unknown",
      lineNumber: 1,
      type: "BATCH",
      raw: { type: "BATCH", stream: "s", manifest: [] },
    });
    assert.equal(items[1]?.kind === "message" && items[1].message.type, "STATE", "types are case-insensitive");
  });
});
