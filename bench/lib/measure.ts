/** How the benches measure: each measured thing is its own process; median and spread of rounds. */
import { DuckDBInstance } from "@duckdb/node-api";
import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";

/** What one process cost: wall seconds, CPU seconds (user + system, all threads), peak RSS. */
export interface Measured {
  seconds: number;
  cpuSeconds: number;
  peakMb: number;
}

/** Preloaded into every measured process: writes its own CPU time and peak RSS to BENCH_USAGE_FILE when it exits. */
const USAGE_HOOK = `
const { writeFileSync } = require("node:fs");
process.on("exit", () => {
  const cpu = process.cpuUsage();
  writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6, peakMb: process.resourceUsage().maxRSS / 1024 }));
});
`;

/**
 * Runs one process and measures it. By default a Node script (`args`), whose stdout is returned;
 * `command` runs another program instead, which must write BENCH_USAGE_FILE itself (as
 * bench/singer-io/run_tap.py does); `stdoutFile` sends stdout to a file instead of memory, and
 * `stderrFile` stderr to a file instead of this process's stderr.
 */
export async function measure(
  dir: string,
  args: string[],
  stdinFile: string | undefined,
  env: NodeJS.ProcessEnv,
  options: { command?: string; stdoutFile?: string; stderrFile?: string } = {},
): Promise<Measured & { stdout: string }> {
  const hook = join(dir, "usage-hook.cjs");
  if (!existsSync(hook)) writeFileSync(hook, USAGE_HOOK);
  const usageFile = join(dir, "usage.json");
  rmSync(usageFile, { force: true });
  const input = stdinFile ? openSync(stdinFile, "r") : "ignore";
  const output = options.stdoutFile ? openSync(options.stdoutFile, "w") : "pipe";
  const errors = options.stderrFile ? openSync(options.stderrFile, "w") : "inherit";
  const started = performance.now();
  const [command, commandArgs] = options.command ? [options.command, args] : [process.execPath, ["--require", hook, ...args]];
  const child = spawn(command, commandArgs, { stdio: [input, output, errors], env: { ...process.env, ...env, BENCH_USAGE_FILE: usageFile } });
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  if (typeof input === "number") closeSync(input);
  if (typeof output === "number") closeSync(output);
  if (typeof errors === "number") closeSync(errors);
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}${options.stderrFile ? ` (its stderr: ${options.stderrFile})` : ""}`);
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as { cpuSeconds: number; peakMb: number };
  return { seconds, ...usage, stdout };
}

export async function countRows(database: string, table: string): Promise<bigint> {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRowsJS()[0]?.[0] as bigint;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function summary(values: number[], digits: number): string {
  return `${median(values).toFixed(digits).padStart(7)}   ${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`.padEnd(24);
}

