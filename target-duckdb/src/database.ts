/**
 * Opens the database named by the `path` setting: a local file (its missing parent folders are
 * created; an existing file that is not a DuckDB database is refused before DuckDB sees it, since
 * DuckDB itself opens a `.json` or `.csv` path as an in-memory database), `:memory:`, or a path one of
 * DuckDB's extensions understands (`md:` for MotherDuck, `ducklake:` for a DuckLake catalog).
 * Nothing is read from the input before the database is open, so a failure here loses nothing.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { mkdirSync, openSync, readSync, closeSync, statSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { ConfigError } from "../../singer/src/index.js";
import { quoteIdentifier, quoteString } from "./sql.js";

/** Path prefixes handled by a DuckDB extension, and that extension. */
const EXTENSION_PATHS: Array<{ prefix: RegExp; extension: string; what: string }> = [
  { prefix: /^(md|motherduck):/i, extension: "motherduck", what: "MotherDuck" },
  { prefix: /^ducklake:/i, extension: "ducklake", what: "DuckLake" },
];

/** DuckDB's file header: a checksum (8 bytes), then the magic bytes "DUCK". */
const MAGIC = Buffer.from("DUCK");

export interface DatabaseOptions {
  path: string;
  /** DuckDB configuration options (threads, memory_limit, motherduck_token). */
  config: Record<string, string>;
  /** Values that must never appear in an error (tokens). */
  secrets: string[];
  /** The schema the target loads into: a local file's catalog must not share its name (DuckDB would call the name ambiguous). */
  schema: string;
}

function extensionFor(path: string): { extension: string; what: string } | undefined {
  return EXTENSION_PATHS.find((e) => e.prefix.test(path));
}

function startsWithMagic(path: string): boolean {
  const header = Buffer.alloc(12);
  const fd = openSync(path, "r");
  try {
    const read = readSync(fd, header, 0, header.length, 0);
    return read === header.length && header.subarray(8, 12).equals(MAGIC);
  } finally {
    closeSync(fd);
  }
}

/** Refuses an existing file that is not a DuckDB database (DuckDB would open it in memory and keep nothing). */
export function refuseNonDuckDbFile(path: string, where = 'setting "path"'): void {
  const absolute = resolve(path);
  const stats = statSync(absolute, { throwIfNoEntry: false });
  if (stats?.isFile() && stats.size > 0 && !startsWithMagic(absolute)) {
    throw new ConfigError(
      `${where}: ${path} exists but is not a DuckDB database file; refusing to use it ` +
        `(DuckDB would open it as an empty in-memory database and keep nothing). Give a new or existing .duckdb file.`,
    );
  }
}

/** Checks a local database path before DuckDB sees it, and creates its missing parent folders. */
export function prepareLocalPath(path: string): void {
  refuseNonDuckDbFile(path);
  if (!statSync(resolve(path), { throwIfNoEntry: false })) mkdirSync(dirname(resolve(path)), { recursive: true });
}

/** Whether a path names a file on this machine (not :memory:, md: or ducklake:). */
export function isLocalFile(path: string): boolean {
  return !path.startsWith(":memory:") && extensionFor(path) === undefined;
}

/** A path as it may be shown: a token in its query string (md:db?motherduck_token=…) is masked. */
export function displayPath(path: string): string {
  return path.replace(/(token=)[^&]*/gi, "$1***");
}

function redact(text: string, secrets: string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((out, secret) => out.split(secret).join("***"), text);
}

/**
 * Rows per row group of a local database file (DuckDB's default is 122,880). An insert writes each
 * thread's rows to the file as a row group fills; until then they are held in memory, spilled to
 * the temporary folder past memory_limit, and written by the commit alone, on one thread. With
 * row groups a quarter of the default, a BATCH of 200,000 contacts on 2 cores committed in 0.04 s
 * instead of 0.3 s, and its wall time fell to that of read_json (bench/README.md).
 */
export const ROW_GROUP_SIZE = 32_768;

/**
 * The name a local database file is attached under: its file name without extension, as DuckDB
 * would name it, unless DuckDB reserves that name; never the schema's name (tap_intercom.duckdb
 * with schema tap_intercom made every table name ambiguous).
 */
function catalogName(path: string, schema: string): string {
  const stem = basename(path, extname(path));
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(stem) && !["memory", "system", "temp", "main"].includes(stem.toLowerCase()) ? stem : "target";
  return name.toLowerCase() === schema.toLowerCase() ? `${name}_database` : name;
}

/** A connection to the database openDatabase opened: for a local file, its catalog is the default. */
export async function connectDatabase(instance: DuckDBInstance, path: string, schema: string): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  if (isLocalFile(path)) await connection.run(`USE ${quoteIdentifier(catalogName(path, schema))}`);
  return connection;
}

/**
 * Opens the database, or throws a ConfigError saying which setting or extension is the problem.
 * A local file is attached to an in-memory instance, which is how DuckDB takes a row group size
 * (ROW_GROUP_SIZE); connect with connectDatabase.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DuckDBInstance> {
  const { path, config, secrets } = options;
  const local = isLocalFile(path);
  if (local) prepareLocalPath(path);
  let instance: DuckDBInstance;
  try {
    if (local) {
      // Spilled data goes next to the file, where DuckDB puts it for a file it opens itself.
      instance = await DuckDBInstance.create(":memory:", { ...config, temp_directory: `${resolve(path)}.tmp` });
      const connection = await instance.connect();
      try {
        await connection.run(`ATTACH ${quoteString(resolve(path))} AS ${quoteIdentifier(catalogName(path, options.schema))} (ROW_GROUP_SIZE ${ROW_GROUP_SIZE})`);
      } catch (error) {
        connection.closeSync();
        instance.closeSync();
        throw error;
      }
      connection.closeSync();
    } else {
      instance = await DuckDBInstance.create(path, config);
    }
  } catch (error) {
    const inPath = [...path.matchAll(/token=([^&]*)/gi)].map((m) => m[1] ?? "");
    const message = redact(error instanceof Error ? error.message : String(error), [...secrets, ...inPath]);
    const needs = extensionFor(path);
    if (needs && /extension/i.test(message)) {
      throw new ConfigError(
        `setting "path" ${JSON.stringify(displayPath(path))} needs DuckDB's ${needs.extension} extension (${needs.what}), which could not be loaded; ` +
          `nothing was read or loaded. Run once with network access so DuckDB can install it, or install it ahead with ` +
          `INSTALL ${needs.extension}. DuckDB said: ${message.split("\n")[0] ?? message}`,
      );
    }
    throw new ConfigError(`setting "path" ${JSON.stringify(displayPath(path))}: ${message}`);
  }
  return instance;
}
