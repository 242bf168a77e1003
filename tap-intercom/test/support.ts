/** Running the built tap against the fixture server and reading what it wrote. */
import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseCatalog, type Catalog } from "../../singer/src/index.js";
import { REPO_ROOT, runCommand, TAP_BIN } from "../../test/helpers.js";

export interface TapMessage {
  type: string;
  stream?: string;
  record?: Record<string, unknown>;
  value?: Record<string, unknown>;
  schema?: Record<string, unknown>;
  key_properties?: string[];
  /** RECORD and ACTIVATE_VERSION: the table version. */
  version?: number;
}

export interface TapRun {
  code: number | null;
  messages: TapMessage[];
  stderr: string;
}

export async function writeJson(value: unknown, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tap-intercom-test-"));
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(value));
  return path;
}

export function parseLines(stdout: string): TapMessage[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as TapMessage);
}

/** Runs the tap CLI to completion with a config object and optional state and catalog. */
export async function runTap(config: Record<string, unknown>, extra: { state?: unknown; catalog?: unknown; args?: string[] } = {}): Promise<TapRun> {
  const args = ["--config", await writeJson(config, "config.json")];
  if (extra.state !== undefined) args.push("--state", await writeJson(extra.state, "state.json"));
  if (extra.catalog !== undefined) args.push("--catalog", await writeJson(extra.catalog, "catalog.json"));
  args.push(...(extra.args ?? []));
  const result = await runCommand(TAP_BIN, args);
  return { code: result.code, messages: parseLines(result.stdout), stderr: result.stderr };
}

/**
 * Runs the tap and kills it (SIGKILL) once it has written `afterRecords` RECORDs of `stream` (of any
 * stream when undefined): right after the next STATE, or right after that record with `at:
 * "record"`, or right after the first message `until` accepts (then `stream` and `afterRecords` do
 * not count); returns what it wrote up to then.
 */
export async function runTapUntilKilled(
  config: Record<string, unknown>,
  stream: string | undefined,
  afterRecords: number,
  options: { state?: unknown; at?: "state" | "record"; catalog?: unknown; until?: (message: TapMessage) => boolean } = {},
): Promise<TapRun> {
  const { state, at = "state" } = options;
  const args = ["--config", await writeJson(config, "config.json")];
  if (state !== undefined) args.push("--state", await writeJson(state, "state.json"));
  if (options.catalog !== undefined) args.push("--catalog", await writeJson(options.catalog, "catalog.json"));
  const child = spawn(TAP_BIN, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const messages: TapMessage[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let seen = 0;
  let killed = false;
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (killed || line.trim() === "") continue;
    const message = JSON.parse(line) as TapMessage;
    messages.push(message);
    if (message.type === "RECORD" && (stream === undefined || message.stream === stream)) seen += 1;
    const reached = options.until ? options.until(message) : seen >= afterRecords && (at === "record" || message.type === "STATE");
    if (reached) {
      killed = true;
      child.kill("SIGKILL");
    }
  }
  const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("close", (c) => resolve(c))));
  return { code, messages, stderr };
}

export function recordsOf(messages: TapMessage[], stream: string): Record<string, unknown>[] {
  return messages.filter((m) => m.type === "RECORD" && m.stream === stream).map((m) => m.record ?? {});
}

export function lastState(messages: TapMessage[]): Record<string, unknown> | undefined {
  const states = messages.filter((m) => m.type === "STATE");
  return states[states.length - 1]?.value;
}

/** A record's primary key as the fixture writes it: the key values as strings, joined by ":" when composite. */
export function keyString(record: Record<string, unknown>, keys: string[]): string {
  return keys.map((k) => String(record[k])).join(":");
}

export function countBy<T>(items: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** Runs `--discover` and returns the catalog it printed. */
export async function discoverCatalog(config: Record<string, unknown>): Promise<Catalog> {
  const result = await runCommand(TAP_BIN, ["--config", await writeJson(config, "config.json"), "--discover"]);
  if (result.code !== 0) throw new Error(`discovery failed: ${result.stderr}`);
  return parseCatalog(JSON.parse(result.stdout));
}

/** The catalog with only the named streams selected (all their fields). */
export function selectOnly(catalog: Catalog, streams: string[]): Catalog {
  const copy = structuredClone(catalog);
  for (const stream of copy.streams) {
    for (const entry of stream.metadata) if (entry.breadcrumb.length === 0) entry.metadata.selected = streams.includes(stream.tap_stream_id);
  }
  return copy;
}
