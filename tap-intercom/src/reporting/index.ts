/** The provider of the Reporting Data Export streams: one `report_<dataset>` stream per dataset. */
import { ConfigError, type CatalogStream, type Logger } from "../../../singer/src/index.js";
import type { IntercomClient } from "../http/client.js";
import { IntercomResponseError } from "../http/errors.js";
import { apiVersionAtLeast } from "../settings.js";
import type { BookmarkShape, DiscoverContext, StreamProvider, SyncContext } from "../providers.js";
import { datasetIdOf, type ReportingDataset } from "./datasets.js";
import { httpExportApi, type ExportApi, type ExportJobApi, type HttpRequester } from "./export-api.js";
import { catalogStreamOf } from "./schema.js";
import { readReportingConfig, type ReportingConfig } from "./settings.js";
import { BOOKMARK_KEY, syncDataset } from "./sync-dataset.js";

/**
 * The Intercom-Version of every export call: `api_version`, but at least 2.16, from which the
 * `conversation` dataset holds every conversation, not only those with a user reply (2.16
 * yaml:3656), and datasets list the qualified attribute ids enqueue wants.
 */
export const MIN_EXPORT_VERSION = "2.16";

export function exportVersion(apiVersion: string): string {
  return apiVersionAtLeast(apiVersion, MIN_EXPORT_VERSION) ? apiVersion : MIN_EXPORT_VERSION;
}

/** The tap client, with each request labelled as the stream it serves. */
export function requester(client: IntercomClient, stream: string, version: string): HttpRequester {
  return {
    request: (req) =>
      client.request({ ...req, method: req.method === "POST" ? "POST" : "GET", stream, headers: { ...req.headers, "Intercom-Version": version } }),
  };
}

function apiFor(client: IntercomClient, config: ReportingConfig, stream: string, apiVersion: string): ExportApi {
  return httpExportApi(requester(client, stream, exportVersion(apiVersion)), { appId: config.appId, clientId: config.clientId });
}

/** Lists datasets once per client (one per run). */
const datasetCache = new WeakMap<IntercomClient, Promise<ReportingDataset[]>>();

function listDatasets(client: IntercomClient, config: ReportingConfig, apiVersion: string): Promise<ReportingDataset[]> {
  let list = datasetCache.get(client);
  if (!list) {
    list = apiFor(client, config, "discovery:reporting_datasets", apiVersion).listDatasets();
    list.catch(() => datasetCache.delete(client));
    datasetCache.set(client, list);
  }
  return list;
}

function chosenDatasets(all: ReportingDataset[], config: ReportingConfig, logger: Logger): ReportingDataset[] {
  if (config.datasets === undefined) return all;
  for (const id of config.datasets) {
    if (!all.some((d) => d.id === id)) logger.warn(`reporting_datasets: Intercom lists no dataset "${id}"`);
  }
  return all.filter((d) => config.datasets?.includes(d.id));
}

/** The bookmark keys of every export stream (syncDataset's). */
export const EXPORT_BOOKMARK_KEYS: Record<string, BookmarkShape> = {
  [BOOKMARK_KEY]: {
    description: "an RFC 3339 date-time or Unix seconds",
    test: (value) => typeof value === "number" || (typeof value === "string" && !Number.isNaN(Date.parse(value))),
  },
  replication_key: { description: "a field name", test: (value) => typeof value === "string" },
};

export const reportingProvider: StreamProvider = {
  async discover(ctx: DiscoverContext): Promise<CatalogStream[]> {
    const config = readReportingConfig(ctx.config.raw);
    let all: ReportingDataset[];
    try {
      all = await listDatasets(ctx.client, config, ctx.config.apiVersion);
    } catch (error) {
      // Best effort unless datasets were asked for: the REST streams must not depend on this endpoint.
      if (config.datasets !== undefined) throw error;
      ctx.logger.warn(`no reporting streams: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
    // Without app_id and client_id the export cannot run: list the streams, but leave them unselected.
    const runnable = config.appId !== undefined && config.clientId !== undefined;
    return chosenDatasets(all, config, ctx.logger).map((dataset) => catalogStreamOf(dataset, config.attributeIds[dataset.id], runnable));
  },

  owns: (tapStreamId) => datasetIdOf(tapStreamId) !== undefined,

  bookmarkKeys: () => EXPORT_BOOKMARK_KEYS,

  cannotRun(config) {
    const reporting = readReportingConfig(config.raw);
    return reporting.appId === undefined || reporting.clientId === undefined ? 'reporting streams need the "app_id" and "client_id" settings' : undefined;
  },

  async sync(ctx: SyncContext, stream: CatalogStream): Promise<void> {
    const config = readReportingConfig(ctx.config.raw);
    const id = stream.tap_stream_id;
    if (config.appId === undefined || config.clientId === undefined) {
      throw new ConfigError(`${id}: reporting streams need the "app_id" and "client_id" settings`);
    }
    const datasetId = datasetIdOf(id) as string;
    const dataset = (await listDatasets(ctx.client, config, ctx.config.apiVersion)).find((d) => d.id === datasetId);
    if (!dataset) throw new IntercomResponseError(`${id}: Intercom no longer lists reporting dataset "${datasetId}"`);
    await syncExport(ctx, stream, dataset, apiFor(ctx.client, config, id, ctx.config.apiVersion), config);
  },
};

/** Syncs one export stream, whichever export its jobs run on, with the tap's writer, progress and state. */
export async function syncExport(ctx: SyncContext, stream: CatalogStream, dataset: ReportingDataset, api: ExportJobApi, config: ReportingConfig): Promise<void> {
  const id = stream.tap_stream_id;
  ctx.progress.start(id);
  await syncDataset(
    {
      api,
      config,
      logger: ctx.logger,
      emit: async (message) => {
        await ctx.writer.write(message);
        if (message.type === "RECORD") ctx.progress.add(id, 1);
      },
      bookmarks: {
        get: (key) => ctx.state.getBookmark(id, key),
        set: (key, value) => ctx.state.setBookmark(id, key, value),
        emitState: () => ctx.state.emit(),
      },
      endTime: config.endTime ?? Math.floor(Date.now() / 1000),
      now: Math.floor(Date.now() / 1000),
    },
    dataset,
    stream,
  );
  ctx.progress.finish(id);
}
