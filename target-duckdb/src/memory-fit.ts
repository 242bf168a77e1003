/**
 * How much DuckDB may hold for the target: memory_limit, raised for tables too wide for it unless
 * the user set it, chunk and batch sizes that keep a load within it, and out-of-memory errors
 * explained in terms of the settings that help.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Logger } from "../../singer/src/index.js";
import { memoryLimitBytes, type ResolvedSettings } from "./settings.js";

/**
 * RECORD lines are loaded a chunk at a time into the open batch transaction. A chunk is a whole
 * batch: its lines wait on disk, not in memory, and each chunk costs DuckDB a statement and a read of
 * its file (chunks of 20,000 contacts cost about a tenth more CPU than chunks of 100,000); wide
 * tables take fewer (chunkRowsForColumns).
 */
export function mergeChunkRows(batchSizeRows: number): number {
  return Math.max(1, batchSizeRows);
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
export function columnsDominate(columns: number, limitBytes: number): boolean {
  return columns * MEMORY_PER_COLUMN > limitBytes / 2;
}

/** The largest buffer DuckDB holds per column of a table it appends to (a storage block). */
const WIDE_BLOCK_PER_COLUMN = 256 * 1024;

/** The memory_limit to advise for a table this wide (MiB): what the columns take, with room for a storage block per column. */
function suggestedMemoryMiB(columns: number): number {
  return Math.ceil((memoryForColumns(columns) + columns * WIDE_BLOCK_PER_COLUMN) / 1024 / 1024);
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
export function chunkRowsForColumns(columns: number, limitBytes: number, chunkRows: number): number {
  const rows = Math.floor(limitBytes / 4 / (Math.max(1, columns) * MEMORY_PER_VALUE));
  return rows >= DUCKDB_VECTOR_ROWS ? chunkRows : Math.max(1, Math.min(chunkRows, rows));
}

/**
 * Records whose JSON line is longer than this count towards `batchCharacterLimit`. DuckDB spills
 * an uncommitted batch's short strings to disk, but keeps long ones in memory until the commit
 * (measured at a 96MB memory_limit: 150 MB of 20 KB strings load in one batch, of 30 KB strings fail).
 */
export const LARGE_RECORD_CHARACTERS = 8 * 1024;

/**
 * How much JSON of large records (in characters) a batch may hold before it is committed,
 * whatever its row count: a quarter of DuckDB's memory limit. Large records therefore commit in
 * smaller batches instead of running DuckDB out of memory, while batches of ordinary records
 * stay whole (committing those early would cost far more time than it saves memory).
 */
export function batchCharacterLimit(limitBytes: number): number {
  return Math.max(1024 * 1024, Math.floor(limitBytes / 4));
}

/** DuckDB's memory limit for this run: the memory_limit setting, raised for wide tables when the user left it unset. */
export class MemoryFit {
  /** memory_limit in bytes, and DuckDB's limit now. */
  readonly limitBytes: number;
  private duckdbLimit: number;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly settings: Pick<ResolvedSettings, "memory_limit" | "given">,
    private readonly logger: Logger,
  ) {
    this.limitBytes = memoryLimitBytes(settings.memory_limit);
    this.duckdbLimit = this.limitBytes;
  }

  /**
   * Raises DuckDB's memory limit when a table is too wide for it: the memory a statement needs
   * grows with the table's columns whatever its rows, and no batch size makes up for that. A
   * memory_limit the user set is kept: they are told what it would take instead.
   */
  async fitColumns(stream: string, columns: number): Promise<void> {
    if (!this.settings.memory_limit || !columnsDominate(columns, this.limitBytes)) return;
    const needed = memoryForColumns(columns);
    if (needed <= this.duckdbLimit) return;
    if (this.settings.given.has("memory_limit")) {
      this.logger.forStream(stream).warn(
        `${columns} columns: DuckDB needs about ${MEMORY_PER_COLUMN / 1024} KiB per column of a table however few its rows, more than memory_limit ${this.settings.memory_limit} allows; ` +
          `it is kept as you set it, so loading may run out of memory: set memory_limit to at least ${suggestedMemoryMiB(columns)}MiB (or leave it unset, and the target raises it for the run)`,
      );
      return;
    }
    const megabytes = Math.ceil(needed / 1024 / 1024);
    await this.connection.run(`SET memory_limit = '${megabytes}MiB'`);
    this.duckdbLimit = megabytes * 1024 * 1024;
    this.logger.forStream(stream).info(
      `${columns} columns: DuckDB's memory limit raised from ${this.settings.memory_limit} to ${megabytes}MiB for this run (DuckDB needs about ${MEMORY_PER_COLUMN / 1024} KiB per column of a table, however few its rows)`,
    );
  }

  /**
   * DuckDB's message without its advice on SET statements; running out of memory names the cause
   * and the settings that help instead: for a wide table (`columns`, the widest involved) memory
   * goes to its columns, not its rows, so a smaller batch does not help.
   */
  describe(error: unknown, columns = 0): string {
    const message = ((error as Error).message ?? String(error)).split("\n")[0] as string;
    if (!/out of memory|failed to pin block|failed to allocate|could not allocate/i.test(message)) return message;
    const limit = this.settings.memory_limit || "DuckDB's default";
    const raised = this.duckdbLimit > this.limitBytes ? `, raised to ${Math.round(this.duckdbLimit / 1024 / 1024)}MiB for the widest table` : "";
    if (columnsDominate(columns, this.limitBytes)) {
      return (
        `${message} (memory_limit is ${limit}${raised}; the table has ${columns} columns, and DuckDB holds buffers of up to ${WIDE_BLOCK_PER_COLUMN / 1024} KiB per column ` +
        `while loading it, however few the rows: a smaller batch_size_rows does not help. Raise memory_limit to at least ${suggestedMemoryMiB(columns)}MiB, more for batches of thousands of rows)`
      );
    }
    return `${message} (memory_limit is ${limit}${raised}: raise it, or lower batch_size_rows)`;
  }
}
