/**
 * One reproducible `tap-intercom | target-duckdb` run against a real Intercom workspace, as
 * `make sync` performs it: the state file is passed to the tap and replaced atomically by each
 * state line the target prints (it prints one only after committing the rows it covers), so a run
 * that fails or is killed leaves the last committed state for the next run to resume from;
 * everything either side logs goes to a log file of its own per run (secrets redacted).
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { describeExit, startPipeline } from "./pipeline.js";

export interface SyncOptions {
  /** The tap and target executables (with leading arguments, if any). */
  tap: { command: string; args?: string[] };
  target: { command: string; args?: string[] };
  /** Tap config files, later ones win. */
  tapConfigs: string[];
  targetConfigs: string[];
  statePath: string;
  catalogPath?: string;
  logDir: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Also copy log lines here (the terminal); the log file always gets them. */
  echo?: (line: string) => void;
  now?: Date;
}

export interface SyncOutcome {
  ok: boolean;
  logPath: string;
  /** Whether the state file was replaced by this run (also on failure, with the last committed state). */
  stateWritten: boolean;
  message: string;
  /** The signal that interrupted the run, if one did (passed on to both sides). */
  interrupted?: NodeJS.Signals;
}

async function hasContent(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

/** Values that must not reach the log: the tap's access token and the target's token, from the config files or the environment. */
async function secretsOf(configs: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const secrets: string[] = [];
  for (const name of ["TAP_INTERCOM_ACCESS_TOKEN", "TARGET_DUCKDB_TOKEN", "motherduck_token", "MOTHERDUCK_TOKEN"]) {
    const fromEnv = env[name];
    if (fromEnv) secrets.push(fromEnv);
  }
  for (const path of configs) {
    try {
      const parsed = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value === "string" && /token|secret|password/i.test(key)) secrets.push(value);
      }
    } catch {
      /* the tap reports unreadable config itself */
    }
  }
  return secrets.filter((s) => s.length >= 4);
}

function timestampForFile(date: Date): string {
  return date.toISOString().replace(/[:.]/g, "-");
}

function closeLog(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(resolve));
}

export async function runSync(options: SyncOptions): Promise<SyncOutcome> {
  const env = { ...process.env, ...options.env };
  const stamp = timestampForFile(options.now ?? new Date());
  await mkdir(options.logDir, { recursive: true });
  const logPath = join(options.logDir, `${stamp}.log`);
  const log = createWriteStream(logPath, { flags: "wx", mode: 0o600 });
  const secrets = await secretsOf([...options.tapConfigs, ...options.targetConfigs], env);
  const redact = (text: string): string => secrets.reduce((out, secret) => out.split(secret).join("***"), text);
  const write = (line: string): void => {
    const clean = redact(line);
    log.write(clean + "\n");
    options.echo?.(clean);
  };

  const tapArgs = [...(options.tap.args ?? []), ...options.tapConfigs.flatMap((c) => ["--config", c])];
  const hadState = await hasContent(options.statePath);
  if (hadState) tapArgs.push("--state", options.statePath);
  if (options.catalogPath) tapArgs.push("--catalog", options.catalogPath);
  const targetArgs = [...(options.target.args ?? []), ...options.targetConfigs.flatMap((c) => ["--config", c])];
  write(`sync: started ${new Date().toISOString()}; state ${hadState ? `from ${options.statePath}` : "none (full sync)"}`);

  // Each committed state replaces the file as it arrives; writes are chained so the last one wins.
  let stateWrites: Promise<void> = Promise.resolve();
  const saveState = (value: unknown): void => {
    stateWrites = stateWrites.then(() => writeFileAtomic(options.statePath, JSON.stringify(value) + "\n"));
  };

  const running = startPipeline({
    tap: { command: options.tap.command, args: tapArgs },
    target: { command: options.target.command, args: targetArgs },
    env: options.env,
    cwd: options.cwd,
    timeoutMs: options.timeoutMs,
    onLog: (source, line) => write(`[${source}] ${line}`),
    onState: (value) => saveState(value),
  });
  // Ctrl-C or a SIGTERM to this wrapper: pass it on to both sides, then wait for the target's last
  // committed state and save it, instead of dying with the pipeline still running.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!interrupted) write(`sync: ${signal} received: stopping the tap and the target; the target commits what it has, then its last state is saved`);
    interrupted ??= signal;
    running.signalBoth(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let result: Awaited<typeof running.done>;
  try {
    result = await running.done;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  await stateWrites;
  const stateWritten = result.states.length > 0;
  for (const line of result.invalidStateLines) write(`sync: ignored a target stdout line that is not JSON: ${line.slice(0, 200)}`);

  let outcome: SyncOutcome;
  if (interrupted) {
    outcome = {
      ok: false,
      logPath,
      stateWritten,
      interrupted,
      message:
        `interrupted by ${interrupted}; ` +
        (stateWritten ? `state saved to ${options.statePath}: the next run resumes from the last committed state` : "no state was committed, state file unchanged"),
    };
  } else if (result.ok) {
    outcome = {
      ok: true,
      logPath,
      stateWritten,
      message: stateWritten ? `finished; state saved to ${options.statePath}` : "finished; the target emitted no state, state file unchanged",
    };
  } else {
    const why = result.timedOut ? "timed out" : `tap ${describeExit(result.tap)}, target ${describeExit(result.target)}`;
    outcome = {
      ok: false,
      logPath,
      stateWritten,
      message:
        `failed (${why}); ` +
        (stateWritten
          ? `${options.statePath} holds the last state the target committed, so the next run resumes from there`
          : "no state was committed, state file unchanged"),
    };
  }
  write(`sync: ${outcome.message}`);
  await closeLog(log);
  return outcome;
}
