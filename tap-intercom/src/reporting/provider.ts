/** The provider of the Reporting Data Export streams: one `report_<dataset>` stream per dataset. */
import { ConfigError, streamLabel, type CatalogStream, type Logger } from "../../../singer/src/index.js";
import type { IntercomClient } from "../http/client.js";
import { IntercomResponseError } from "../http/errors.js";
import type { DiscoverContext, StreamProvider, SyncContext } from "../providers.js";
import { datasetIdOf, type ReportingDataset } from "./datasets.js";
import { httpExportApi, type ExportApi } from "./export-api.js";
import { EXPORT_BOOKMARK_KEYS, exportVersion, requester, syncExport } from "./export-sync.js";
import { catalogStreamOf } from "./schema.js";
import type { ReportingConfig } from "./settings.js";

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

export const reportingProvider: StreamProvider = {
  async discover(ctx: DiscoverContext): Promise<CatalogStream[]> {
    const config = ctx.config.reporting;
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

  // Intercom keeps at most 5 reporting export jobs pending ("Exceeded rate limit of 5 pending
  // reporting dataset export jobs", 2.16 yaml:3779): one dataset per job, at most 5 at once.
  concurrentStreams: 5,

  bookmarkKeys: () => EXPORT_BOOKMARK_KEYS,

  cannotRun(config) {
    const reporting = config.reporting;
    return reporting.appId === undefined || reporting.clientId === undefined ? 'reporting streams need the "app_id" and "client_id" settings' : undefined;
  },

  async sync(ctx: SyncContext, stream: CatalogStream): Promise<void> {
    const config = ctx.config.reporting;
    const id = stream.tap_stream_id;
    if (config.appId === undefined || config.clientId === undefined) {
      throw new ConfigError(`${streamLabel(id)}: reporting streams need the "app_id" and "client_id" settings`);
    }
    const datasetId = datasetIdOf(id) as string;
    const dataset = (await listDatasets(ctx.client, config, ctx.config.apiVersion)).find((d) => d.id === datasetId);
    if (!dataset) throw new IntercomResponseError(`${streamLabel(id)}: Intercom no longer lists reporting dataset "${datasetId}"`);
    await syncExport(ctx, stream, dataset, apiFor(ctx.client, config, id, ctx.config.apiVersion), config);
  },
};
