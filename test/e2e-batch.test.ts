import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { fixtureTapConfig, quoteIdent, withDuckDb } from "../scripts/lib/fixture-run.js";
import { assertExactlyTruth, discover, pipe, startWorld, syncedStreams, writeJson, type E2eWorld } from "./e2e-support.js";
import { runCommand, TAP_BIN } from "./helpers.js";

describe("end to end: tap-intercom with batch_config | target-duckdb", function () {
  this.timeout(300_000);
  let world: E2eWorld;
  afterEach(async () => {
    await world?.close();
  });

  it("loads the fixture through BATCH files into tables identical to a RECORD-mode run", async () => {
    world = await startWorld({ scale: "small" });
    const batches = join(world.dir, "batches");
    const recordConfig = fixtureTapConfig(world.server);
    const batchConfig = { ...recordConfig, batch_config: { encoding: { format: "jsonl", compression: "gzip" }, storage: { root: `file://${batches}`, prefix: "t-" }, batch_size: 200 } };
    const tapBatch = await writeJson(join(world.dir, "tap-batch.json"), batchConfig);
    const tapRecord = await writeJson(join(world.dir, "tap-record.json"), recordConfig);
    const catalog = await discover(["--config", tapRecord]);
    await writeJson(world.catalogPath, catalog);
    const streams = syncedStreams(catalog);

    const batchRun = await pipe({ tapArgs: ["--config", tapBatch, "--catalog", world.catalogPath], targetArgs: ["--config", world.targetConfig] });
    assert.ok(batchRun.states.length > 0, "the target acknowledged state");
    await assertExactlyTruth(world, catalog, streams);
    const files = readdirSync(batches);
    assert.ok(files.length > streams.length, `records went to batch files (${files.length})`);
    assert.ok(files.every((f) => f.startsWith("t-") && f.endsWith(".jsonl.gz")));
    for (const file of files) {
      const lines = gunzipSync(readFileSync(join(batches, file))).toString("utf8").split("\n").filter((l) => l.length > 0);
      assert.ok(lines.length > 0 && lines.length <= 200, `${file} holds 1 to batch_size records`);
      assert.equal((JSON.parse(lines[0] as string) as { type?: unknown }).type === "RECORD", false, "bare records, not RECORD messages");
    }

    const recordDatabase = join(world.dir, "records.duckdb");
    const recordTarget = await writeJson(join(world.dir, "target-records.json"), { path: recordDatabase });
    const recordRun = await pipe({ tapArgs: ["--config", tapRecord, "--catalog", world.catalogPath], targetArgs: ["--config", recordTarget] });
    assert.ok(recordRun.states.length > 0);

    await withDuckDb(world.database, async (query) => {
      await query(`ATTACH '${recordDatabase.replace(/'/g, "''")}' AS records (READ_ONLY)`);
      const shape = (catalogName: string) =>
        query(
          `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_catalog = '${catalogName}' AND table_schema = 'tap_intercom' ORDER BY table_name, ordinal_position`,
        );
      const columns = await shape("intercom");
      assert.deepEqual(columns, await shape("records"), "same tables, columns and types");
      for (const stream of streams) {
        const data = columns.filter((c) => c["table_name"] === stream && !String(c["column_name"]).startsWith("_sdc_")).map((c) => quoteIdent(String(c["column_name"])));
        const table = `tap_intercom.${quoteIdent(stream)}`;
        // Versions are each run's start time: compare whether rows carry one and whether they are marked deleted.
        const select = `SELECT ${data.join(", ")}, _sdc_table_version IS NULL AS unversioned, _sdc_deleted_at IS NULL AS live FROM`;
        const [onlyBatch] = await query(`SELECT count(*) AS n FROM (${select} intercom.${table} EXCEPT ALL ${select} records.${table})`);
        const [onlyRecord] = await query(`SELECT count(*) AS n FROM (${select} records.${table} EXCEPT ALL ${select} intercom.${table})`);
        assert.equal(Number(onlyBatch?.["n"]), 0, `${stream}: no row only in the BATCH run`);
        assert.equal(Number(onlyRecord?.["n"]), 0, `${stream}: no row only in the RECORD run`);
      }
    });
  });

  it("writes no RECORD messages, and every STATE after the BATCH messages of the records before it", async () => {
    world = await startWorld({ scale: "tiny" });
    const batches = join(world.dir, "batches");
    const config = await writeJson(join(world.dir, "tap.json"), {
      ...fixtureTapConfig(world.server),
      batch_config: { encoding: { format: "jsonl", compression: "none" }, storage: { root: batches } },
    });
    const result = await runCommand(TAP_BIN, ["--config", config]);
    assert.equal(result.code, 0, result.stderr);
    const messages = result.stdout.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as { type: string; manifest?: string[] });
    assert.equal(messages.filter((m) => m.type === "RECORD").length, 0);
    const announced = messages.filter((m) => m.type === "BATCH").flatMap((m) => m.manifest ?? []);
    assert.deepEqual(announced.map((url) => url.split("/").at(-1)).sort(), readdirSync(batches).sort(), "every file is announced once");
    assert.equal(messages.at(-1)?.type, "STATE", "the run ends with a STATE, after the last BATCH");
  });

  it("refuses a batch_config with a storage root that is not a local folder", async () => {
    world = await startWorld({ scale: "tiny" });
    const config = await writeJson(join(world.dir, "tap.json"), {
      ...fixtureTapConfig(world.server),
      batch_config: { encoding: { format: "jsonl", compression: "gzip" }, storage: { root: "s3://bucket/x" } },
    });
    const result = await runCommand(TAP_BIN, ["--config", config]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /setting "batch_config.storage.root" must be a local folder/);
  });
});
