/** Shared by the end-to-end tests: a fixture server with a work directory, discovery, the pipe, truth checks. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFixtureServer, type FixtureServer, type FixtureServerOptions } from "../fixtures/src/index.js";
import { isStreamSelected, keyPropertiesOf, parseCatalog, type Catalog } from "../singer/src/index.js";
import { writeFileAtomic } from "../scripts/lib/atomic-file.js";
import { tableCounts, tableKeys, unavailableAt } from "../scripts/lib/fixture-run.js";
import { runPipeline, startPipeline, type PipelineResult, type RunningPipeline } from "../scripts/lib/pipeline.js";
import { runCommand, TAP_BIN, TARGET_BIN } from "./helpers.js";

export interface E2eWorld {
  server: FixtureServer;
  dir: string;
  database: string;
  state: string;
  catalogPath: string;
  targetConfig: string;
  close(): Promise<void>;
}

export async function startWorld(options: FixtureServerOptions = {}): Promise<E2eWorld> {
  const server = await startFixtureServer({ seed: 7, scale: "tiny", exportJobSeconds: 0, scrollLockSeconds: 1, log: () => undefined, ...options });
  const dir = await mkdtemp(join(tmpdir(), "e2e-"));
  const database = join(dir, "intercom.duckdb");
  const targetConfig = join(dir, "target.json");
  await writeFile(targetConfig, JSON.stringify({ path: database }));
  return {
    server,
    dir,
    database,
    state: join(dir, "state.json"),
    catalogPath: join(dir, "catalog.json"),
    targetConfig,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function writeJson(path: string, value: unknown): Promise<string> {
  await writeFile(path, JSON.stringify(value, null, 2), { mode: 0o600 });
  return path;
}

/** `tap-intercom --config … --discover`, parsed. */
export async function discover(configArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<Catalog> {
  const result = await runCommand(TAP_BIN, [...configArgs, "--discover"], { env });
  assert.equal(result.code, 0, result.stderr);
  return parseCatalog(JSON.parse(result.stdout));
}

export interface PipeRun {
  tapArgs: string[];
  targetArgs: string[];
  env?: NodeJS.ProcessEnv;
}

function pipelineOptions(run: PipeRun, logs: string[]) {
  return {
    tap: { command: TAP_BIN, args: run.tapArgs },
    target: { command: TARGET_BIN, args: run.targetArgs },
    env: run.env,
    timeoutMs: 120_000,
    onLog: (source: string, line: string) => {
      if (!line.startsWith("INFO METRIC")) logs.push(`[${source}] ${line}`);
    },
  };
}

/** Runs `tap | target` through a real pipe; fails the test with the logs unless both exit 0. */
export async function pipe(run: PipeRun): Promise<PipelineResult> {
  const logs: string[] = [];
  const result = await runPipeline(pipelineOptions(run, logs));
  assert.ok(result.ok, `pipeline failed: tap ${JSON.stringify(result.tap)}, target ${JSON.stringify(result.target)}\n${logs.slice(-20).join("\n")}`);
  return result;
}

export function startPipe(run: PipeRun): { running: RunningPipeline; logs: string[] } {
  const logs: string[] = [];
  return { running: startPipeline(pipelineOptions(run, logs)), logs };
}

/** Saves the target's last state line as Meltano and `make sync` do. */
export async function saveState(path: string, result: PipelineResult): Promise<void> {
  const last = result.states.at(-1);
  assert.notEqual(last, undefined, "the target emitted a state");
  await writeFileAtomic(path, JSON.stringify(last));
}

/** The columns whose values make up the truth's ids for a stream. */
export function truthKeyColumns(catalog: Catalog, stream: string): string[] {
  const entry = catalog.streams.find((s) => s.stream === stream);
  assert.ok(entry, `stream ${stream} is in the catalog`);
  return keyPropertiesOf(entry);
}

/** The streams a run of this catalog syncs: selected by default, and known to the API version (metadata `min-api-version`). */
export function syncedStreams(catalog: Catalog, apiVersion = "2.14"): string[] {
  const gaps = unavailableAt(catalog, apiVersion);
  return catalog.streams.filter((s) => isStreamSelected(s) && !gaps.has(s.tap_stream_id)).map((s) => s.stream);
}

/**
 * Every selected stream's table holds exactly the truth's ids, each once; no other tables exist.
 */
export async function assertExactlyTruth(world: E2eWorld, catalog: Catalog, streams: string[]): Promise<void> {
  const truth = world.server.truth().streams;
  const counts = await tableCounts(world.database);
  assert.deepEqual([...counts.keys()].sort(), [...streams].sort(), "one table per selected stream");
  for (const stream of streams) {
    const expected = truth[stream];
    assert.ok(expected, `the fixture has a truth for ${stream}`);
    const keys = await tableKeys(world.database, stream, truthKeyColumns(catalog, stream));
    if (stream.startsWith("report_")) {
      // Reporting keys may hold timestamps, which DuckDB prints its own way: count rows and distinct keys.
      assert.equal(keys.length, expected.count, `${stream}: every record`);
      assert.equal(new Set(keys).size, keys.length, `${stream}: each record once`);
      continue;
    }
    assert.deepEqual(keys, [...expected.ids].sort(), `${stream}: every record exactly once`);
  }
}
