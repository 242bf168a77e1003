import assert from "node:assert/strict";
import { Logger } from "../../singer/src/index.js";
import { connectDatabase, openDatabase } from "../src/database.js";
import { Loader } from "../src/loader.js";
import { resolveSettings } from "../src/settings.js";
import { query, tempDatabase } from "./support.js";

describe("target-duckdb loader: the age timer and chunks loading in the background", () => {
  it("starts no age flush while a full chunk waits for the previous chunk's load, so no state covers rows not yet committed", async () => {
    // Large records (over 8 KiB) fill chunks before the batch fills: a chunk filling while the
    // previous one still loads makes the loader wait for it. That wait must count as busy, or the
    // run's age timer (flushIfOlderThan) commits the batch while the waiting chunk's insert is in flight.
    const db = tempDatabase();
    const instance = await openDatabase({ path: db.path, config: { threads: "1", memory_limit: "128MB", enable_external_file_cache: "false" }, secrets: [], schema: "tap_intercom" });
    const connection = await connectDatabase(instance, db.path, "tap_intercom");
    const states: unknown[] = [];
    const settings = resolveSettings({ path: db.path, memory_limit: "128MB", max_batch_age_seconds: 0.01 }, {});
    const loader = new Loader(connection, settings, new Logger("target-duckdb", "warn", () => undefined), async (value) => {
      states.push(value);
    });
    try {
      let lineNumber = 0;
      const feed = (message: unknown): Promise<void> | undefined => loader.handleLine({ lineNumber: ++lineNumber, bytes: Buffer.from(JSON.stringify(message)), lineStart: 0 });
      await feed({ type: "SCHEMA", stream: "a", key_properties: ["id"], schema: { type: "object", properties: { id: { type: "integer" }, body: { type: "string" }, n: { type: "integer" } } } });
      const body = "x".repeat(9000);
      let waits = 0;
      for (let n = 0; n < 6000; n++) {
        const pending = feed({ type: "RECORD", stream: "a", record: { id: n % 300, body, n } });
        if (pending) {
          waits += 1;
          assert.equal(loader.flushIfOlderThan(0), undefined, `line ${lineNumber}: an age flush started while a chunk waited for the previous load`);
          await pending;
        }
        if (n % 500 === 499) await feed({ type: "STATE", value: { through: n } });
      }
      assert.ok(waits > 0, "no chunk filled while the previous one loaded: the test did not reach the case it is about");
      await loader.finish();
      const rows = await query(db.path, "SELECT count(*)::VARCHAR, count(DISTINCT id)::VARCHAR, min(n)::VARCHAR FROM tap_intercom.a");
      assert.deepEqual(rows, [["300", "300", "5700"]], "each key once, with its last record");
      assert.deepEqual(states.at(-1), { through: 5999 });
    } finally {
      loader.close();
      connection.closeSync();
      instance.closeSync();
      db.cleanup();
    }
  });
});
