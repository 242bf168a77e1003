/**
 * Logging to stderr (stdout is reserved for Singer messages), with secrets redacted.
 * `LOG_LEVEL` (debug, info, warn, error; default info) sets the threshold. Singer METRIC lines
 * are written only at debug level or once `enableMetrics()` was called (the `metrics` setting).
 */

import { streamLabel } from "./errors.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** The shortest start of a secret that a cut text may not end with. */
const MIN_SECRET_FRAGMENT = 8;

/** What a logger and its children share: one threshold, one set of secrets, one list of warnings, one output. */
interface LoggerCore {
  name: string;
  threshold: number;
  sink: (line: string) => void;
  secrets: Set<string>;
  metricsOn: boolean;
  warned: string[];
}

export class Logger {
  private readonly core: LoggerCore;
  /** Said before every message of this logger ("contacts: "), or empty. */
  private readonly prefix: string;

  constructor(
    name: string,
    level: LogLevel = (process.env["LOG_LEVEL"]?.toLowerCase() as LogLevel | undefined) ?? "info",
    sink: (line: string) => void = (line) => process.stderr.write(line + "\n"),
  ) {
    this.core = { name, threshold: LEVELS[level] ?? LEVELS.info, sink, secrets: new Set(), metricsOn: false, warned: [] };
    this.prefix = "";
  }

  /**
   * A logger whose messages start with `prefix` (a stream's or a dataset's name), so that name is
   * spelled one way in every line about it. It shares everything else with this one: secrets
   * added to either are redacted by both, and its warnings are this one's.
   */
  child(prefix: string): Logger {
    const child = Object.create(Logger.prototype) as { core: LoggerCore; prefix: string };
    child.core = this.core;
    child.prefix = `${this.prefix}${prefix}: `;
    return child as unknown as Logger;
  }

  /** The logger for lines about one stream (a reporting dataset is one too): they start `stream "contacts": `, as errors name it. */
  forStream(name: string): Logger {
    return this.child(streamLabel(name));
  }

  /** Registers a value that must never appear in output; it is replaced by `***`. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4) this.core.secrets.add(value);
  }

  /** Writes METRIC lines at info level too (they are always written at debug level). */
  enableMetrics(): void {
    this.core.metricsOn = true;
  }

  /** The warnings logged so far (redacted) that matter after the run, for its end-of-run summary. */
  warnings(): readonly string[] {
    return this.core.warned;
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.core.secrets) out = out.split(secret).join("***");
    return out;
  }

  /**
   * Redacts `text`, then cuts it to `limit` characters: a secret that the cut splits would survive
   * a redaction after the cut, and one before the cut leaves its start, so both passes are needed.
   */
  redactAndCut(text: string, limit: number): string {
    const cut = this.redact(text).slice(0, limit);
    for (const secret of this.core.secrets) {
      for (let length = Math.min(secret.length - 1, cut.length); length >= MIN_SECRET_FRAGMENT; length -= 1) {
        if (cut.endsWith(secret.slice(0, length))) return cut.slice(0, cut.length - length) + "***";
      }
    }
    return cut;
  }

  debug(message: string): void {
    this.log("debug", message);
  }
  info(message: string): void {
    this.log("info", message);
  }
  /** A warning; unless `repeatInSummary` is false (a retry that may well succeed), it is kept for `warnings()`. */
  warn(message: string, options: { repeatInSummary?: boolean } = {}): void {
    if (options.repeatInSummary !== false) this.core.warned.push(this.redact(this.prefix + message));
    this.log("warn", message);
  }
  error(message: string): void {
    this.log("error", message);
  }

  /** A Singer metric line: `INFO METRIC: {"type":…,"metric":…,"value":…,"tags":{…}}`. */
  metric(type: "counter" | "timer", metric: string, value: number, tags: Record<string, unknown> = {}): void {
    const { threshold, metricsOn } = this.core;
    if (threshold > LEVELS.info || (!metricsOn && threshold > LEVELS.debug)) return;
    this.core.sink(this.redact(`INFO METRIC: ${JSON.stringify({ type, metric, value, tags })}`));
  }

  private log(level: LogLevel, message: string): void {
    if (LEVELS[level] < this.core.threshold) return;
    this.core.sink(this.redact(`${level.toUpperCase()} ${this.core.name}: ${this.prefix}${message}`));
  }
}
