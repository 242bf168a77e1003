/** Helpers shared by the test suites: paths and running the built CLIs as child processes. */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const TAP_BIN = resolve(REPO_ROOT, "tap-intercom/bin/tap-intercom");
export const TARGET_BIN = resolve(REPO_ROOT, "target-duckdb/bin/target-duckdb");

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding `input` on stdin. */
export function runCommand(
  command: string,
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }),
    );
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** Every piece of `token` of 8 or more characters that `text` contains: a secret must not appear even in part. */
export function tokenFragments(text: string, token: string): string[] {
  const found: string[] = [];
  for (let start = 0; start + 8 <= token.length; start += 1) {
    if (text.includes(token.slice(start, start + 8))) found.push(token.slice(start, start + 8));
  }
  return found;
}
