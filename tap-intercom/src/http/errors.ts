import { streamLabel } from "../../../singer/src/index.js";

/** What a person should know and check when Intercom answers with one status. */
export interface HttpAdvice {
  /** What the status means here. */
  problem: string;
  /** What to check or change. */
  check: string;
}

/**
 * The advice for the statuses a person can act on: the one place these explanations live, for the
 * token check, discovery, every stream and the reporting export alike. Intercom answers a missing
 * permission with 401, as it answers a bad token (stream-access.ts tells them apart); the advice
 * for a permission is the 403's.
 */
export const HTTP_STATUS_ADVICE: Readonly<Record<401 | 403 | 404, HttpAdvice>> = {
  401: {
    problem: "Intercom rejected the access token",
    check:
      "Check that access_token (or TAP_INTERCOM_ACCESS_TOKEN) holds the whole current token of the workspace's app " +
      "(Developer Hub > your app > Authentication), that it was not revoked or regenerated since, " +
      "and that region (us, eu, au) or base_url points at the workspace's region",
  },
  403: {
    problem: "Intercom refused this request: the token is valid but its app lacks a permission this endpoint needs, or the workspace's plan lacks the feature",
    check:
      "Grant the permission to the app in the Developer Hub (your app > Authentication, permissions) and create a new token, " +
      "check that the workspace's plan includes the feature, or deselect the stream",
  },
  404: {
    problem: "Intercom does not know what this request names",
    check:
      "Check that base_url (if set) points at Intercom's API and that api_version offers this endpoint; " +
      "for the Reporting Data Export, that app_id and client_id belong to the token's workspace",
  },
};

/** The advice for `status` as one sentence pair naming the status, or undefined when there is none. */
export function httpAdvice(status: number | undefined): string | undefined {
  const advice = status === undefined ? undefined : (HTTP_STATUS_ADVICE as Record<number, HttpAdvice | undefined>)[status];
  return advice === undefined ? undefined : `${advice.problem} (HTTP ${status}). ${advice.check}`;
}

/** Stream ids are snake_case; other request labels ("token check", "discovery:…") are shown as they are. */
export function requestOwner(stream: string): string {
  return /^[a-z0-9_]+$/.test(stream) ? streamLabel(stream) : stream;
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

/** A request asked of a client already closed: the run has stopped (another stream failed, or the run ended). */
export class ClientClosedError extends Error {
  constructor(readonly request: string) {
    super(`${request}: the run has stopped`);
    this.name = "ClientClosedError";
  }
}

/** An answer the tap cannot use: a 2xx whose body lacks what Intercom documents, or no longer holds what the catalog names. */
export class IntercomResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IntercomResponseError";
  }
}
