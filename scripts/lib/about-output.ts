/** Reading `--about` from the built executables, the one source of truth for their settings. */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { About } from "../../singer/src/about.js";

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");

export const EXECUTABLES = {
  "tap-intercom": resolve(ROOT, "tap-intercom/bin/tap-intercom"),
  "target-duckdb": resolve(ROOT, "target-duckdb/bin/target-duckdb"),
} as const;

export type ExecutableName = keyof typeof EXECUTABLES;

const run = promisify(execFile);

/** Runs `<executable> --about --format <format>` with no config and returns its stdout. */
export async function aboutOutput(name: ExecutableName, format: "json" | "markdown"): Promise<string> {
  const env = { ...process.env };
  // Settings from the caller's environment must not leak into documentation.
  for (const key of Object.keys(env)) if (/^(TAP_INTERCOM|TARGET_DUCKDB)_/.test(key)) delete env[key];
  const { stdout } = await run(EXECUTABLES[name], ["--about", "--format", format], { cwd: ROOT, env });
  return stdout;
}

export async function aboutJson(name: ExecutableName): Promise<About> {
  return JSON.parse(await aboutOutput(name, "json")) as About;
}
