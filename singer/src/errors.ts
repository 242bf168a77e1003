/** An input problem located in a Singer message stream: which source, which line, which stream and field. */
export class SingerInputError extends Error {
  readonly lineNumber: number | undefined;
  readonly stream: string | undefined;
  readonly field: string | undefined;
  readonly source: string | undefined;

  constructor(
    message: string,
    where: { lineNumber?: number; stream?: string; field?: string; source?: string } = {},
  ) {
    super(formatLocation(where) + message);
    this.name = "SingerInputError";
    this.lineNumber = where.lineNumber;
    this.stream = where.stream;
    this.field = where.field;
    this.source = where.source;
  }
}

/** How every error and log line names a stream: `stream "users"` (Logger.forStream's prefix, formatLocation's part). */
export function streamLabel(name: string): string {
  return `stream "${name}"`;
}

/** "stdin, line 4, stream \"users\", field \"id\": ", or "" when nothing is known. */
export function formatLocation(where: { lineNumber?: number; stream?: string; field?: string; source?: string }): string {
  const parts: string[] = [];
  if (where.source !== undefined) parts.push(where.source);
  if (where.lineNumber !== undefined) parts.push(`line ${where.lineNumber}`);
  if (where.stream !== undefined) parts.push(streamLabel(where.stream));
  if (where.field !== undefined) parts.push(`field "${where.field}"`);
  return parts.length > 0 ? `${parts.join(", ")}: ` : "";
}

/** A configuration problem: a missing or invalid setting, or an unreadable config file. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A broken invariant of this program (a bug to report), not a problem the input or the settings can fix. */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error, please report it: ${message}`);
    this.name = "InternalError";
  }
}

/** The output was closed before everything was written (the reading side, a target or a pipe, ended early). */
export class OutputClosedError extends Error {
  constructor(message = "the output closed before everything was written (did the target stop?)") {
    super(message);
    this.name = "OutputClosedError";
  }
}
