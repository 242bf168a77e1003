/**
 * The content data export (outbound message engagement, 2.14 yaml:9944-10089, also at 2.16) as
 * the `content_data` stream: the reporting export's machinery (windows, jobs, CSV, bookmarks, the
 * reporting_* settings) over the content export's endpoints, with a dataset made of the CSV's
 * documented columns, since Intercom lists none for it.
 */
import type { CatalogStream } from "../../../singer/src/index.js";
import type { StreamProvider } from "../providers.js";
import type { ReportingDataset } from "./datasets.js";
import { contentExportApi } from "./export-api.js";
import { EXPORT_BOOKMARK_KEYS, requester, syncExport } from "./export-sync.js";
import { catalogStreamOf } from "./schema.js";

export const CONTENT_STREAM = "content_data";

/** `data_export_csv` (2.14 yaml:19491-19585), its descriptions shortened. */
const COLUMNS: [string, string][] = [
  ["user_id", "The user_id of the user who was sent the message"],
  ["user_external_id", "The external_user_id of the user who was sent the message"],
  ["company_id", "The user's company in relation to the message; -1 when none"],
  ["email", "The email of the user who was sent the message"],
  ["name", "The full name of the user receiving the message"],
  ["ruleset_id", "The id of the message"],
  ["content_id", "The specific content received; each version of an A/B test has its own"],
  ["content_type", "Email, Chat, Post etc."],
  ["content_title", "The title of the content in the Intercom workspace"],
  ["ruleset_version_id", "The version of the content that was received"],
  ["receipt_id", "The id of this receipt (one delivery of a message)"],
  ["received_at", "When the receipt was recorded"],
  ["series_id", "The series the content is part of; -1 when none"],
  ["series_title", "The title of that series"],
  ["node_id", "The series node (block) of this ruleset"],
  ["first_reply", "First reply, within the export's date range"],
  ["first_completion", "First completion (tours, surveys), within the export's date range"],
  ["first_series_completion", "First completion of the series, within the export's date range"],
  ["first_series_disengagement", "First disengagement from the series, within the export's date range"],
  ["first_series_exit", "First exit from the series, within the export's date range"],
  ["first_goal_success", "First time the message's goal was met, within the export's date range"],
  ["first_open", "First open, within the export's date range"],
  ["first_click", "First click on a link in the message, within the export's date range"],
  ["first_dismisall", "First dismissal, within the export's date range (the column's name is spelled so)"],
  ["first_unsubscribe", "First unsubscribe, within the export's date range"],
  ["first_hard_bounce", "First hard bounce, within the export's date range"],
];

export const CONTENT_DATASET: ReportingDataset = {
  id: "content_data",
  name: "Content data export",
  description:
    "Outbound content receipts (emails, posts, chats, surveys, tours, series): who received which message when, and their first engagement within the exported range. " +
    "Cost: one content export job per content_data_window_seconds window (30 days), and Intercom runs one at a time per workspace; not selected by default, and runs only with content_data_export: true.",
  default_time_attribute_id: "received_at",
  attributes: COLUMNS.map(([id, name]) => ({ id, name })),
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

  knownFields: () => COLUMNS.map(([id]) => id),

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
