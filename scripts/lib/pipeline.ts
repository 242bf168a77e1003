/**
 * Runs `tap | target` as two child processes joined by a real OS pipe, made by bash exactly as
 * a shell pipeline makes it: the bytes never pass through this process, and the kernel's pipe
 * buffer is what applies backpressure to the tap. (Node's own child stdio would be a socket
 * pair, not a pipe.) Each side's stderr comes back on its own descriptor, the pids and exit
 * statuses on another. The target's stdout is read line by line as Meltano does: every line
 * that parses as JSON is a state value the target has committed.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

export interface CommandSpec {
  command: string;
  args: string[];
}

export interface PipelineOptions {
  tap: CommandSpec;
  target: CommandSpec;
  cwd?: string;
  /** Added to this process's environment, for both sides. */
  env?: NodeJS.ProcessEnv;
  /** Called with each stderr line of either side (the logs). */
  onLog?: (source: "tap" | "target", line: string) => void;
  /** Called with each state value the target prints (after the rows it covers are committed). */
  onState?: (state: unknown, line: string) => void;
  /** Kills both processes and fails the run after this long; the pipeline never hangs. */
  timeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PipelineResult {
  tap: ExitStatus;
  target: ExitStatus;
  /** Every state value the target printed, in order. */
  states: unknown[];
  /** Target stdout lines that were not JSON (Meltano skips them with a warning). */
  invalidStateLines: string[];
  timedOut: boolean;
  /** True when both sides exited 0 and the run did not time out (pipefail semantics). */
  ok: boolean;
}

export interface RunningPipeline {
  /** Resolves once both processes have started, with their pids. */
  started: Promise<{ tapPid: number; targetPid: number }>;
  /** Sends a signal to the tap only, as a crash or an operator would. */
  killTap(signal?: NodeJS.Signals): void;
  /** Sends a signal to both sides (an interrupted wrapper passes its SIGINT/SIGTERM on). */
  signalBoth(signal: NodeJS.Signals): void;
  done: Promise<PipelineResult>;
}

const SEPARATOR = "--tap-target-separator--";

/**
 * Arguments: the tap command line, SEPARATOR, the target command line. fd 3 reports
 * "tap <pid>", "target <pid>", then "status <tap> <target>"; fd 4 and 5 carry the tap's and the
 * target's stderr. Each side closes the descriptors that are not its own.
 */
const SCRIPT = [
  // Ctrl-C reaches this shell too: a trap (reset to the default in the children) makes it wait for
  // both sides and still report their statuses, instead of dying before the target commits.
  "trap : INT TERM",
  'i=1; for a; do [ "$a" = "' + SEPARATOR + '" ] && break; i=$((i+1)); done',
  'tap=("${@:1:i-1}"); target=("${@:i+1}")',
  '{ echo "tap $BASHPID" >&3; exec "${tap[@]}" 2>&4 3>&- 4>&- 5>&-; } | { echo "target $BASHPID" >&3; exec "${target[@]}" 2>&5 3>&- 4>&- 5>&-; }',
  'echo "status ${PIPESTATUS[0]} ${PIPESTATUS[1]}" >&3',
].join("\n");

function eachLine(stream: Readable, onLine: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", onLine);
}

/** A shell exit status as code or signal (128 + n means killed by signal n). */
function toExitStatus(status: number | undefined): ExitStatus {
  if (status === undefined || Number.isNaN(status)) return { code: null, signal: null };
  if (status > 128) {
    const name = Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0] as NodeJS.Signals | undefined;
    if (name) return { code: null, signal: name };
  }
  return { code: status, signal: null };
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `killed by ${status.signal}` : `exit code ${String(status.code)}`;
}

export function startPipeline(options: PipelineOptions): RunningPipeline {
  const shell = spawn(
    "bash",
    ["-c", SCRIPT, "pipeline", options.tap.command, ...options.tap.args, SEPARATOR, options.target.command, ...options.target.args],
    {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "inherit", "pipe", "pipe", "pipe"],
    },
  );
  const [, stdout, , control, tapErr, targetErr] = shell.stdio as Array<Readable | null>;
  if (!stdout || !control || !tapErr || !targetErr) throw new Error("cannot start the pipeline shell");

  const pids: { tap?: number; target?: number } = {};
  let statuses: number[] | undefined;
  let resolveStarted: (value: { tapPid: number; targetPid: number }) => void = () => undefined;
  let rejectStarted: (error: Error) => void = () => undefined;
  const started = new Promise<{ tapPid: number; targetPid: number }>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  started.catch(() => undefined);
  eachLine(control, (line) => {
    const [kind, ...rest] = line.split(" ");
    if (kind === "tap" || kind === "target") pids[kind] = Number(rest[0]);
    if (kind === "status") statuses = rest.map(Number);
    if (pids.tap !== undefined && pids.target !== undefined) resolveStarted({ tapPid: pids.tap, targetPid: pids.target });
  });

  const states: unknown[] = [];
  const invalidStateLines: string[] = [];
  eachLine(stdout, (line) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      invalidStateLines.push(line);
      return;
    }
    states.push(value);
    options.onState?.(value, line);
  });
  const onLog = options.onLog ?? (() => undefined);
  eachLine(tapErr, (line) => onLog("tap", line));
  eachLine(targetErr, (line) => onLog("target", line));

  const signal = (pid: number | undefined, sig: NodeJS.Signals): void => {
    if (pid === undefined) return;
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          signal(pids.tap, "SIGKILL");
          signal(pids.target, "SIGKILL");
        }, options.timeoutMs);

  const done = new Promise<PipelineResult>((resolve, reject) => {
    shell.once("error", reject);
    shell.once("close", () => {
      if (timer) clearTimeout(timer);
      rejectStarted(new Error("the pipeline ended before both processes started"));
      const tap = toExitStatus(statuses?.[0]);
      const target = toExitStatus(statuses?.[1]);
      resolve({ tap, target, states, invalidStateLines, timedOut, ok: !timedOut && tap.code === 0 && target.code === 0 });
    });
  });
  return {
    started,
    killTap: (sig = "SIGTERM") => signal(pids.tap, sig),
    signalBoth: (sig) => {
      signal(pids.tap, sig);
      signal(pids.target, sig);
    },
    done,
  };
}

/** Runs the pipeline to completion. */
export function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  return startPipeline(options).done;
}
