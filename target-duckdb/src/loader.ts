import type { DuckDBConnection } from "@duckdb/node-api";
import type { LoadedTable } from "./summary.js";
import {
  SingerInputError,
  type ActivateVersionMessage,
  type Logger,
  type ReadItem,
  type RecordMessage,
  type SchemaMessage,
  type JsonSchema,
} from "../../singer/src/index.js";
import { BatchLoader, BatchLoadError } from "./batch-load.js";
import { batchMessageOf, BatchShapeError } from "./batch-files.js";
import { BatchKeys, untrackedChunkKeys, type ChunkKeys } from "./batch-keys.js";
import {
  activateVersionStatement,
  deleteMarkedStatement,
  deleteReplacedByBatchStatement,
  lastRowidStatement,
  METADATA_COLUMNS,
  mergeStatements,
  type MergeTarget,
} from "./merge.js";
import { isBigint, keyProblem, valueProblem } from "./record-checks.js";
import { RecordValidators, type RecordValidator } from "./record-validator.js";
import { memoryLimitBytes, type TargetSettings } from "./settings.js";
import { LoadError } from "./load-error.js";
import { StreamStage } from "./stream-stage.js";
import { ColumnTypeChangeError, createSchemaIfMissing, prepareTable, type PreparedTable } from "./table-ddl.js";
import { columnsForSchema, type ColumnSpec } from "./type-mapping.js";
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
  /** Two staging tables: records go to `active` while DuckDB merges the other in the background. */
  active: StreamStage;
  spare: StreamStage;
  received: number;
  /** Rows received since the last commit, and when the first of them arrived (ms since epoch). */
  uncommitted: number;
  oldestUncommittedAt: number | undefined;
  /** The open batch's keys, tracked only where keys DuckDB finds equal always have equal key texts (see keyComparesAsText). */
  batchKeys: BatchKeys | undefined;
  /** Whether rows replaced by the batch are deleted once at its end (one scan of the table) rather than for each merged chunk. */
  deletesReplacedPerBatch: boolean;
  batch: StreamBatch;
  /** load_method overwrite: the table's rows from before this run are deleted in the stream's first batch. */
  replaceRows: boolean;
  /** Staged rows merged at a time: fewer for wide tables. */
  chunkRows: number;
}

/** A stream's part in the open batch. */
interface StreamBatch {
  /** The table's largest rowid before the batch's first insert (null: the table was empty); undefined until then. */
  lastRowidBefore: bigint | null | undefined;
  /** A chunk left the rows marked deleted to the batch's end, after the rows they replace are gone. */
  deleteMarkedAtEnd?: boolean;
}

/**
 * Staged rows are merged into the open batch transaction a chunk at a time (a fifth of a batch,
 * at most 20,000 rows), so the staging table and each merge stay small; the commit still covers the whole batch.
 */
function mergeChunkRows(batchSizeRows: number): number {
  return Math.max(1, Math.min(20_000, Math.ceil(batchSizeRows / 5)));
}

/**
 * DuckDB memory one statement over a table takes per column, however few its rows: every column has
 * vectors of 2,048 values in the parsed chunk and the insert, and an open segment in the uncommitted
 * table, all held at once (measured: one record of 5,000 text properties needs a memory_limit of
 * about 900 MB, whatever the batch size).
 */
export const MEMORY_PER_COLUMN = 176 * 1024;
/** What DuckDB needs beside the columns' vectors. */
const MEMORY_BESIDE_COLUMNS = 128 * 1024 * 1024;

/** The memory_limit DuckDB needs to load a table of this many columns. */
export function memoryForColumns(columns: number): number {
  return MEMORY_BESIDE_COLUMNS + columns * MEMORY_PER_COLUMN;
}

/** Whether a table's columns take DuckDB more memory than its rows do: more than half the memory limit. */
function columnsDominate(columns: number, limitBytes: number): boolean {
  return columns * MEMORY_PER_COLUMN > limitBytes / 2;
}

/** The largest buffer DuckDB holds per column of a table it appends to (a storage block). */
const WIDE_BLOCK_PER_COLUMN = 256 * 1024;

function tableColumns(stream: LoadedStream): number {
  return stream.target.columns.length + (stream.target.metadata ? METADATA_COLUMNS.length : 0);
}

/** DuckDB processes 2,048 rows at a time: a merge of fewer rows than that takes less memory per column. */
const DUCKDB_VECTOR_ROWS = 2048;
/** DuckDB memory per value of a merged chunk while it is parsed (the parsed JSON document, the value's text). */
const MEMORY_PER_VALUE = 128;

/**
 * Rows per merged chunk for a table this wide: parsing a chunk takes memory per row and column, so
 * wide tables merge fewer rows at a time (keeping a chunk's parse within a quarter of memory_limit);
 * tables of up to some hundred columns keep `chunkRows`.
 */
function chunkRowsForColumns(columns: number, limitBytes: number, chunkRows: number): number {
  const rows = Math.floor(limitBytes / 4 / (Math.max(1, columns) * MEMORY_PER_VALUE));
  return rows >= DUCKDB_VECTOR_ROWS ? chunkRows : Math.max(1, Math.min(chunkRows, rows));
}

/**
 * Records whose JSON line is longer than this count towards `batchCharacterLimit`. DuckDB spills
 * an uncommitted batch's short strings to disk, but keeps long ones in memory until the commit
 * (measured at a 96MB memory_limit: 150 MB of 20 KB strings load in one batch, of 30 KB strings fail).
 */
const LARGE_RECORD_CHARACTERS = 8 * 1024;

/**
 * How much JSON of large records (in characters) a batch may hold before it is committed,
 * whatever its row count: a quarter of DuckDB's memory limit. Large records therefore commit in
 * smaller batches instead of running DuckDB out of memory, while batches of ordinary records
 * stay whole (committing those early would cost far more time than it saves memory).
 */
function batchCharacterLimit(limitBytes: number): number {
  return Math.max(1024 * 1024, Math.floor(limitBytes / 4));
}

/**
 * A record's key values as the text DuckDB casts back to the same values, or undefined when one
 * has no such form (an object, an integer beyond 2^53 that JavaScript has already rounded).
 */
function exactKeyTexts(record: Record<string, unknown>, keys: string[]): (string | null)[] | undefined {
  const texts: (string | null)[] = [];
  for (const key of keys) {
    const value = record[key];
    if (value === null || value === undefined) texts.push(null);
    else if (typeof value === "string") texts.push(value);
    else if (typeof value === "boolean") texts.push(String(value));
    else if (typeof value === "number" && (!Number.isInteger(value) || Number.isSafeInteger(value))) texts.push(String(value));
    else return undefined;
  }
  return texts;
}

/** A record's key as one string, to spot repeated keys; values DuckDB could cast to the same key map to the same string (or merely collide, which is harmless). */
function keyOf(record: Record<string, unknown>, keys: string[], texts: (string | null)[] | undefined): string {
  if (texts) return texts.length === 1 ? (texts[0] ?? "\u0000null") : JSON.stringify(texts);
  return JSON.stringify(keys.map((k) => record[k]));
}

/**
 * Whether two key values of a column of this type that DuckDB finds equal always have the same
 * key text: so for text, numbers and booleans once validation made sure of their JSON types; not
 * for timestamps and dates, which have many spellings of one value.
 */
function keyComparesAsText(type: ColumnSpec["type"] | undefined, validated: boolean): boolean {
  return validated && (type === "VARCHAR" || type === "BIGINT" || type === "DOUBLE" || type === "BOOLEAN");
}

/** How a record's key must look, said when one does not. */
/** What a RECORD or ACTIVATE_VERSION version may be: it is stored in the BIGINT column _sdc_table_version. */
const VERSION_RANGE = "version must be an integer from -2^63 to 2^63-1 (it is stored in the BIGINT column _sdc_table_version)";

const METADATA_NAMES = new Set(METADATA_COLUMNS.map((c) => c.name));

/** The metadata column a tap may fill itself: a record carrying it is deleted (marked, or removed with hard_delete). */
const DELETED_AT = "_sdc_deleted_at";

export type StateSink = (value: unknown) => Promise<void>;

/**
 * Applies Singer messages to DuckDB: SCHEMA prepares tables, RECORDs are staged per stream and
 * committed together in one transaction, and the latest STATE goes to `emitState` only once
 * everything received before it is committed.
 */
export class Loader {
  private readonly streams = new Map<string, LoadedStream>();
  private readonly validators = new RecordValidators();
  private readonly warnedTypes = new Set<string>();
  private readonly warnedNoKeys = new Set<string>();
  private pendingState: { value: unknown } | undefined;
  private schemaCreated = false;
  private stagesCreated = 0;
  /** The batch transaction, open from the first merged chunk until the commit. */
  private batch: { startedAt: string } | undefined;
  private readonly chunkRows: number;
  /** memory_limit in bytes, and DuckDB's limit now (raised for wide tables). */
  private readonly memoryLimit: number;
  private duckdbMemoryLimit: number;
  private readonly batchCharacters: number;
  /** Characters of the large record lines received since the last commit, over all streams. */
  private uncommittedLargeCharacters = 0;
  /** A chunk merge running while records keep arriving, and how the last one failed, if it did. */
  private background: Promise<void> | undefined;
  private backgroundFailure: unknown;
  private batchLoader: BatchLoader | undefined;
  /** The asynchronous work in progress (a flush, a schema change), if any; nothing else may touch the database meanwhile. */
  busy: Promise<void> | undefined;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly settings: TargetSettings,
    private readonly logger: Logger,
    private readonly emitState: StateSink,
    private readonly source = "stdin",
  ) {
    this.chunkRows = mergeChunkRows(settings.batch_size_rows);
    this.memoryLimit = memoryLimitBytes(settings.memory_limit);
    this.duckdbMemoryLimit = this.memoryLimit;
    this.batchCharacters = batchCharacterLimit(this.memoryLimit);
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

  private handleRecord(message: RecordMessage, lineNumber: number, line: string): Promise<void> | undefined {
    if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
    const stream = this.streams.get(message.stream);
    if (!stream) throw this.inputError("RECORD arrived before the stream's SCHEMA", lineNumber, message.stream);
    const badKey = keyProblem(stream.keyProperties, message.record);
    if (badKey) throw this.inputError(badKey.message, lineNumber, message.stream, badKey.field);
    if (message.version !== undefined && !isBigint(message.version)) throw this.inputError(VERSION_RANGE, lineNumber, message.stream, "version");
    const badValue = valueProblem(stream, message.record);
    if (badValue) throw this.inputError(badValue.message, lineNumber, message.stream, badValue.field);
    const keyTexts = stream.keyProperties.length > 0 ? exactKeyTexts(message.record, stream.keyProperties) : undefined;
    stream.batchKeys?.add(keyOf(message.record, stream.keyProperties, keyTexts));
    try {
      stream.active.append(line, (performance.timeOrigin + performance.now()) * 1000, keyTexts, stream.keyProperties.length);
    } catch (error) {
      // A failed background merge aborts the transaction, and appending fails with a message that hides why: report the merge's failure.
      if (this.background || this.backgroundFailure !== undefined) return this.settleBackground().then(() => Promise.reject(error));
      throw error;
    }
    stream.received += 1;
    if (stream.uncommitted === 0) stream.oldestUncommittedAt = Date.now();
    stream.uncommitted += 1;
    if (stream.uncommitted >= this.settings.batch_size_rows) return this.commitInBackground();
    if (line.length > LARGE_RECORD_CHARACTERS) {
      this.uncommittedLargeCharacters += line.length;
      if (this.uncommittedLargeCharacters >= this.batchCharacters) return this.commitInBackground();
    }
    const chunkFull = stream.active.rows >= stream.chunkRows || stream.active.characters >= this.batchCharacters / 4;
    return chunkFull ? this.mergeInBackground(stream) : undefined;
  }

  private async handleSchema(message: SchemaMessage, lineNumber: number): Promise<void> {
    const { stream: name, schema } = message;
    const declaredKeys = message.key_properties ?? [];
    // append-only keeps every record as a new row: nothing is merged on the key.
    const keys = this.settings.load_method === "append-only" ? [] : declaredKeys;
    const signature = JSON.stringify([schema, message.key_properties]);
    const previous = this.streams.get(name);
    if (previous?.signature === signature) return;

    const fail = (text: string, field?: string) => this.inputError(text, lineNumber, name, field);
    if (message.key_properties === undefined) this.noKeyProperties(message, lineNumber, fail);
    if (typeof schema.properties !== "object" || schema.properties === null || Array.isArray(schema.properties)) {
      throw fail('schema has no "properties" object', "schema.properties");
    }
    for (const key of declaredKeys) {
      if (!(key in schema.properties)) throw fail("key property is not among the schema's properties", key);
    }
    if (declaredKeys.length === 0 && this.settings.primary_key_required) {
      throw fail("stream has no key_properties and primary_key_required is set", "key_properties");
    }
    let validate: RecordValidator | undefined;
    if (this.settings.validate_records) {
      try {
        validate = this.validators.forSchema(schema);
      } catch (error) {
        throw fail(`schema cannot be compiled: ${(error as Error).message}`, "schema");
      }
    }
    const declared = columnsForSchema(schema, this.settings.flattening_max_level, declaredKeys);
    this.checkMetadataNames(declared, fail);
    // A declared _sdc_deleted_at fills the metadata column of that name.
    const wanted = declared.filter((column) => !(this.settings.add_metadata_columns && column.name === DELETED_AT));
    const seen = new Map<string, string>();
    for (const column of wanted) {
      const other = seen.get(column.name.toLowerCase());
      if (other !== undefined) throw fail(`properties "${other}" and "${column.name}" would share one column (names are case-insensitive)`, column.name);
      seen.set(column.name.toLowerCase(), column.name);
    }

    const namesake = [...this.streams.keys()].find((other) => other !== name && other.toLowerCase() === name.toLowerCase());
    if (namesake !== undefined) throw fail(`streams "${namesake}" and "${name}" would share one table (DuckDB names are case-insensitive)`);

    await this.settleBackground();
    // Table changes run outside batch transactions: commit first if this stream has rows pending or a batch is open.
    if (this.batch || (previous && previous.uncommitted > 0)) await this.flushAll();
    await this.fitMemoryToColumns(name, wanted.length + (this.settings.add_metadata_columns ? METADATA_COLUMNS.length : 0));
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
      throw new LoadError(`preparing table ${this.settings.schema}.${name} failed: ${this.describeDatabaseError(error, wanted.length)}`, { source: this.source, lineNumber, stream: name });
    }
    const columns = table.columns.slice(0, wanted.length);
    // Staging tables have one column per key property: new key properties need new tables (the old ones are empty now).
    const sameKeys = previous !== undefined && previous.keyProperties.length === keys.length;
    if (previous && !sameKeys) {
      previous.active.close();
      previous.spare.close();
    }
    const target: MergeTarget = {
      schema: this.settings.schema,
      table: name,
      columns,
      keyProperties: keys,
      metadata: this.settings.add_metadata_columns,
      hardDelete: this.settings.hard_delete,
    };
    const keysEqualAsText =
      keys.length > 0 && keys.every((key) => keyComparesAsText(columns.find((c) => c.path.length === 1 && c.path[0] === key)?.type, validate !== undefined));
    this.streams.set(name, {
      name,
      signature,
      schema,
      keyProperties: keys,
      columns,
      validate,
      bigintPaths: validate ? columns.filter((c) => c.type === "BIGINT").map((c) => c.path) : [],
      target,
      active: sameKeys ? previous.active : await StreamStage.create(this.connection, this.stagesCreated++, keys.length),
      spare: sameKeys ? previous.spare : await StreamStage.create(this.connection, this.stagesCreated++, keys.length),
      received: previous?.received ?? 0,
      uncommitted: 0,
      oldestUncommittedAt: undefined,
      batchKeys: keysEqualAsText ? new BatchKeys() : undefined,
      // A column named rowid hides the pseudocolumn the batch-end delete relies on.
      deletesReplacedPerBatch: keysEqualAsText && !table.columnNames.has("rowid"),
      batch: { lastRowidBefore: undefined },
      replaceRows: previous ? previous.replaceRows : this.settings.load_method === "overwrite",
      chunkRows: chunkRowsForColumns(target.columns.length + (target.metadata ? METADATA_COLUMNS.length : 0), this.memoryLimit, this.chunkRows),
    });
  }

  /**
   * A SCHEMA without key_properties (the Singer spec requires them; some taps, the Meltano SDK's
   * own test streams among them, leave them out or put them inside "schema"): no keys, so records
   * append; one warning per stream. Refused when primary_key_required is set.
   */
  private noKeyProperties(message: SchemaMessage, lineNumber: number, fail: (text: string, field?: string) => SingerInputError): void {
    const nested = Array.isArray(message.schema["key_properties"]) ? ` (it has "key_properties" inside "schema", where the Singer spec does not look for them)` : "";
    if (this.settings.primary_key_required) {
      throw fail(`SCHEMA has no top-level "key_properties"${nested} and primary_key_required is set`, "key_properties");
    }
    if (this.warnedNoKeys.has(message.stream)) return;
    this.warnedNoKeys.add(message.stream);
    this.logger.forStream(message.stream).warn(
      `line ${lineNumber}: SCHEMA has no top-level "key_properties"${nested}: loading it without keys, every record appended as a new row (set primary_key_required to refuse such streams)`,
    );
  }

  /**
   * Raises DuckDB's memory limit when a table is too wide for it: the memory a statement needs
   * grows with the table's columns whatever its rows, and no batch size makes up for that.
   */
  private async fitMemoryToColumns(stream: string, columns: number): Promise<void> {
    if (!this.settings.memory_limit || !columnsDominate(columns, this.memoryLimit)) return;
    const needed = memoryForColumns(columns);
    if (needed <= this.duckdbMemoryLimit) return;
    const megabytes = Math.ceil(needed / 1024 / 1024);
    await this.connection.run(`SET memory_limit = '${megabytes}MiB'`);
    this.duckdbMemoryLimit = megabytes * 1024 * 1024;
    this.logger.forStream(stream).info(
      `${columns} columns: DuckDB's memory limit raised from ${this.settings.memory_limit} to ${megabytes}MiB for this run (DuckDB needs about ${MEMORY_PER_COLUMN / 1024} KiB per column of a table, however few its rows)`,
    );
  }

  /**
   * With metadata columns, a property may not take a metadata column's name (DuckDB compares
   * names without case), except _sdc_deleted_at, which keeps its meaning; that one, wherever it
   * marks deletions, must be a date-time.
   */
  private checkMetadataNames(columns: ColumnSpec[], fail: (text: string, field?: string) => SingerInputError): void {
    const { add_metadata_columns: metadata, hard_delete: hardDelete } = this.settings;
    for (const column of columns) {
      if (column.name === DELETED_AT) {
        if ((metadata || hardDelete) && column.type !== "TIMESTAMPTZ" && column.type !== "DATE") {
          throw fail(`${DELETED_AT} marks a record deleted and must be a date-time string (schema {"type": ["null", "string"], "format": "date-time"}); the stream declares it as ${column.type}`, column.name);
        }
      } else if (metadata && METADATA_NAMES.has(column.name.toLowerCase())) {
        throw fail(
          `property "${column.name}" has the name of a metadata column the target fills (${METADATA_COLUMNS.map((c) => c.name).join(", ")}; only ${DELETED_AT} may come from the tap): rename it, or set add_metadata_columns to false to load it as an ordinary column`,
          column.name,
        );
      }
    }
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
    this.batchLoader ??= new BatchLoader(this.connection, { metadata: this.settings.add_metadata_columns, logger: this.logger });
    const fail = (error: unknown): never => {
      if (error instanceof BatchLoadError) throw this.inputError(error.message, lineNumber, stream.name, error.field);
      throw new LoadError(`loading a BATCH failed: ${this.describeDatabaseError(error, tableColumns(stream))}`, { source: this.source, lineNumber, stream: stream.name });
    };
    await this.batchLoader.checkReadable(message).catch(fail);
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
      throw new LoadError(`committing a BATCH failed: ${this.describeDatabaseError(error, tableColumns(stream))}`, { source: this.source, lineNumber, stream: stream.name });
    }
  }

  /** Commits every stream's rows received so far in one transaction, then emits the latest state. */
  private async flushAll(): Promise<void> {
    await this.settleBackground();
    for (const stream of this.streams.values()) {
      if (stream.active.rows > 0) await this.mergeStaged(stream, stream.active, this.takeChunkKeys(stream), stream.batch);
    }
    for (const stream of this.streams.values()) await this.deleteReplacedByBatch(stream, stream.batch);
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
        return { stream, stage, chunkKeys: this.takeChunkKeys(stream), batch: stream.batch };
      });
    // The next batch starts now; the background work finishes this one.
    const batches = [...this.streams.values()].map((stream) => ({ stream, batch: stream.batch }));
    const state = this.pendingState;
    this.pendingState = undefined;
    this.startNextBatch();
    this.runInBackground(async () => {
      for (const { stream, stage, chunkKeys, batch } of full) await this.mergeStaged(stream, stage, chunkKeys, batch);
      for (const { stream, batch } of batches) await this.deleteReplacedByBatch(stream, batch);
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
      throw new LoadError(`committing a batch failed: ${this.describeDatabaseError(error, this.widestTable())}`);
    }
  }

  private startNextBatch(): void {
    this.uncommittedLargeCharacters = 0;
    for (const stream of this.streams.values()) {
      if (stream.uncommitted > 0) this.logger.forStream(stream.name).debug(`committing ${stream.uncommitted} rows`);
      stream.uncommitted = 0;
      stream.oldestUncommittedAt = undefined;
      stream.batchKeys?.startBatch();
      stream.batch = { lastRowidBefore: undefined };
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
    const chunkKeys = this.takeChunkKeys(stream);
    const batch = stream.batch;
    this.runInBackground(() => this.mergeStaged(stream, full, chunkKeys, batch));
    return undefined;
  }

  /** What the keys of the chunk now going to merging allow; the stream's next chunk starts. */
  private takeChunkKeys(stream: LoadedStream): ChunkKeys {
    return stream.batchKeys?.takeChunk() ?? untrackedChunkKeys(stream.keyProperties.length > 0);
  }

  /** Moves a staging table's rows into the stream's table inside the batch transaction (opening it if needed). */
  private async mergeStaged(stream: LoadedStream, stage: StreamStage, chunkKeys: ChunkKeys, batch: StreamBatch): Promise<void> {
    stage.seal();
    if (!this.batch) {
      await this.connection.run("BEGIN TRANSACTION");
      this.batch = { startedAt: new Date().toISOString() };
    }
    const { deleteReplaced, deleteReplacedByStagedKeys, insert, insertAll, deleteMarked } = mergeStatements(stream.target, stage.sqlName);
    const deferDelete = stream.deletesReplacedPerBatch && chunkKeys.newToBatch;
    const deleteStatement = deferDelete ? undefined : stage.keysExact && deleteReplacedByStagedKeys ? deleteReplacedByStagedKeys : deleteReplaced;
    try {
      await this.clearTableOnFirstLoad(stream);
      if (stream.deletesReplacedPerBatch && batch.lastRowidBefore === undefined) {
        const rows = (await this.connection.runAndReadAll(lastRowidStatement(stream.target))).getRowsJS();
        batch.lastRowidBefore = (rows[0]?.[0] ?? null) as bigint | null;
      }
      if (deleteStatement) await this.connection.run(deleteStatement);
      await this.connection.run(chunkKeys.distinct ? insertAll : insert, this.settings.add_metadata_columns ? [this.batch.startedAt] : []);
      // A deferred delete still needs the marked rows to find the rows they replace.
      if (deleteMarked && deferDelete) batch.deleteMarkedAtEnd = true;
      else if (deleteMarked) await this.connection.run(deleteMarked);
      await this.connection.run(stage.clearSql);
    } catch (error) {
      throw new LoadError(`loading a batch failed: ${this.describeDatabaseError(error, tableColumns(stream))}`, { stream: stream.name });
    }
    await stage.reset();
  }

  /** Deletes the rows from before the batch that its rows replace, for streams that defer this to the batch's end. */
  private async deleteReplacedByBatch(stream: LoadedStream, batch: StreamBatch): Promise<void> {
    const before = batch.lastRowidBefore;
    const deleteMarked = batch.deleteMarkedAtEnd ? deleteMarkedStatement(stream.target) : undefined;
    try {
      if (stream.deletesReplacedPerBatch && before !== undefined && before !== null) {
        await this.connection.run(deleteReplacedByBatchStatement(stream.target), [before, before]);
      }
      if (deleteMarked) await this.connection.run(deleteMarked);
    } catch (error) {
      throw new LoadError(`loading a batch failed: ${this.describeDatabaseError(error, tableColumns(stream))}`, { stream: stream.name });
    }
  }

  /**
   * DuckDB's message without its advice on SET statements; running out of memory names the cause
   * and the settings that help instead: for a wide table (`columns`, the widest involved) memory
   * goes to its columns, not its rows, so a smaller batch does not help.
   */
  /** load_method overwrite: the stream's first load empties its table, inside the load's transaction, so a run that fails before its commit keeps the old rows. */
  private async clearTableOnFirstLoad(stream: LoadedStream): Promise<void> {
    if (!stream.replaceRows) return;
    await this.connection.run(`DELETE FROM ${qualifiedName(stream.target.schema, stream.target.table)}`);
    stream.replaceRows = false;
  }

  private describeDatabaseError(error: unknown, columns = 0): string {
    const message = ((error as Error).message ?? String(error)).split("\n")[0] as string;
    if (!/out of memory|failed to pin block|failed to allocate|could not allocate/i.test(message)) return message;
    const limit = this.settings.memory_limit || "DuckDB's default";
    const raised = this.duckdbMemoryLimit > this.memoryLimit ? `, raised to ${Math.round(this.duckdbMemoryLimit / 1024 / 1024)}MiB for the widest table` : "";
    if (columnsDominate(columns, this.memoryLimit)) {
      const suggested = Math.ceil((memoryForColumns(columns) + columns * WIDE_BLOCK_PER_COLUMN) / 1024 / 1024);
      return (
        `${message} (memory_limit is ${limit}${raised}; the table has ${columns} columns, and DuckDB holds buffers of up to ${WIDE_BLOCK_PER_COLUMN / 1024} KiB per column ` +
        `while loading it, however few the rows: a smaller batch_size_rows does not help. Raise memory_limit to at least ${suggested}MiB, more for batches of thousands of rows)`
      );
    }
    return `${message} (memory_limit is ${limit}${raised}: raise it, or lower batch_size_rows)`;
  }

  /** Columns of the widest table loaded (what a failed commit, which covers every stream, is most likely about). */
  private widestTable(): number {
    return Math.max(0, ...[...this.streams.values()].map(tableColumns));
  }

  private async emitPendingState(): Promise<void> {
    if (!this.pendingState) return;
    const { value } = this.pendingState;
    this.pendingState = undefined;
    await this.emitState(value);
  }
}
