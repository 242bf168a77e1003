/**
 * What a person should check when Intercom answers with one of these statuses: the one place
 * these explanations live, for the token check, discovery and every stream alike.
 */
export const HTTP_STATUS_ADVICE: Readonly<Record<number, string>> = {
  401:
    "Intercom rejected the access token (HTTP 401). Check that access_token (or TAP_INTERCOM_ACCESS_TOKEN) holds the whole current token " +
    "of the workspace's app (Developer Hub > your app > Authentication), that it was not revoked or regenerated since, " +
    "and that region (us, eu, au) or base_url points at the workspace's region",
  403:
    "Intercom refused this request (HTTP 403): the token is valid but its app lacks a permission this endpoint needs. " +
    "Check the app's permissions (scopes) in the Developer Hub, or deselect the stream",
};

/** Stream ids are snake_case; other request labels ("token check", "discovery:…") are shown as they are. */
export function requestOwner(stream: string): string {
  return /^[a-z0-9_]+$/.test(stream) ? `stream "${stream}"` : stream;
}

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
