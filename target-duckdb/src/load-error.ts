import { formatLocation } from "../../singer/src/index.js";

/** A database failure while preparing a table, loading or committing (not a problem of the input): located as input errors are. */
export class LoadError extends Error {
  readonly stream: string | undefined;

  constructor(message: string, where: { source?: string; lineNumber?: number; stream?: string } = {}) {
    super(formatLocation(where) + message);
    this.name = "LoadError";
    this.stream = where.stream;
  }
}
