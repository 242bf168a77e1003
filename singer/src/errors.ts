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

/** "stdin, line 4, stream \"users\", field \"id\": ", or "" when nothing is known. */
export function formatLocation(where: { lineNumber?: number; stream?: string; field?: string; source?: string }): string {
  const parts: string[] = [];
  if (where.source !== undefined) parts.push(where.source);
  if (where.lineNumber !== undefined) parts.push(`line ${where.lineNumber}`);
  if (where.stream !== undefined) parts.push(`stream "${where.stream}"`);
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
