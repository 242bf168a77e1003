import type { DuckDBConnection } from "@duckdb/node-api";
import { availableParallelism } from "node:os";
import type { JsonSchema, Logger } from "../../singer/src/index.js";
import { firstBadLine, unreadableReason, type BatchMessage } from "./batch-files.js";
import { batchLoadPlan, uncheckedKeyword, type BatchLoadPlan } from "./batch-sql.js";
import { deleteMarkedStatement, keyColumnsOf, lastRowidStatement, METADATA_COLUMNS, nullsAfterStatement, replaceByKeyStatement, type MergeTarget } from "./merge.js";
import { keyProblem, valueProblem } from "./record-checks.js";
import type { RecordValidator } from "./record-validator.js";
import { qualifiedName, quoteIdentifier } from "./sql.js";
import type { ColumnSpec } from "./type-mapping.js";

/** What loading a stream's BATCH files needs to know about the stream. */
export interface BatchStreamInfo {
  name: string;
  schema: JsonSchema;
  columns: ColumnSpec[];
  keyProperties: string[];
  target: MergeTarget;
  validate: RecordValidator | undefined;
  bigintPaths: string[][];
}

/** A BATCH that cannot be loaded: what is wrong, in which file and line of it, and which field. */
export class BatchLoadError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const MIB = 1024 * 1024;

/**
 * DuckDB threads for loading BATCH files of a table this wide: every core, as far as memory_limit
 * allows. Without insertion order (more than one thread) nothing holds a thread's rows back, and
 * each thread keeps read_json's buffers (two of 32 MiB) and a block per column pinned. Measured
 * on 49 columns: two threads load at 224MB and run out of memory at 192MB (with DuckDB's default
 * row groups, already at 224MB), four run out at 256MB; this rule gives two from 241 MiB.
 */
export function batchThreads(memoryBytes: number, columns: number, cores = availableParallelism()): number {
  const perThread = 96 * MIB + columns * (MIB / 2);
  return Math.max(1, Math.min(cores, Math.floor(memoryBytes / perThread)));
}

/**
 * Runs inserts on more DuckDB threads than the target otherwise uses, without insertion order
 * when more than one (DuckDB's ordered insert keeps a second thread mostly waiting), then puts
 * the connection's own settings back. Shared by BATCH files and RECORD chunks.
 */
export class InsertThreads {
  /** DuckDB's thread count outside these inserts, read at the first one. */
  private own: number | undefined;

  constructor(private readonly connection: DuckDBConnection) {}

  async run<T>(threads: number, work: () => Promise<T>): Promise<T> {
    this.own ??= Number((await this.connection.runAndReadAll("SELECT current_setting('threads')")).getRowsJS()[0]?.[0]) || 1;
    const unordered = threads > 1;
    await this.connection.run(`SET threads = ${threads}`);
    if (unordered) await this.connection.run("SET preserve_insertion_order = false");
    try {
      return await work();
    } finally {
      // After a failed statement the transaction refuses even these: the failure itself is what to report.
      await this.connection.run(`SET threads = ${this.own}`).catch(() => undefined);
      if (unordered) await this.connection.run("SET preserve_insertion_order = true").catch(() => undefined);
    }
  }
}

function firstLine(error: unknown): string {
  return (((error as Error).message ?? String(error)).split("\n")[0] as string).trim();
}

/**
 * Loads the files of BATCH messages into their streams' tables with DuckDB's read_json, inside
 * the transaction the caller opened: the same columns, types, key upsert, metadata and record
 * checks as RECORD messages get.
 */
export class BatchLoader {
  /** Each stream's plan, made once per SCHEMA (a new SCHEMA brings a new stream object). */
  private readonly plans = new WeakMap<BatchStreamInfo, { plan: BatchLoadPlan; lineChecked: string | undefined }>();
  constructor(
    private readonly connection: DuckDBConnection,
    private readonly options: { metadata: boolean; logger: Logger; memoryBytes: number; threads: InsertThreads },
  ) {}

  /**
   * Before anything is committed or loaded: throws a BatchLoadError when the stream cannot take
   * BATCH files, or naming the first file that is missing or unreadable.
   */
  async checkLoadable(message: BatchMessage, stream: BatchStreamInfo): Promise<void> {
    if (stream.target.hidesRowid) {
      throw new BatchLoadError(`BATCH loading needs DuckDB's rowid, which the stream's column "rowid" hides: send RECORD messages for this stream`, "rowid");
    }
    for (const file of message.files) {
      const reason = await unreadableReason(file);
      if (reason) throw new BatchLoadError(`BATCH file ${file} ${reason}`, "manifest");
    }
  }

  /** Loads every file of the message; returns the number of rows read. */
  async load(message: BatchMessage, stream: BatchStreamInfo, batchedAt: string): Promise<number> {
    const { plan, lineChecked } = this.planFor(stream);
    const table = qualifiedName(stream.target.schema, stream.target.table);
    // Nothing else runs in this process while DuckDB reads the files: let it use the cores memory_limit has room for.
    const threads = batchThreads(this.options.memoryBytes, stream.columns.length + (this.options.metadata ? METADATA_COLUMNS.length : 0));
    return this.options.threads.run(threads, async () => {
      let rows = 0;
      for (const file of message.files) rows += await this.loadFile(file, message, stream, plan, lineChecked, table, batchedAt, threads);
      return rows;
    });
  }

  private planFor(stream: BatchStreamInfo): { plan: BatchLoadPlan; lineChecked: string | undefined } {
    const cached = this.plans.get(stream);
    if (cached) return cached;
    const plan = batchLoadPlan({ schema: stream.schema, columns: stream.columns, keyProperties: stream.keyProperties, metadata: this.options.metadata, validate: stream.validate !== undefined });
    // The plan checks the record's properties and required; an anyOf on the record itself is left to the line check.
    const unchecked = stream.validate ? (stream.schema.anyOf !== undefined ? "schema: anyOf" : uncheckedKeyword(stream.schema)) : undefined;
    const direct = new Set(stream.columns.filter((c) => c.path.length === 1).map((c) => c.path[0]));
    const indirect = plan.ambiguous.find((name) => !direct.has(name));
    const lineChecked = unchecked ?? (indirect !== undefined ? `schema.${indirect}: missing and null are told apart, and the property has no column of its own` : undefined);
    if (lineChecked) this.options.logger.forStream(stream.name).info(`BATCH records are validated line by line in JavaScript (${lineChecked} is not checked in SQL)`);
    const entry = { plan, lineChecked };
    this.plans.set(stream, entry);
    return entry;
  }

  private async explain(file: string, message: BatchMessage, stream: BatchStreamInfo, cause?: unknown): Promise<BatchLoadError | undefined> {
    const problem = await firstBadLine(file, message.compression, (record) => keyProblem(stream.keyProperties, record) ?? valueProblem(stream, record));
    if (problem) {
      if (problem.line === 0) return new BatchLoadError(`BATCH file ${file} ${problem.message}`, "manifest");
      return new BatchLoadError(`BATCH file ${file}, line ${problem.line}: ${problem.message}`, problem.field);
    }
    if (cause === undefined) return undefined;
    return new BatchLoadError(`BATCH file ${file} could not be loaded: ${firstLine(cause)}`);
  }

  /** Whether two rows loaded after `before` share a key. */
  private async repeatsKey(target: MergeTarget, table: string, before: bigint): Promise<boolean> {
    const keys = keyColumnsOf(target).map((c) => quoteIdentifier(c.name)).join(", ");
    const sql = `SELECT EXISTS (SELECT 1 FROM ${table} WHERE rowid > ? GROUP BY ${keys} HAVING count(*) > 1)`;
    return (await this.connection.runAndReadAll(sql, [before])).getRowsJS()[0]?.[0] === true;
  }

  private async loadFile(
    file: string,
    message: BatchMessage,
    stream: BatchStreamInfo,
    plan: BatchLoadPlan,
    lineChecked: string | undefined,
    table: string,
    batchedAt: string,
    threads: number,
  ): Promise<number> {
    const unordered = threads > 1;
    if (lineChecked) {
      const refused = await this.explain(file, message, stream);
      if (refused) throw refused;
    }
    const before = (await this.connection.runAndReadAll(lastRowidStatement(stream.target))).getRowsJS()[0]?.[0] as bigint;
    const receivedAt = new Date().toISOString();
    const where = plan.valid ? ` WHERE CASE WHEN ${plan.valid} THEN true ELSE error('a BATCH record does not match the schema') END` : "";
    // A BATCH has no time per record: _sdc_extracted_at is the message's time_extracted, else the time it was received (its files were complete by then).
    const extractedAt = quoteIdentifier("_sdc_extracted_at");
    const values = plan.values.map((value, i) => (this.options.metadata && plan.insertColumns[i] === extractedAt ? "CAST($6 AS TIMESTAMPTZ)" : value));
    const insert =
      `INSERT INTO ${table} (${plan.insertColumns.join(", ")}) SELECT ${values.join(", ")} ` +
      `FROM read_json($1, format = 'newline_delimited', compression = '${message.compression === "gzip" ? "gzip" : "uncompressed"}', columns = ${plan.readColumns}) AS r${where}`;
    // _sdc_sequence on the RECORD path's scale (chunk-file.ts SequenceClock: microseconds × 1,000), so later loads sort later whichever path they took.
    const parameters = this.options.metadata ? [file, receivedAt, batchedAt, BigInt(Date.now()) * 1_000_000n, message.version ?? null, message.timeExtracted ?? receivedAt] : [file];
    const insertRows = async (): Promise<number> => {
      try {
        return Number((await this.connection.run(insert, parameters)).rowsChanged);
      } catch (error) {
        throw (await this.explain(file, message, stream, error)) ?? new BatchLoadError(`BATCH file ${file} could not be loaded: ${firstLine(error)}`);
      }
    };
    let rows = await insertRows();
    const keyed = stream.target.keyProperties.length > 0;
    // Read by several threads, the rows land out of line order; the upsert keeps a key's last row,
    // so a file that repeats a key is loaded again in order (DuckDB's ordered insert holds each
    // thread's rows back within a quarter of memory_limit, which leaves one thread working).
    const repeats = keyed && unordered && (await this.repeatsKey(stream.target, table, before));
    if (repeats) {
      // In order, one thread: a second one would mostly wait for the first (spinning: twice the CPU time).
      await this.connection.run(`DELETE FROM ${table} WHERE rowid > ?`, [before]);
      await this.connection.run("SET preserve_insertion_order = true");
      await this.connection.run("SET threads = 1");
      rows = await insertRows();
      await this.connection.run(`SET threads = ${threads}`);
      await this.connection.run("SET preserve_insertion_order = false");
    }
    if (stream.validate && plan.ambiguous.length > 0 && !lineChecked) {
      const count = (await this.connection.runAndReadAll(nullsAfterStatement(stream.target, plan.ambiguous), [before])).getRowsJS()[0]?.[0];
      if (Number(count) > 0) {
        const refused = await this.explain(file, message, stream);
        if (refused) throw refused;
      }
    }
    // Into a table that was empty, a file without repeated keys replaces nothing.
    if (keyed && (before >= 0n || repeats)) await this.connection.run(replaceByKeyStatement(stream.target), [before]);
    const deleteMarked = deleteMarkedStatement(stream.target);
    if (deleteMarked) await this.connection.run(deleteMarked);
    return rows;
  }
}
