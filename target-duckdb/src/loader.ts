import type { DuckDBConnection } from "@duckdb/node-api";
import { isUtf8 } from "node:buffer";
import type { LoadedTable } from "./summary.js";
import {
  decodeLine,
  parseMessageLine,
  SingerInputError,
  type ActivateVersionMessage,
  type LineBytes,
  type Logger,
  type ReadItem,
  type RecordMessage,
  type SchemaMessage,
  type JsonSchema,
} from "../../singer/src/index.js";
import { BatchLoader, BatchLoadError, batchThreads, InsertThreads } from "./batch-load.js";
import { uncheckedKeyword } from "./batch-sql.js";
import { ChunkFile, SequenceClock } from "./chunk-file.js";
import { chunkLoadPlan, PROPERTIES_PER_TRANSFORM, wideChunkPlan, type ChunkPlan } from "./chunk-sql.js";
import { batchMessageOf, BatchShapeError } from "./batch-files.js";
import {
  activateVersionStatement,
  deleteMarkedStatement,
  lastRowidStatement,
  METADATA_COLUMNS,
  nullsAfterStatement,
  replaceByKeyInSequenceStatement,
  replaceByKeyStatement,
  type MergeTarget,
} from "./merge.js";
import { isBigint, keyProblem, valueProblem } from "./record-checks.js";
import type { RecordValidator } from "./record-validator.js";
import { SchemaChecks } from "./stream-schema.js";
import type { ResolvedSettings } from "./settings.js";
import { batchCharacterLimit, chunkRowsForColumns, columnsDominate, LARGE_RECORD_CHARACTERS, MemoryFit, mergeChunkRows } from "./memory-fit.js";
import { LoadError } from "./load-error.js";
import { RecordRouter } from "./record-router.js";
import { ColumnTypeChangeError, createSchemaIfMissing, prepareTable, type PreparedTable } from "./table-ddl.js";
import type { ColumnSpec } from "./type-mapping.js";
import { qualifiedName } from "./sql.js";

interface LoadedStream {
  name: string;
  /** The SCHEMA message's schema and key properties, serialised: a different one means a schema change. */
  signature: string;
  schema: JsonSchema;
  keyProperties: string[];
  columns: ColumnSpec[];
  validate: RecordValidator | undefined;
  /** Where BIGINT columns take their values from, when records are validated: a number out of BIGINT's range is refused. */
  bigintPaths: string[][];
  target: MergeTarget;
  /** Two chunk files: records go to `active` while DuckDB loads the other in the background. */
  active: ChunkFile;
  spare: ChunkFile;
  plan: ChunkPlan;
  /**
   * Why the stream's records are validated line by line in JavaScript (and not routed as bytes):
   * a schema keyword the SQL does not check, or a property whose missing and null it cannot tell apart.
   */
  lineChecked: string | undefined;
  received: number;
  /** Rows received since the last commit, and when the first of them arrived (ms since epoch). */
  uncommitted: number;
  oldestUncommittedAt: number | undefined;
  batch: StreamBatch;
  /** load_method overwrite: the table's rows from before this run are deleted in the stream's first batch. */
  replaceRows: boolean;
  /** The table's columns, metadata included: what its memory needs grow with. */
  columnCount: number;
  /** Staged rows merged at a time: fewer for wide tables. */
  chunkRows: number;
  /**
   * Whether a merged chunk inserts only the last line of each key. Otherwise every line goes in and
   * the batch's end deletes the rows replaced (one statement per batch, much cheaper than picking
   * per chunk); but a commit after deleting rows the batch itself inserted rewrites them, which for
   * a table whose columns dominate memory_limit takes another buffer per column. Tables that hide
   * rowid pick per chunk too (see MergeTarget.hidesRowid).
   */
  latestPerChunk: boolean;
  /**
   * DuckDB threads for the stream's chunk inserts. Above one, rows are inserted without insertion
   * order (DuckDB's ordered insert keeps a second thread mostly waiting) and the batch's upsert
   * orders a key's rows by _sdc_sequence; one keeps the ordered insert (no metadata columns, the
   * per-chunk picks of wide and rowid-hiding tables, schemas loaded in groups of properties).
   */
  threads: number;
}

/** A stream's part in the open batch. */
interface StreamBatch {
  /** Whether a chunk of the stream was merged in the batch. */
  merged: boolean;
  /** The table's largest rowid (-1: none) before the batch's first insert, for tables whose replaced rows are deleted at the batch's end. */
  lastRowidBefore?: bigint;
}

/** read_json's smallest buffer for a chunk's lines (it holds at least the longest line). */
const MIN_OBJECT_SIZE = 1024 * 1024;

/** What a RECORD or ACTIVATE_VERSION version may be: it is stored in the BIGINT column _sdc_table_version. */
const VERSION_RANGE = "version must be an integer from -2^63 to 2^63-1 (it is stored in the BIGINT column _sdc_table_version)";

export type StateSink = (value: unknown) => Promise<void>;

/**
 * Applies Singer messages to DuckDB, as a pipeline:
 * - route: `handleLine` sends a RECORD line of a known stream to its chunk file as bytes
 *   (record-router.ts); every other line is parsed and `handle` sends it to its handler (SCHEMA
 *   prepares the stream's table, after SchemaChecks; BATCH goes to BatchLoader; a RECORD parsed
 *   here gets the JavaScript checks, then joins the chunk file too);
 * - stage: the stream's ChunkFile, on disk;
 * - type, validate and merge: a full chunk is read, checked and typed by DuckDB (chunk-sql.ts, the
 *   BATCH path's SQL) into the table inside the batch transaction, in the background while lines
 *   keep coming; a refused chunk is read again to name the line; the batch's end deletes the rows
 *   it replaces (replaceByKeyStatement) and hard_delete's rows;
 * - commit: one transaction covers every stream's batch;
 * - acknowledge: the latest STATE goes to `emitState` only once everything received before it is committed.
 */
export class Loader {
  private readonly streams = new Map<string, LoadedStream>();
  private readonly warnedTypes = new Set<string>();
  private pendingState: { value: unknown } | undefined;
  private schemaCreated = false;
  private readonly router = new RecordRouter<LoadedStream>();
  private readonly clock = new SequenceClock();
  /** The batch transaction, open from the first merged chunk until the commit. */
  private batch: { startedAt: string } | undefined;
  private readonly chunkRows: number;
  private readonly memory: MemoryFit;
  private readonly schemaChecks: SchemaChecks;
  private readonly batchCharacters: number;
  /** Characters of the large record lines received since the last commit, over all streams. */
  private uncommittedLargeCharacters = 0;
  /** A chunk merge running while records keep arriving, and how the last one failed, if it did. */
  private background: Promise<void> | undefined;
  private backgroundFailure: unknown;
  private batchLoader: BatchLoader | undefined;
  private readonly insertThreads: InsertThreads;
  /** The asynchronous work in progress (a flush, a schema change), if any; nothing else may touch the database meanwhile. */
  busy: Promise<void> | undefined;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly settings: ResolvedSettings,
    private readonly logger: Logger,
    private readonly emitState: StateSink,
    private readonly source = "stdin",
  ) {
    this.chunkRows = mergeChunkRows(settings.batch_size_rows);
    this.memory = new MemoryFit(connection, settings, logger);
    this.schemaChecks = new SchemaChecks(settings, logger);
    this.batchCharacters = batchCharacterLimit(this.memory.limitBytes);
    this.insertThreads = new InsertThreads(connection);
  }

  /** Handles one message; returns a promise only when the message needs database work beyond buffering. */
  handle(item: ReadItem, line: string): Promise<void> | undefined {
    if (item.kind === "unknown" && item.type.toUpperCase() === "BATCH") return this.track(this.handleBatch(item.raw, item.lineNumber));
    if (item.kind === "unknown") {
      const type = item.type.toUpperCase();
      if (!this.warnedTypes.has(type)) {
        this.warnedTypes.add(type);
        this.logger.warn(`line ${item.lineNumber}: messages of type "${item.type}" are not supported and are skipped`);
      }
      return undefined;
    }
    const { message, lineNumber } = item;
    switch (message.type) {
      case "RECORD":
        return this.track(this.handleRecord(message, lineNumber, line));
      case "SCHEMA":
        return this.track(this.handleSchema(message, lineNumber));
      case "STATE":
        this.pendingState = { value: message.value };
        return this.bufferedRows() === 0 ? this.track(this.settleBackground().then(() => this.emitPendingState())) : undefined;
      case "ACTIVATE_VERSION":
        return this.track(this.handleActivateVersion(message, lineNumber));
    }
  }

  /**
   * Handles one line of input. A RECORD line of a stream with a SCHEMA, spelled the usual way, goes
   * to the stream's chunk file as bytes, never parsed here (DuckDB parses and checks it); any other
   * line is decoded and parsed.
   */
  handleLine(line: LineBytes): Promise<void> | undefined {
    const stream = this.router.match(line.bytes);
    if (stream && isUtf8(line.bytes)) {
      if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
      stream.active.append(line.lineNumber, this.clock.next(), line.bytes, 1);
      // Tracked like every message's work (handle): a wait for the previous background load must
      // keep the age timer's flush from committing the batch meanwhile.
      return this.track(this.afterStaged(stream, line.bytes.length));
    }
    const text = decodeLine(line, this.source);
    if (text === undefined) return undefined;
    return this.handle(parseMessageLine(text, line.lineNumber, this.source), text);
  }

  /**
   * After `error` stopped the run at some line: the earliest input error of the lines received
   * before it that are not loaded yet (chunks are checked when DuckDB loads them, so a record
   * refused there may precede the line that stopped the run), else `error` itself.
   */
  async earliestProblem(error: unknown): Promise<unknown> {
    await this.background;
    const failure = this.backgroundFailure ?? error;
    if (!(failure instanceof SingerInputError) || failure.lineNumber === undefined) return failure;
    let earliest: SingerInputError = failure;
    for (const stream of this.streams.values()) {
      for (const chunk of [stream.active, stream.spare]) {
        if (chunk.rows === 0 || chunk.lineRange[0] >= (earliest.lineNumber as number)) continue;
        const problem = await this.explainChunk(stream, chunk).catch(() => undefined);
        if (problem && (problem.lineNumber as number) < (earliest.lineNumber as number)) earliest = problem;
      }
    }
    return earliest;
  }

  /** What each stream loaded, for the end-of-run summary. */
  loadedTables(): LoadedTable[] {
    return [...this.streams.values()].map((s) => ({ stream: s.name, table: s.target.table, received: s.received, metadata: s.target.metadata, columns: s.target.columns.map((c) => c.name) }));
  }

  /** Rows received per stream so far. */
  receivedCounts(): Map<string, number> {
    return new Map([...this.streams.values()].map((s) => [s.name, s.received]));
  }

  bufferedRows(): number {
    let rows = 0;
    for (const stream of this.streams.values()) rows += stream.uncommitted;
    return rows;
  }

  /** Starts a flush when the oldest buffered record is older than `maxAgeMs` and nothing else is running. */
  flushIfOlderThan(maxAgeMs: number, now = Date.now()): Promise<void> | undefined {
    if (this.busy) return undefined;
    const oldest = Math.min(...[...this.streams.values()].map((s) => s.oldestUncommittedAt ?? Infinity));
    if (now - oldest < maxAgeMs) return undefined;
    return this.track(this.flushAll());
  }

  /** End of input: commit everything and emit the latest state. */
  async finish(): Promise<void> {
    if (this.busy) await this.busy;
    // Tracked, so the age timer sees the final flush running and does not start another.
    await this.track(this.flushAll());
  }

  /** Waits for any database work still running, ignoring its outcome (before closing after a failure). */
  async quiesce(): Promise<void> {
    await this.busy?.catch(() => undefined);
    await this.background;
  }

  close(): void {
    for (const stream of this.streams.values()) {
      stream.active.close();
      stream.spare.close();
    }
  }

  /** A RECORD's problem as the JavaScript checks see it: its key, its version, its values. */
  private recordProblem(stream: LoadedStream, message: RecordMessage, lineNumber: number): SingerInputError | undefined {
    const badKey = keyProblem(stream.keyProperties, message.record);
    if (badKey) return this.inputError(badKey.message, lineNumber, message.stream, badKey.field);
    if (message.version !== undefined && !isBigint(message.version)) return this.inputError(VERSION_RANGE, lineNumber, message.stream, "version");
    const badValue = valueProblem(stream, message.record);
    if (badValue) return this.inputError(badValue.message, lineNumber, message.stream, badValue.field);
    return undefined;
  }

  /** The first line of a chunk the JavaScript checks refuse (as they would have refused it on arrival), if any. */
  private async explainChunk(stream: LoadedStream, chunk: ChunkFile): Promise<SingerInputError | undefined> {
    for await (const { lineNumber, bytes } of chunk.lines()) {
      let item;
      try {
        item = parseMessageLine(bytes.toString("utf8"), lineNumber, this.source);
      } catch (error) {
        if (error instanceof SingerInputError) return error;
        throw error;
      }
      if (item.kind !== "message" || item.message.type !== "RECORD") continue;
      if (item.message.stream !== stream.name) return this.inputError(`RECORD of stream "${item.message.stream}" in the chunk of stream "${stream.name}"`, lineNumber, item.message.stream);
      const problem = this.recordProblem(stream, item.message, lineNumber);
      if (problem) return problem;
    }
    return undefined;
  }

  private track(work: Promise<void> | undefined): Promise<void> | undefined {
    if (!work) return undefined;
    const tracked = work.finally(() => {
      if (this.busy === tracked) this.busy = undefined;
    });
    this.busy = tracked;
    return tracked;
  }

  private inputError(message: string, lineNumber: number, stream?: string, field?: string): SingerInputError {
    return new SingerInputError(message, { source: this.source, lineNumber, stream, field });
  }

  /** A RECORD parsed here (not routed as bytes): checked as it arrives, then its line joins the stream's chunk file like any other. */
  private handleRecord(message: RecordMessage, lineNumber: number, line: string): Promise<void> | undefined {
    if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
    const stream = this.streams.get(message.stream);
    if (!stream) throw this.inputError("RECORD arrived before the stream's SCHEMA", lineNumber, message.stream);
    const problem = this.recordProblem(stream, message, lineNumber);
    if (problem) throw problem;
    // The line as received (integers beyond 2^53 stay exact), not re-serialised from the parsed message.
    const bytes = Buffer.from(line.trimStart());
    stream.active.append(lineNumber, this.clock.next(), bytes, 1);
    return this.afterStaged(stream, bytes.length);
  }

  /** Counts a staged line; starts a background commit when the batch is full, a background load when the chunk is. */
  private afterStaged(stream: LoadedStream, lineBytes: number): Promise<void> | undefined {
    stream.received += 1;
    if (stream.uncommitted === 0) stream.oldestUncommittedAt = Date.now();
    stream.uncommitted += 1;
    if (stream.uncommitted >= this.settings.batch_size_rows) return this.commitInBackground();
    if (lineBytes > LARGE_RECORD_CHARACTERS) {
      this.uncommittedLargeCharacters += lineBytes;
      stream.active.largeBytes += lineBytes;
      if (this.uncommittedLargeCharacters >= this.batchCharacters) return this.commitInBackground();
    }
    // Large records also make smaller chunks: DuckDB holds a chunk's long strings in memory while it loads them.
    const chunkFull = stream.active.rows >= stream.chunkRows || stream.active.largeBytes >= this.batchCharacters / 4;
    return chunkFull ? this.mergeInBackground(stream) : undefined;
  }

  private async handleSchema(message: SchemaMessage, lineNumber: number): Promise<void> {
    const { stream: name, schema } = message;
    const signature = JSON.stringify([schema, message.key_properties]);
    const previous = this.streams.get(name);
    if (previous?.signature === signature) return;
    const fail = (text: string, field?: string) => this.inputError(text, lineNumber, name, field);
    const { keys, validate, wanted } = this.schemaChecks.check(message, lineNumber, this.streams.keys(), fail);

    await this.settleBackground();
    // Table changes run outside batch transactions: commit first if this stream has rows pending or a batch is open.
    if (this.batch || (previous && previous.uncommitted > 0)) await this.flushAll();
    const columnCount = wanted.length + (this.settings.add_metadata_columns ? METADATA_COLUMNS.length : 0);
    await this.memory.fitColumns(name, columnCount);
    let table: PreparedTable;
    try {
      if (!this.schemaCreated) {
        await createSchemaIfMissing(this.connection, this.settings.schema);
        this.schemaCreated = true;
      }
      table = await prepareTable(this.connection, this.settings.schema, name, [
        ...wanted,
        ...(this.settings.add_metadata_columns ? METADATA_COLUMNS : []),
      ]);
    } catch (error) {
      if (error instanceof ColumnTypeChangeError) throw fail(error.message);
      throw new LoadError(`preparing table ${this.settings.schema}.${name} failed: ${this.memory.describe(error, columnCount)}`, { source: this.source, lineNumber, stream: name });
    }
    const columns = table.columns.slice(0, wanted.length);
    const target: MergeTarget = {
      schema: this.settings.schema,
      table: name,
      columns,
      keyProperties: keys,
      metadata: this.settings.add_metadata_columns,
      hardDelete: this.settings.hard_delete,
      hidesRowid: keys.length > 0 && table.columnNames.has("rowid"),
    };
    const latestPerChunk = keys.length > 0 && (target.hidesRowid || columnsDominate(columnCount, this.memory.limitBytes));
    const properties = new Set(columns.map((c) => c.path[0])).size;
    let plan: ChunkPlan;
    let lineChecked: string | undefined;
    if (properties > PROPERTIES_PER_TRANSFORM) {
      lineChecked = `a schema of ${properties} top-level properties`;
      plan = wideChunkPlan(target, latestPerChunk);
    } else {
      plan = chunkLoadPlan({ schema, target, validate: validate !== undefined, latestPerChunk });
      lineChecked = validate ? this.lineCheckReason(schema, columns, plan.ambiguous, latestPerChunk || target.hidesRowid) : undefined;
      if (lineChecked) plan = chunkLoadPlan({ schema, target, validate: false, latestPerChunk });
    }
    if (lineChecked) this.logger.forStream(name).info(`records are parsed and validated line by line in JavaScript (${lineChecked} is not checked in SQL)`);
    const stream: LoadedStream = {
      name,
      signature,
      schema,
      keyProperties: keys,
      columns,
      validate,
      bigintPaths: validate ? columns.filter((c) => c.type === "BIGINT").map((c) => c.path) : [],
      target,
      active: previous ? previous.active : ChunkFile.create(),
      spare: previous ? previous.spare : ChunkFile.create(),
      plan,
      lineChecked,
      received: previous?.received ?? 0,
      uncommitted: 0,
      oldestUncommittedAt: undefined,
      batch: { merged: false },
      replaceRows: previous ? previous.replaceRows : this.settings.load_method === "overwrite",
      columnCount,
      chunkRows: chunkRowsForColumns(columnCount, this.memory.limitBytes, this.chunkRows),
      latestPerChunk,
      threads: this.settings.add_metadata_columns && !latestPerChunk && !target.hidesRowid && properties <= PROPERTIES_PER_TRANSFORM ? batchThreads(this.memory.limitBytes, columnCount) : 1,
    };
    this.streams.set(name, stream);
    if (lineChecked) this.router.delete(name);
    else this.router.add(name, stream);
  }

  /**
   * Why records must be validated line by line in JavaScript, if they must: the schema has a
   * keyword the SQL does not check, or a property whose missing and null the SQL cannot tell apart
   * that has no column of its own, or whose rows cannot be told after the insert (`pickedPerChunk`).
   */
  private lineCheckReason(schema: JsonSchema, columns: ColumnSpec[], ambiguous: string[], pickedPerChunk: boolean): string | undefined {
    // The plan checks the record's properties and required; an anyOf on the record itself is left to the line check.
    const unchecked = schema.anyOf !== undefined ? "schema: anyOf" : uncheckedKeyword(schema);
    if (unchecked) return unchecked;
    const direct = new Set(columns.filter((c) => c.path.length === 1).map((c) => c.path[0]));
    const indirect = ambiguous.find((name) => !direct.has(name) || pickedPerChunk);
    return indirect !== undefined ? `schema.${indirect}: missing and null are told apart` : undefined;
  }

  private async handleActivateVersion(message: ActivateVersionMessage, lineNumber: number): Promise<void> {
    if (!isBigint(message.version)) throw this.inputError(VERSION_RANGE, lineNumber, message.stream, "version");
    const stream = this.streams.get(message.stream);
    if (!stream) {
      this.logger.forStream(message.stream).warn(`line ${lineNumber}: ACTIVATE_VERSION before the stream's SCHEMA is ignored`);
      return;
    }
    if (!this.settings.add_metadata_columns) {
      this.logger.forStream(message.stream).warn(`line ${lineNumber}: ACTIVATE_VERSION ignored: it needs add_metadata_columns (rows carry no version)`);
      return;
    }
    await this.flushAll();
    const statement = activateVersionStatement(this.settings.schema, stream.name, this.settings.hard_delete);
    const version = BigInt(message.version);
    const values = this.settings.hard_delete ? [version] : [new Date().toISOString(), version];
    await this.connection.run(statement, values);
  }

  /**
   * BATCH: what came before it is committed (and its state emitted), then the message's files are
   * loaded in a transaction of their own; a STATE after the BATCH therefore covers its rows.
   */
  private async handleBatch(raw: Record<string, unknown>, lineNumber: number): Promise<void> {
    if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
    let message;
    try {
      message = batchMessageOf(raw);
    } catch (error) {
      if (error instanceof BatchShapeError) throw this.inputError(error.message, lineNumber, typeof raw["stream"] === "string" ? raw["stream"] : undefined, error.field);
      throw error;
    }
    const stream = this.streams.get(message.stream);
    if (!stream) throw this.inputError("BATCH arrived before the stream's SCHEMA", lineNumber, message.stream);
    this.batchLoader ??= new BatchLoader(this.connection, { metadata: this.settings.add_metadata_columns, logger: this.logger, memoryBytes: this.memory.limitBytes, threads: this.insertThreads });
    const fail = (error: unknown): never => {
      if (error instanceof BatchLoadError) throw this.inputError(error.message, lineNumber, stream.name, error.field);
      throw new LoadError(`loading a BATCH failed: ${this.memory.describe(error, stream.columnCount)}`, { source: this.source, lineNumber, stream: stream.name });
    };
    await this.batchLoader.checkLoadable(message, stream).catch(fail);
    await this.flushAll();
    await this.connection.run("BEGIN TRANSACTION");
    try {
      await this.clearTableOnFirstLoad(stream);
      stream.received += await this.batchLoader.load(message, stream, new Date().toISOString());
    } catch (error) {
      await this.connection.run("ROLLBACK").catch(() => undefined);
      fail(error);
    }
    try {
      await this.connection.run("COMMIT");
    } catch (error) {
      throw new LoadError(`committing a BATCH failed: ${this.memory.describe(error, stream.columnCount)}`, { source: this.source, lineNumber, stream: stream.name });
    }
  }

  /** Commits every stream's rows received so far in one transaction, then emits the latest state. */
  private async flushAll(): Promise<void> {
    await this.settleBackground();
    for (const stream of this.streams.values()) {
      if (stream.active.rows > 0) await this.mergeStaged(stream, stream.active, stream.batch);
    }
    for (const stream of this.streams.values()) await this.finishBatch(stream, stream.batch);
    await this.commit();
    this.startNextBatch();
    await this.emitPendingState();
  }

  /**
   * A full batch: its rows are merged and committed, then the state received so far is emitted,
   * in the background while records of the next batch are staged.
   */
  private commitInBackground(): Promise<void> | undefined {
    if (this.background) return this.settleBackground().then(() => this.commitInBackground());
    const full = [...this.streams.values()]
      .filter((stream) => stream.active.rows > 0)
      .map((stream) => {
        const stage = stream.active;
        stream.active = stream.spare;
        stream.spare = stage;
        return { stream, stage, batch: stream.batch };
      });
    // The next batch starts now; the background work finishes this one.
    const batches = [...this.streams.values()].map((stream) => ({ stream, batch: stream.batch }));
    const state = this.pendingState;
    this.pendingState = undefined;
    this.startNextBatch();
    this.runInBackground(async () => {
      for (const { stream, stage, batch } of full) await this.mergeStaged(stream, stage, batch);
      for (const { stream, batch } of batches) await this.finishBatch(stream, batch);
      await this.commit();
      if (state) await this.emitState(state.value);
    });
    return undefined;
  }

  private async commit(): Promise<void> {
    if (!this.batch) return;
    this.batch = undefined;
    try {
      await this.connection.run("COMMIT");
    } catch (error) {
      throw new LoadError(`committing a batch failed: ${this.memory.describe(error, this.widestTable())}`);
    }
  }

  private startNextBatch(): void {
    this.uncommittedLargeCharacters = 0;
    for (const stream of this.streams.values()) {
      if (stream.uncommitted > 0) this.logger.forStream(stream.name).debug(`committing ${stream.uncommitted} rows`);
      stream.uncommitted = 0;
      stream.oldestUncommittedAt = undefined;
      stream.batch = { merged: false };
    }
  }

  /** Runs database work while records keep arriving; a failure is kept and rethrown at the next chance. */
  private runInBackground(work: () => Promise<void>): void {
    const running = work().catch((error: unknown) => {
      this.backgroundFailure = error;
    });
    this.background = running;
    void running.then(() => {
      if (this.background === running) this.background = undefined;
    });
  }

  /** Waits for the background merge; rethrows its failure. */
  private async settleBackground(): Promise<void> {
    if (this.background) await this.background;
    if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
  }

  /**
   * Swaps the stream's staging tables and merges the full one while records keep going to the
   * other; waits first if the previous merge is still running.
   */
  private mergeInBackground(stream: LoadedStream): Promise<void> | undefined {
    if (this.background) return this.settleBackground().then(() => this.mergeInBackground(stream));
    const full = stream.active;
    stream.active = stream.spare;
    stream.spare = full;
    const batch = stream.batch;
    this.runInBackground(() => this.mergeStaged(stream, full, batch));
    return undefined;
  }

  /**
   * Loads a chunk file's lines into the stream's table inside the batch transaction (opening it if
   * needed). A chunk DuckDB refuses is read again line by line, and the first line the JavaScript
   * checks refuse is the error; failing that, DuckDB's message with the chunk's lines.
   */
  private async mergeStaged(stream: LoadedStream, chunk: ChunkFile, batch: StreamBatch): Promise<void> {
    chunk.flush();
    if (!this.batch) {
      await this.connection.run("BEGIN TRANSACTION");
      this.batch = { startedAt: new Date().toISOString() };
    }
    const { target, plan } = stream;
    const file = [chunk.path];
    // read_json's buffer must hold the longest line (DuckDB reads at least 16 MiB at a time whatever is asked).
    const objectSize = Math.max(MIN_OBJECT_SIZE, chunk.longestLine + 1024);
    try {
      await this.clearTableOnFirstLoad(stream);
      if (target.keyProperties.length > 0 && !target.hidesRowid && batch.lastRowidBefore === undefined) {
        batch.lastRowidBefore = await this.lastRowid(target);
      }
      const check = plan.check(objectSize);
      if (check) await this.connection.run(check, file);
      const deleteKeys = plan.deleteKeys(objectSize);
      if (deleteKeys) await this.connection.run(deleteKeys, file);
      const before = plan.ambiguous.length > 0 ? await this.lastRowid(target) : undefined;
      const parameters = this.settings.add_metadata_columns ? [...file, this.batch.startedAt] : file;
      const insert = () => this.connection.run(plan.insert(objectSize), parameters);
      await (stream.threads > 1 ? this.insertThreads.run(stream.threads, insert) : insert());
      if (before !== undefined && (await this.ambiguousRows(stream, before)) > 0) {
        const refused = await this.explainChunk(stream, chunk);
        if (refused) throw refused;
      }
      batch.merged = true;
    } catch (error) {
      if (error instanceof SingerInputError) throw error;
      const refused = await this.explainChunk(stream, chunk);
      if (refused) throw refused;
      const [first, last] = chunk.lineRange;
      throw new LoadError(`loading a batch failed: ${this.memory.describe(error, stream.columnCount)} (loading the records of lines ${first} to ${last})`, { source: this.source, stream: stream.name });
    }
    chunk.reset();
  }

  private async lastRowid(target: MergeTarget): Promise<bigint> {
    return (await this.connection.runAndReadAll(lastRowidStatement(target))).getRowsJS()[0]?.[0] as bigint;
  }

  /** Rows a chunk inserted (rowid above `before`) with SQL NULL in a column whose missing and null the schema tells apart. */
  private async ambiguousRows(stream: LoadedStream, before: bigint): Promise<number> {
    return Number((await this.connection.runAndReadAll(nullsAfterStatement(stream.target, stream.plan.ambiguous), [before])).getRowsJS()[0]?.[0]);
  }

  /** Once a stream's chunks of the batch are merged: the rows they replace go (upsert), then hard_delete's rows marked deleted. */
  private async finishBatch(stream: LoadedStream, batch: StreamBatch): Promise<void> {
    if (!batch.merged) return;
    const deleteMarked = deleteMarkedStatement(stream.target);
    try {
      const before = batch.lastRowidBefore;
      if (before !== undefined && stream.threads > 1) await this.connection.run(replaceByKeyInSequenceStatement(stream.target), [before, before]);
      else if (before !== undefined) await this.connection.run(replaceByKeyStatement(stream.target), [before]);
      if (deleteMarked) await this.connection.run(deleteMarked);
    } catch (error) {
      throw new LoadError(`loading a batch failed: ${this.memory.describe(error, stream.columnCount)}`, { stream: stream.name });
    }
  }

  /** load_method overwrite: the stream's first load empties its table, inside the load's transaction, so a run that fails before its commit keeps the old rows. */
  private async clearTableOnFirstLoad(stream: LoadedStream): Promise<void> {
    if (!stream.replaceRows) return;
    await this.connection.run(`DELETE FROM ${qualifiedName(stream.target.schema, stream.target.table)}`);
    stream.replaceRows = false;
  }

  /** Columns of the widest table loaded (what a failed commit, which covers every stream, is most likely about). */
  private widestTable(): number {
    return Math.max(0, ...[...this.streams.values()].map((stream) => stream.columnCount));
  }

  private async emitPendingState(): Promise<void> {
    if (!this.pendingState) return;
    const { value } = this.pendingState;
    this.pendingState = undefined;
    await this.emitState(value);
  }
}
