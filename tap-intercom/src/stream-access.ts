/**
 * Streams Intercom refuses to this token or workspace. A token may lack the permission a stream
 * needs (a token without the tickets scope gets 401 on ticket search) and a plan may lack the
 * feature (403 `api_plan_restricted`, "Active subscription needed."). Such a stream is skipped
 * with a warning so the others still sync. A token Intercom does not accept at all is no such
 * case: it must fail the run.
 */
import type { IntercomClient } from "./http/client.js";
import { HTTP_STATUS_ADVICE, IntercomHttpError } from "./http/errors.js";

/** Why Intercom refused `stream`, or undefined when `error` is not a refusal of that one stream. */
export async function refusalOf(error: unknown, stream: string, client: IntercomClient): Promise<string | undefined> {
  if (!(error instanceof IntercomHttpError) || (error.status !== 401 && error.status !== 403)) return undefined;
  if (error.code === "api_plan_restricted") {
    return `the workspace's Intercom plan does not include it (${error.request} answered 403 api_plan_restricted). ${HTTP_STATUS_ADVICE[403].check}`;
  }
  // Intercom answers a missing permission as it answers a bad token: ask whether the token works at all.
  if (!(await tokenWorks(client))) return undefined;
  return `the access token lacks the permission to read ${stream} (${error.request} answered ${error.status}, while GET /me accepts the token). ${HTTP_STATUS_ADVICE[403].check}`;
}

/** One cheap call (GET /me) that fails with the token advice (HTTP_STATUS_ADVICE[401]) when Intercom rejects the token. */
export async function checkToken(client: IntercomClient): Promise<{ email?: string; app?: { name?: string; id_code?: string } }> {
  return client.getJson<{ email?: string; app?: { name?: string; id_code?: string } }>({ path: "/me", stream: "token check" });
}

/**
 * Whether GET /me accepts the token, asked once per client (one per run) however many streams are
 * refused. A token revoked later in the same run is then noticed by the next run's token check,
 * not here: its 401s read as refusals of the streams that meet them.
 */
const tokenChecks = new WeakMap<IntercomClient, Promise<boolean>>();

function tokenWorks(client: IntercomClient): Promise<boolean> {
  let works = tokenChecks.get(client);
  if (!works) {
    works = checkToken(client).then(
      () => true,
      () => false,
    );
    tokenChecks.set(client, works);
  }
  return works;
}

/** The catalog selected these streams by name and Intercom refused them: the run fails, after every other stream. */
export class StreamsRefusedError extends Error {
  constructor(readonly streams: string[]) {
    super(`the catalog selects ${streams.join(", ")} but Intercom refused ${streams.length === 1 ? "it" : "them"} (see the warnings above); every other stream was synced`);
    this.name = "StreamsRefusedError";
  }
}
