/** Discovery, sync and the connection test, across every stream provider. */
import { InternalError, resumeOrder, streamLabel, type Catalog, type CatalogStream, type Logger, type SingerState, type SingerWriter } from "../../singer/src/index.js";
import { IntercomClient } from "./http/client.js";
import { IntercomHttpError } from "./http/errors.js";
import { progressFor } from "./progress.js";
import type { StreamProvider } from "./providers.js";
import { providerOf, providers } from "./registry.js";
import type { TapConfig } from "./settings.js";
import { StateHolder } from "./state-holder.js";
import { runStreams, StoppableWriter } from "./stream-scheduler.js";
import { checkToken, refusalOf, StreamsRefusedError } from "./stream-access.js";

/** A client for the few requests before a sync (Meltano runs discovery before every sync): quick to give up when the API is unreachable. */
function quickClient(config: TapConfig, logger: Logger): IntercomClient {
  return new IntercomClient({ ...config, maxRetries: Math.min(config.maxRetries, 2) }, logger);
}

/**
 * Fails when Intercom rejects the token (401), so a wrong token never passes for a workspace
 * without data; any other failure is left to the requests that follow, which report it themselves.
 */
async function rejectRefusedToken(client: IntercomClient, logger: Logger): Promise<void> {
  await checkToken(client).catch((error: unknown) => {
    if (error instanceof IntercomHttpError && error.status === 401) throw error;
    logger.debug(`cannot check the token: ${error instanceof Error ? error.message : String(error)}`);
  });
}

/** Before a sync from a given catalog (no discovery ran): the same token check as discovery's. */
export async function checkTokenBeforeSync(config: TapConfig, logger: Logger): Promise<void> {
  const client = quickClient(config, logger);
  try {
    await rejectRefusedToken(client, logger);
  } finally {
    client.close();
  }
}

export async function discover(config: TapConfig, logger: Logger): Promise<Catalog> {
  const client = quickClient(config, logger);
  try {
    // A rejected token must fail discovery, not yield a degraded catalog that Meltano would use.
    await rejectRefusedToken(client, logger);
    const lists = await Promise.all(providers.map((p) => p.discover({ config, client, logger })));
    return { streams: lists.flat() };
  } finally {
    client.close();
  }
}

export async function testConnection(config: TapConfig, logger: Logger): Promise<void> {
  const client = quickClient(config, logger);
  try {
    const me = await checkToken(client);
    logger.info(`connection ok: token of ${me.email ?? "an admin"}${me.app?.name ? ` in workspace "${me.app.name}"` : ""}`);
  } finally {
    client.close();
  }
}

function ownerOf(stream: CatalogStream): StreamProvider {
  const provider = providerOf(stream.tap_stream_id);
  if (!provider) throw new InternalError(`no provider for ${streamLabel(stream.tap_stream_id)} in the catalog`);
  return provider;
}

/**
 * The selected streams that can run with these settings; the others are skipped with one warning
 * per reason. A skipped stream named by the state's `currently_syncing` is not resumed first (it
 * would fail every later run before anything else loads): the run warns and goes on.
 */
function runnableStreams(streams: CatalogStream[], config: TapConfig, current: unknown, logger: Logger): CatalogStream[] {
  const skipped = new Map<string, string[]>();
  const runnable = streams.filter((stream) => {
    const reason = ownerOf(stream).cannotRun?.(config, stream);
    if (reason !== undefined) skipped.set(reason, [...(skipped.get(reason) ?? []), stream.tap_stream_id]);
    return reason === undefined;
  });
  for (const [reason, ids] of skipped) logger.warn(`skipping ${ids.map(streamLabel).join(", ")}: ${reason}`);
  if (typeof current === "string" && [...skipped.values()].some((ids) => ids.includes(current))) {
    logger.forStream(current).warn("the state's currently_syncing names it, and it cannot run; continuing with the other streams");
  }
  return runnable;
}

/**
 * Syncs the selected streams, concurrently (see stream-scheduler.ts), the interrupted one first. A stream Intercom refuses (a permission the token lacks, a
 * feature the plan lacks) is skipped with a warning, together with the streams it syncs; the run
 * fails for it only after every other stream, and only when the catalog asked for it by name
 * (`explicit`, see explicit-selection.ts).
 */
export async function sync(run: {
  config: TapConfig;
  logger: Logger;
  writer: SingerWriter;
  state: SingerState;
  streams: CatalogStream[];
  explicit?: Set<string>;
  client?: IntercomClient;
}): Promise<void> {
  const { config, logger, writer, streams } = run;
  const client = run.client ?? new IntercomClient(config, logger);
  const output = new StoppableWriter(writer);
  const state = new StateHolder(run.state, output);
  const progress = progressFor(logger);
  const started = Date.now();
  /** Skipped stream → why, when the warnings above do not say. */
  const skipped = new Map<string, string | undefined>();
  try {
    const runnable = runnableStreams(streams, config, run.state.currently_syncing, logger);
    await runStreams({
      streams: resumeOrder(runnable, (s) => s.tap_stream_id, run.state).map((stream) => ({ stream, provider: ownerOf(stream) })),
      writer: output,
      state,
      resumeFirst: typeof run.state.currently_syncing === "string" ? run.state.currently_syncing : undefined,
      sync: async ({ stream, provider }, streamWriter) => {
        try {
          await provider.sync({ config, client, logger, writer: streamWriter, state, progress, catalog: streams }, stream);
        } catch (error) {
          const reason = await refusalOf(error, stream.tap_stream_id, client);
          if (reason === undefined) throw error;
          skipped.set(stream.tap_stream_id, undefined);
          logger.forStream(stream.tap_stream_id).warn(`skipped, Intercom refused it: ${reason}`);
        }
      },
    });
    state.setCurrentlySyncing(null);
    await state.emit();
  } finally {
    if (!run.client) client.close();
    repeatWarnings(logger);
  }
  for (const stream of streams) {
    const parent = ownerOf(stream).parentOf?.(stream.tap_stream_id);
    if (parent !== undefined && skipped.has(parent) && !skipped.has(stream.tap_stream_id)) {
      skipped.set(stream.tap_stream_id, `read through ${parent}`);
    }
  }
  const { requests, retries, rateLimited } = client.stats;
  logger.info(`sync done in ${((Date.now() - started) / 1000).toFixed(1)}s: ${requests} requests, ${retries} retries, ${rateLimited} rate-limited`);
  logger.metric("counter", "http_request_count", requests, { retries, rate_limited: rateLimited });
  if (skipped.size === 0) return;
  logger.warn(`skipped streams (not synced): ${[...skipped].map(([id, why]) => (why ? `${streamLabel(id)} (${why})` : streamLabel(id))).join(", ")}`, { repeatInSummary: false });
  const asked = [...skipped.keys()].filter((id) => run.explicit?.has(id));
  if (asked.length > 0) {
    throw new StreamsRefusedError(asked);
  }
}

const REPEATED_WARNINGS = 20;

/** The warnings of the run once more at its end, where a person looks (they scroll away on a busy terminal). */
function repeatWarnings(logger: Logger): void {
  const warnings = [...logger.warnings()];
  if (warnings.length === 0) return;
  const lines = [`this run had ${warnings.length} warning${warnings.length === 1 ? "" : "s"} (repeated from above):`];
  for (const warning of warnings.slice(0, REPEATED_WARNINGS)) lines.push(`  - ${warning}`);
  if (warnings.length > REPEATED_WARNINGS) lines.push(`  … and ${warnings.length - REPEATED_WARNINGS} more above`);
  for (const line of lines) logger.warn(line, { repeatInSummary: false });
}
