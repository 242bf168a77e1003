/**
 * The content data export (outbound message engagement, 2.14 yaml:9944-10089, also at 2.16) as
 * the `content_data` stream: the reporting export's machinery (windows, jobs, CSV, bookmarks, the
 * reporting_* settings) over the content export's endpoints, with a dataset made of the CSV's
 * documented columns, since Intercom lists none for it.
 */
import type { CatalogStream } from "../../../singer/src/index.js";
import type { StreamProvider } from "../providers.js";
import { CONTENT_COLUMNS } from "./content-columns.js";
import type { ReportingDataset } from "./datasets.js";
import { contentExportApi } from "./export-api.js";
import { EXPORT_BOOKMARK_KEYS, requester, syncExport } from "./export-sync.js";
import { catalogStreamOf } from "./schema.js";

export const CONTENT_STREAM = "content_data";

export const CONTENT_DATASET: ReportingDataset = {
  id: "content_data",
  name: "Content data export",
  description:
    "Outbound content receipts (emails, posts, chats, surveys, tours, series): who received which message when, and their first engagement within the exported range. " +
    "Cost: one content export job per content_data_window_seconds window (30 days), and Intercom runs one at a time per workspace; not selected by default, and runs only with content_data_export: true.",
  default_time_attribute_id: "received_at",
  attributes: CONTENT_COLUMNS.map(({ id, name }) => ({ id, name })),
};

export const contentDataProvider: StreamProvider = {
  async discover(): Promise<CatalogStream[]> {
    const stream = catalogStreamOf(CONTENT_DATASET, undefined, false, CONTENT_STREAM);
    // Off by default as a stream; once selected, all its columns come.
    for (const entry of stream.metadata) if (entry.breadcrumb.length > 0 && entry.metadata.inclusion === "available") entry.metadata["selected-by-default"] = true;
    return [stream];
  },

  owns: (tapStreamId) => tapStreamId === CONTENT_STREAM,

  bookmarkKeys: () => EXPORT_BOOKMARK_KEYS,

  knownFields: () => CONTENT_COLUMNS.map(({ id }) => id),

  cannotRun(config) {
    const reporting = config.reporting;
    if (!reporting.contentDataExport) return `${CONTENT_STREAM} runs export jobs only with "content_data_export": true`;
    return reporting.startTime === undefined ? `${CONTENT_STREAM} needs "reporting_start_date" or "start_date" for its first export window` : undefined;
  },

  async sync(ctx, stream) {
    const api = contentExportApi(requester(ctx.client, stream.tap_stream_id, ctx.config.apiVersion));
    const config = ctx.config.reporting;
    await syncExport(ctx, stream, CONTENT_DATASET, api, { ...config, windowSeconds: config.contentWindowSeconds });
  },
};
