import { availableParallelism } from "node:os";
import type { Readable, Writable } from "node:stream";
import { NdjsonWriter, readLineBytes, type Logger } from "../../singer/src/index.js";
import { connectDatabase, displayPath, openDatabase } from "./database.js";
import { Loader } from "./loader.js";
import { Progress } from "./progress.js";
import { runSummary, tableRowCounts } from "./summary.js";
import type { ResolvedSettings } from "./settings.js";

export interface RunOptions {
  settings: ResolvedSettings;
  input: Readable;
  /** Name of the input in error messages ("stdin" or the file). */
  source: string;
  output: Writable;
  logger: Logger;
  showProgress: boolean;
}

/**
 * DuckDB's worker threads outside chunk and BATCH inserts (which set their own, see the loader's
 * withThreads and batch-load.ts batchThreads): one core fewer than the machine has, since this
 * process's own thread routes the RECORD lines into chunk files meanwhile. For ordered work, DuckDB
 * threads beyond the free cores wait by spinning: on 2 cores, an ordered chunk insert on 2 threads
 * took 4.3–4.6 CPU-s for 200,000 contacts where 1 took 3.5–3.8, and no less wall time.
 */
function duckdbThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Loads a Singer message stream into DuckDB. Resolves with the signal that stopped it early, if
 * any (buffered rows are still committed and the state emitted); rejects on bad input without
 * committing anything after the last flush.
 */
export async function runTarget(options: RunOptions): Promise<NodeJS.Signals | undefined> {
  const { settings, input, source, logger } = options;
  const instance = await openDatabase({
    path: settings.path,
    config: {
      threads: String(duckdbThreads()),
      // Chunk files are read again under the same path once refilled: never from a cache.
      enable_external_file_cache: "false",
      ...(settings.memory_limit ? { memory_limit: settings.memory_limit } : {}),
      ...(settings.token && /^(md|motherduck):/i.test(settings.path) ? { motherduck_token: settings.token } : {}),
    },
    secrets: [settings.token],
    schema: settings.schema,
  });
  const connection = await connectDatabase(instance, settings.path, settings.schema);
  const writer = new NdjsonWriter(options.output);
  const loader = new Loader(connection, settings, logger, (value) => writer.writeLine(value), source);
  const progress = options.showProgress ? new Progress(logger) : undefined;

  let signal: NodeJS.Signals | undefined;
  let timerFailure: unknown;
  const onSignal = (received: NodeJS.Signals) => {
    if (signal) return;
    signal = received;
    logger.info(`${received} received: committing buffered records, then stopping`);
    input.destroy();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const timer = setInterval(() => {
    loader.flushIfOlderThan(settings.max_batch_age_seconds * 1000)?.catch((error: unknown) => {
      timerFailure = error;
      input.destroy();
    });
    progress?.tick(loader.receivedCounts());
  }, Math.min(1000, settings.max_batch_age_seconds * 1000));

  try {
    await connection.run("SET TimeZone = 'UTC'");
    const runStartedAt = new Date().toISOString();
    const rowsBefore = await tableRowCounts(connection, settings.schema);
    const stop = () => signal !== undefined || timerFailure !== undefined;
    try {
      for await (const line of readLineBytes(input, stop)) {
        if (loader.busy) await loader.busy;
        const pending = loader.handleLine(line);
        if (pending) await pending;
      }
      if (timerFailure !== undefined) throw timerFailure;
      clearInterval(timer);
      await loader.finish();
    } catch (error) {
      throw await loader.earliestProblem(error);
    }
    await writer.end();
    const summary = await runSummary(connection, settings.schema, rowsBefore, loader.loadedTables(), runStartedAt);
    if (summary.length > 0) logger.info(`loaded into ${displayPath(settings.path)}, schema ${settings.schema}:\n${summary.map((line) => `  ${line}`).join("\n")}`);
    return signal;
  } finally {
    clearInterval(timer);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await loader.quiesce();
    loader.close();
    connection.closeSync();
    instance.closeSync();
  }
}
