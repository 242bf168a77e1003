/** Helpers for the target's tests: run the built CLI on messages and read the resulting DuckDB file. */
import { DuckDBInstance } from "@duckdb/node-api";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { REPO_ROOT, runCommand, TARGET_BIN, type RunResult } from "../../test/helpers.js";
import { METADATA_COLUMNS } from "../src/merge.js";

/** A fresh directory for one test's database, removed by `cleanup`. */
export function tempDatabase(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "target-duckdb-test-"));
  return { path: join(dir, "test.duckdb"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function ndjson(messages: unknown[]): string {
  return messages.map((m) => JSON.stringify(m)).join("\n") + "\n";
}

/** Env for a run: the database path plus settings given as TARGET_DUCKDB_* variables. */
export function targetEnv(path: string, settings: Record<string, string | number | boolean> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { TARGET_DUCKDB_PATH: path };
  for (const [name, value] of Object.entries(settings)) env[`TARGET_DUCKDB_${name.toUpperCase()}`] = String(value);
  return env;
}

export function runTarget(path: string, input: string, settings: Record<string, string | number | boolean> = {}): Promise<RunResult> {
  return runCommand(TARGET_BIN, ["--config", "/dev/null"], { input, env: targetEnv(path, settings) });
}

/** State lines a run printed, parsed. */
export function stateLines(result: RunResult): unknown[] {
  return result.stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown);
}

/** Runs one query against a database file and returns its rows as JSON-friendly values. */
export async function query(path: string, sql: string, values: (string | number | boolean | null)[] = []): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(path);
  try {
    const connection = await instance.connect();
    try {
      return (await connection.runAndReadAll(sql, values)).getRowsJson() as unknown[][];
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

export async function columnTypes(path: string, schema: string, table: string): Promise<Record<string, string>> {
  const rows = await query(
    path,
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
    [schema, table],
  );
  return Object.fromEntries(rows.map(([name, type]) => [name as string, type as string]));
}

/** A target process fed by hand: write lines when the test decides, watch its stdout as it comes. */
export class LiveTarget {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = "";
  stderr = "";
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(path: string, settings: Record<string, string | number | boolean> = {}) {
    this.child = spawn(TARGET_BIN, ["--config", "/dev/null"], { cwd: REPO_ROOT, env: { ...process.env, ...targetEnv(path, settings) } });
    this.child.stdout.on("data", (chunk: Buffer) => (this.stdout += chunk.toString("utf8")));
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.child.stdin.on("error", () => undefined);
    this.exited = new Promise((resolve) => this.child.on("close", (code, signal) => resolve({ code, signal })));
  }

  write(messages: unknown[]): void {
    this.child.stdin.write(ndjson(messages));
  }

  /** Resolves once stdout holds at least `count` lines. */
  async waitForStdoutLines(count: number): Promise<void> {
    while (this.stdout.split("\n").filter((l) => l.length > 0).length < count) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.child.exitCode !== null) throw new Error(`target exited early: ${this.stderr}`);
    }
  }

  /** Resolves once stderr contains `text`. */
  async waitForStderr(text: string): Promise<void> {
    while (!this.stderr.includes(text)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.child.exitCode !== null) throw new Error(`target exited early: ${this.stderr}`);
    }
  }

  end(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }
}

type Message = { type: string; stream?: string; record?: Record<string, unknown>; key_properties?: string[]; value?: unknown };

/** A date-time string as microseconds since the epoch (DuckDB keeps microseconds; Date.parse only milliseconds). */
function epochMicros(text: string): number {
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? "";
  const micros = Number(fraction.padEnd(6, "0").slice(0, 6));
  return (Date.parse(text.replace(/\.\d+/, "")) / 1000) * 1_000_000 + micros;
}

/**
 * Checks that every field of every record of the file is in its stream's table as sent: the last
 * record per key (all records where a stream has no keys), date-times to the microsecond, numbers
 * exactly, nested values as the same JSON.
 */
export async function assertRoundTrip(path: string, lines: string, schema = "tap_intercom"): Promise<number> {
  const latest = new Map<string, { keys: string[]; rows: Map<string, Record<string, unknown>> }>();
  let appended = 0;
  for (const line of lines.split("\n").filter((l) => l.length > 0)) {
    const message = JSON.parse(line) as Message;
    if (message.type === "SCHEMA") latest.set(message.stream!, { keys: message.key_properties ?? [], rows: latest.get(message.stream!)?.rows ?? new Map() });
    if (message.type !== "RECORD") continue;
    const stream = latest.get(message.stream!)!;
    const key = stream.keys.length > 0 ? JSON.stringify(stream.keys.map((k) => message.record![k])) : String(appended++);
    stream.rows.set(key, message.record!);
  }
  let checked = 0;
  for (const [name, { keys, rows }] of latest) {
    const types = await columnTypes(path, schema, name);
    const select = Object.entries(types)
      .filter(([column]) => !METADATA_COLUMNS.some((metadata) => metadata.name === column))
      .map(([column, type]) => (type.startsWith("TIMESTAMP") ? `epoch_us("${column}") AS "${column}"` : `"${column}"`));
    const stored = (await query(path, `SELECT to_json(x)::VARCHAR FROM (SELECT ${select.join(", ")} FROM ${schema}."${name}") AS x`)).map(
      ([json]) => JSON.parse(json as string) as Record<string, unknown>,
    );
    assert.equal(stored.length, rows.size, `rows of ${name}`);
    for (const [key, record] of rows) {
      const row = keys.length > 0 ? stored.find((r) => JSON.stringify(keys.map((k) => r[k])) === key) : stored.find((r) => JSON.stringify(r) === JSON.stringify({ ...r, ...record }));
      assert.ok(row, `${name}: no row for ${key}`);
      for (const [field, value] of Object.entries(record)) {
        const expected = typeof value === "string" && types[field]?.startsWith("TIMESTAMP") ? epochMicros(value) : value;
        assert.deepEqual(row[field], expected, `${name} ${key} ${field}`);
        checked += 1;
      }
    }
  }
  return checked;
}
