/** A database failure while loading or committing (not a problem of the input): names the stream when there is one. */
export class LoadError extends Error {
  constructor(
    message: string,
    readonly stream?: string,
  ) {
    super(stream === undefined ? message : `stream "${stream}": ${message}`);
    this.name = "LoadError";
  }
}
