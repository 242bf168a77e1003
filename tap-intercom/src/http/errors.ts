/** A request that failed for good: names the stream and the request, never the token. */
export class IntercomHttpError extends Error {
  constructor(
    message: string,
    readonly stream: string,
    readonly request: string,
    readonly status: number | undefined,
    readonly body: string | undefined,
  ) {
    super(message);
    this.name = "IntercomHttpError";
  }

  /** Intercom's error code from the body ({"errors":[{"code":…}]}), if any. */
  get code(): string | undefined {
    try {
      const parsed = JSON.parse(this.body ?? "") as { errors?: { code?: string }[] };
      return parsed.errors?.[0]?.code;
    } catch {
      return undefined;
    }
  }
}
