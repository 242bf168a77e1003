import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
import { InternalError } from "../../singer/src/index.js";
import { quoteIdentifier } from "./sql.js";

/**
 * A stream's staging area: a temporary table holding RECORD lines as received, filled through
 * the DuckDB appender and merged into the target table a chunk at a time. Being temporary, it
 * vanishes with the process, so a crash leaves nothing behind.
 */
export class StreamStage {
  private appender: DuckDBAppender | undefined;
  private rowCount = 0;
  private textLength = 0;
  private allKeysExact = true;

  private constructor(
    private readonly connection: DuckDBConnection,
    /** Name of the temporary table (never derived from data). */
    readonly table: string,
  ) {}

  /** `keyCount` text columns k0… hold each row's key values, so finding replaced rows needs no JSON parsing. */
  static async create(connection: DuckDBConnection, index: number, keyCount: number): Promise<StreamStage> {
    const stage = new StreamStage(connection, `target_duckdb_stage_${index}`);
    const keyColumns = Array.from({ length: keyCount }, (_, i) => `, k${i} VARCHAR`).join("");
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${stage.sqlName} (line VARCHAR, received_us DOUBLE${keyColumns})`);
    await stage.open();
    return stage;
  }

  get sqlName(): string {
    return `temp.main.${quoteIdentifier(this.table)}`;
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Characters of the staged lines: what the staged rows weigh. */
  get characters(): number {
    return this.textLength;
  }

  private async open(): Promise<void> {
    this.appender = await this.connection.createAppender(this.table, "main", "temp");
  }

  /**
   * Buffers one RECORD line; `receivedUs` is when it was read, in microseconds since the epoch;
   * `keys` the key values as exact text, or undefined when some value has no exact text form.
   */
  append(line: string, receivedUs: number, keys: readonly (string | null)[] | undefined, keyCount: number): void {
    const appender = this.appender;
    if (!appender) throw new InternalError(`stage ${this.table} is closed`);
    appender.appendVarchar(line);
    appender.appendDouble(receivedUs);
    if (keys) {
      for (const key of keys) {
        if (key === null) appender.appendNull();
        else appender.appendVarchar(key);
      }
    } else {
      this.allKeysExact = false;
      for (let i = 0; i < keyCount; i++) appender.appendNull();
    }
    appender.endRow();
    this.rowCount += 1;
    this.textLength += line.length;
  }

  /** Whether the k… columns hold every staged row's keys exactly. */
  get keysExact(): boolean {
    return this.allKeysExact;
  }

  /** Hands every buffered row to the table, ready for merging. */
  seal(): void {
    this.appender?.closeSync();
    this.appender = undefined;
  }

  /** Statement that empties the table once its rows are merged. */
  get clearSql(): string {
    return `DELETE FROM ${this.sqlName}`;
  }

  /** After the rows were merged: start buffering anew. */
  async reset(): Promise<void> {
    this.rowCount = 0;
    this.textLength = 0;
    this.allKeysExact = true;
    if (!this.appender) await this.open();
  }

  /** Releases the appender. Rows still buffered are dropped: they were merged already, or the run is failing and they must not load. */
  close(): void {
    try {
      this.appender?.closeSync();
    } catch {
      // Closing flushes buffered rows; after a failure that flush fails too and would hide the failure's own message.
    } finally {
      this.appender = undefined;
    }
  }
}
