/** The glue every export stream shares (reporting datasets, content data): its Intercom-Version, requester, bookmarks and sync. */
import type { CatalogStream } from "../../../singer/src/index.js";
import type { IntercomClient } from "../http/client.js";
import type { BookmarkShape, SyncContext } from "../providers.js";
import { apiVersionAtLeast } from "../settings.js";
import type { ReportingDataset } from "./datasets.js";
import type { ExportJobApi, HttpRequester } from "./export-api.js";
import type { ReportingConfig } from "./settings.js";
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

/** The bookmark keys of every export stream (syncDataset's). */
export const EXPORT_BOOKMARK_KEYS: Record<string, BookmarkShape> = {
  [BOOKMARK_KEY]: {
    description: "an RFC 3339 date-time or Unix seconds",
    test: (value) => typeof value === "number" || (typeof value === "string" && !Number.isNaN(Date.parse(value))),
  },
  replication_key: { description: "a field name", test: (value) => typeof value === "string" },
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
