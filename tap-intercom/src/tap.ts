/** Discovery, sync and the connection test, across every stream provider. */
import type { Catalog, CatalogStream, Logger, SingerState, SingerWriter } from "../../singer/src/index.js";
import { IntercomClient } from "./http/client.js";
import { progressFor } from "./progress.js";
import { providers, type StreamProvider } from "./providers.js";
import type { TapConfig } from "./settings.js";
import { StateHolder } from "./state-holder.js";

export async function discover(config: TapConfig, logger: Logger): Promise<Catalog> {
  // Meltano runs discovery before every sync: keep it quick when the API is unreachable.
  const client = new IntercomClient({ ...config, maxRetries: Math.min(config.maxRetries, 2) }, logger);
  try {
    const lists = await Promise.all(providers.map((p) => p.discover({ config, client, logger })));
    return { streams: lists.flat() };
  } finally {
    client.close();
  }
}

export async function testConnection(config: TapConfig, logger: Logger): Promise<void> {
  const client = new IntercomClient({ ...config, maxRetries: Math.min(config.maxRetries, 2) }, logger);
  try {
    const me = await client.getJson<{ email?: string; app?: { name?: string; id_code?: string } }>({ path: "/me", stream: "test" });
    logger.info(`connection ok: token of ${me.email ?? "an admin"}${me.app?.name ? ` in workspace "${me.app.name}"` : ""}`);
  } finally {
    client.close();
  }
}

function providerOf(stream: CatalogStream): StreamProvider {
  const provider = providers.find((p) => p.owns(stream.tap_stream_id));
  if (!provider) throw new Error(`no provider for stream "${stream.tap_stream_id}" in the catalog`);
  return provider;
}

/** The interrupted stream first, then the rest in catalog order. */
function resumeFirst(streams: CatalogStream[], current: unknown): CatalogStream[] {
  const index = streams.findIndex((s) => s.tap_stream_id === current);
  return index <= 0 ? streams : [streams[index]!, ...streams.slice(0, index), ...streams.slice(index + 1)];
}

/**
 * The selected streams that can run with these settings; the others are skipped with one warning
 * per reason. A skipped stream named by the state's `currently_syncing` is not resumed first (it
 * would fail every later run before anything else loads): the run warns and goes on.
 */
function runnableStreams(streams: CatalogStream[], config: TapConfig, current: unknown, logger: Logger): CatalogStream[] {
  const skipped = new Map<string, string[]>();
  const runnable = streams.filter((stream) => {
    const reason = providerOf(stream).cannotRun?.(config, stream);
    if (reason !== undefined) skipped.set(reason, [...(skipped.get(reason) ?? []), stream.tap_stream_id]);
    return reason === undefined;
  });
  for (const [reason, ids] of skipped) logger.warn(`skipping ${ids.join(", ")}: ${reason}`);
  if (typeof current === "string" && [...skipped.values()].some((ids) => ids.includes(current))) {
    logger.warn(`the state's currently_syncing names "${current}", which cannot run; continuing with the other streams`);
  }
  return runnable;
}

export async function sync(run: {
  config: TapConfig;
  logger: Logger;
  writer: SingerWriter;
  state: SingerState;
  streams: CatalogStream[];
  client?: IntercomClient;
}): Promise<void> {
  const { config, logger, writer, streams } = run;
  const client = run.client ?? new IntercomClient(config, logger);
  const state = new StateHolder(run.state, writer);
  const ctx = { config, client, logger, writer, state, progress: progressFor(), catalog: streams };
  const started = Date.now();
  try {
    for (const stream of resumeFirst(runnableStreams(streams, config, run.state.currently_syncing, logger), run.state.currently_syncing)) {
      const provider = providerOf(stream);
      state.setCurrentlySyncing(stream.tap_stream_id);
      await state.emit();
      await provider.sync(ctx, stream);
    }
    state.setCurrentlySyncing(null);
    await state.emit();
  } finally {
    if (!run.client) client.close();
  }
  const { requests, retries, rateLimited } = client.stats;
  logger.info(`sync done in ${((Date.now() - started) / 1000).toFixed(1)}s: ${requests} requests, ${retries} retries, ${rateLimited} rate-limited`);
  logger.metric("counter", "http_request_count", requests, { retries, rate_limited: rateLimited });
}
