/**
 * What Linux reports of a running process, for the benchmarks and the memory tests; and the
 * fixture server as its own process, so its memory and CPU are not counted as the tap's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./about-output.js";

/** The peak resident set size of a running process, in bytes (VmHWM), or 0 once it has gone. */
export function peakRss(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) of a running process so far, or undefined once it has gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Starts the fixture server's CLI with these arguments (a free port is added) and resolves with its URL once it listens. */
export async function spawnFixtureServer(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, "dist/fixtures/src/cli.js"), "--port", "0", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /fixture server on (http:\/\/\S+)/.exec(log);
      if (match) resolveUrl(match[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`fixture server exited (${String(code)}): ${log}`)));
  });
  return { url, child };
}
