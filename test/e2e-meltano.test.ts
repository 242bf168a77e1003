import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { DATA_END, DATA_START } from "../fixtures/src/index.js";
import { getMetadata, keyPropertiesOf, replicationKeyOf, selectedStreams, type Catalog } from "../singer/src/index.js";
import { ROOT } from "../scripts/lib/about-output.js";
import { rfc3339, withDuckDb } from "../scripts/lib/fixture-run.js";
import { parse as parseYaml } from "yaml";
import { assertExactlyTruth, discover, pipe, startWorld, writeJson, type E2eWorld } from "./e2e-support.js";
import { runCommand, TAP_BIN, TARGET_BIN } from "./helpers.js";
import { applySelectRules, meltanoConfig, type SettingDefinition } from "./meltano-emulation.js";
import { writeFileAtomic } from "../scripts/lib/atomic-file.js";
import { lockFileOf } from "../scripts/meltano-settings.js";

interface PluginEntry {
  name: string;
  settings: SettingDefinition[];
  config?: Record<string, unknown>;
}

/** Our two plugins as Meltano sees them: the definition from the lock file, the config from meltano.yml. */
async function meltanoPlugins(): Promise<{ tap: PluginEntry; target: PluginEntry }> {
  const project = parseYaml(await readFile(join(ROOT, "meltano.yml"), "utf8")) as unknown as { plugins: Record<string, Array<PluginEntry & { variant: string }>> };
  const resolvePlugin = async (type: "extractors" | "loaders", name: string): Promise<PluginEntry> => {
    const entry = project.plugins[type]?.find((p) => p.name === name);
    assert.ok(entry, `${name} is in meltano.yml`);
    const lock = JSON.parse(await readFile(join(ROOT, lockFileOf(type, name, entry.variant)), "utf8")) as { settings: SettingDefinition[] };
    return { name, settings: lock.settings, ...(entry.config ? { config: entry.config } : {}) };
  };
  return { tap: await resolvePlugin("extractors", "tap-intercom"), target: await resolvePlugin("loaders", "target-duckdb") };
}

const SELECT = ["contacts.*", "!contacts.phone", "companies.*", "conversations.*", "report_conversation.*"];

describe("end to end: the pair run as Meltano runs it", function () {
  this.timeout(180_000);
  let world: E2eWorld;
  afterEach(async () => {
    await world?.close();
  });

  it("config from meltano.yml and TAP_INTERCOM_* variables, discovered catalog with select rules, state carried between runs", async () => {
    world = await startWorld({ scale: "tiny" });
    const { tap, target } = await meltanoPlugins();
    // Settings a user puts in .env / the environment (Meltano renders them into the config file and exports them).
    const env: NodeJS.ProcessEnv = {
      MELTANO_PROJECT_ROOT: world.dir,
      TAP_INTERCOM_ACCESS_TOKEN: world.server.token,
      TAP_INTERCOM_BASE_URL: world.server.url,
      TAP_INTERCOM_START_DATE: rfc3339(DATA_START),
      TAP_INTERCOM_APP_ID: world.server.truth().appId,
      TAP_INTERCOM_CLIENT_ID: "meltano-client",
      TAP_INTERCOM_REPORTING_DATASETS: '["conversation"]',
      TAP_INTERCOM_REPORTING_END_DATE: rfc3339(DATA_END),
      TAP_INTERCOM_REPORTING_WINDOW_SECONDS: String(DATA_END - DATA_START),
      TAP_INTERCOM_REPORTING_POLL_INTERVAL_SECONDS: "0.05",
      // The fixture's data is from 2024: reach it past the retention limit counted from today.
      TAP_INTERCOM_REPORTING_RETENTION_DAYS: "3650",
      TAP_INTERCOM_REPORTING_SETTLE_DELAY_SECONDS: "0",
      TARGET_DUCKDB_BATCH_SIZE_ROWS: "25",
    };
    const runDir = join(world.dir, ".meltano/run/elt/dev:tap-intercom-to-target-duckdb", randomUUID());
    await mkdir(runDir, { recursive: true });
    const tapConfig = meltanoConfig("tap-intercom", tap.settings, tap.config ?? {}, env);
    assert.equal(tapConfig["reporting_window_seconds"], DATA_END - DATA_START, "integer settings arrive as numbers");
    assert.deepEqual(tapConfig["reporting_datasets"], ["conversation"], "array settings arrive parsed");
    const tapConfigPath = await writeJson(join(runDir, `tap.${randomUUID()}.config.json`), tapConfig);
    const targetConfig = meltanoConfig("target-duckdb", target.settings, target.config ?? {}, env);
    const database = join(world.dir, "output/intercom.duckdb");
    assert.equal(targetConfig["path"], database, "meltano.yml's ${MELTANO_PROJECT_ROOT} path is used");
    const targetConfigPath = await writeJson(join(runDir, `target.${randomUUID()}.config.json`), targetConfig);
    world.database = database;

    // Meltano runs --discover before every run of a plugin without pip_url.
    const discovered = await discover(["--config", tapConfigPath], env);
    for (const stream of discovered.streams) {
      const fields = Object.keys(stream.schema.properties ?? {});
      for (const field of fields) {
        assert.ok(getMetadata(stream, ["properties", field]).inclusion, `${stream.tap_stream_id}.${field} has metadata: Meltano need not invent it`);
      }
      for (const key of [...keyPropertiesOf(stream), replicationKeyOf(stream)].filter((k): k is string => !!k && fields.includes(k))) {
        assert.equal(getMetadata(stream, ["properties", key]).inclusion, "automatic", `${stream.tap_stream_id}.${key} is automatic`);
      }
    }
    const contacts = discovered.streams.find((s) => s.tap_stream_id === "contacts");
    assert.ok(contacts?.schema.properties?.["phone"], "contacts has the field the rules deselect");
    const catalog: Catalog = applySelectRules(discovered, SELECT);
    const propertiesPath = await writeJson(join(runDir, "tap.properties.json"), catalog);
    const selected = selectedStreams(catalog).map((s) => s.stream);
    assert.deepEqual([...selected].sort(), ["companies", "contacts", "conversations", "report_conversation"]);

    // Meltano persists every line the loader prints as the pipeline's state, then writes state.json for the next run.
    const storedState: unknown[] = [];
    const run = async () => {
      const statePath = join(runDir, "state.json");
      const stateArgs = storedState.length > 0 ? ["--state", statePath] : [];
      if (storedState.length > 0) await writeFileAtomic(statePath, JSON.stringify(storedState.at(-1)));
      const result = await pipe({
        tapArgs: ["--config", tapConfigPath, "--catalog", propertiesPath, ...stateArgs],
        targetArgs: ["--config", targetConfigPath],
        env,
      });
      assert.deepEqual(result.invalidStateLines, [], "the loader prints nothing but state on stdout");
      storedState.push(...result.states);
    };
    await run();
    await assertExactlyTruth(world, catalog, selected);
    world.server.mutate({ contacts: 3, conversations: 2, companies: 2 });
    await run();
    await assertExactlyTruth(world, catalog, selected);

    await withDuckDb(database, async (query) => {
      const columns = (await query("SELECT column_name FROM information_schema.columns WHERE table_name = 'contacts'")).map((r) => r["column_name"]);
      assert.ok(columns.includes("email"), "selected fields are loaded");
      assert.ok(!columns.includes("phone"), "the field deselected by !contacts.phone is not");
    });
  });

  it("meltano config test: the tap yields a RECORD; the loader takes Meltano's test stream without 'error' or 'exception' in its output", async () => {
    world = await startWorld({ scale: "tiny" });
    const tapResult = await runCommand(TAP_BIN, ["--config", await writeJson(join(world.dir, "tap.json"), { base_url: world.server.url, reporting_datasets: [] })], {
      env: { TAP_INTERCOM_ACCESS_TOKEN: world.server.token },
    });
    assert.equal(tapResult.code, 0, tapResult.stderr);
    assert.ok(tapResult.stdout.split("\n").some((line) => line.startsWith('{"type":"RECORD"')), "a RECORD line");
    assert.ok(!tapResult.stderr.includes(world.server.token), "the token is never logged");

    const messages = [
      { type: "SCHEMA", stream: "meltano_test_stream", schema: { type: "object", properties: { id: { type: "integer" }, name: { type: "string" }, created_at: { type: "string", format: "date-time" } } }, key_properties: ["id"] },
      { type: "RECORD", stream: "meltano_test_stream", record: { id: 1, name: "test", created_at: "2024-01-01T00:00:00Z" } },
      { type: "STATE", value: { bookmarks: { meltano_test_stream: { last_record: 1 } } } },
      { type: "ACTIVATE_VERSION", stream: "meltano_test_stream", version: 1 },
    ];
    const loader = await runCommand(TARGET_BIN, ["--config", await writeJson(join(world.dir, "target.json"), { path: world.database })], {
      input: messages.map((m) => JSON.stringify(m)).join("\n") + "\n",
    });
    assert.equal(loader.code, 0, loader.stderr);
    assert.doesNotMatch(loader.stdout + loader.stderr, /error|exception/i);
    assert.deepEqual(loader.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown).at(-1), { bookmarks: { meltano_test_stream: { last_record: 1 } } });
  });
});
