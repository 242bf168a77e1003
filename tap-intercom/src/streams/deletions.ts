/** Records for what Intercom deleted, from a stream's deletion feed (see DeletionFeed). */
import type { BookmarkShape, SyncContext } from "../providers.js";
import { apiVersionAtLeast } from "../settings.js";
import type { ListDeclaration, ParentDeclaration } from "./declaration.js";
import type { StreamOutput } from "./output.js";
import { sourceFor } from "./sources.js";

/** The bookmark key of the latest deletion written (Unix seconds). */
export const DELETED_AT_BOOKMARK = "deleted_at";
export const DELETED_AT_SHAPE: BookmarkShape = { description: "Unix seconds", test: (value) => typeof value === "number" && Number.isFinite(value) };
/** The record field the target reads as the row's deletion time. */
export const DELETED_AT_FIELD = "_sdc_deleted_at";

export async function writeDeletions(ctx: SyncContext, decl: ParentDeclaration, output: StreamOutput): Promise<void> {
  const feed = decl.deletions;
  if (!feed) return;
  if (!apiVersionAtLeast(ctx.config.apiVersion, feed.since)) {
    ctx.logger.forStream(decl.name).info(`Intercom ${ctx.config.apiVersion} lists no deleted ${decl.name} (${feed.path} needs api_version ${feed.since}); rows deleted in Intercom stay in the warehouse`);
    return;
  }
  // Without the field a deletion record would blank the row instead of marking it (a catalog saved before the field existed, or one that deselects it).
  if (!output.selects(DELETED_AT_FIELD)) {
    ctx.logger.forStream(decl.name).warn(`deletions not read: the catalog does not select ${DELETED_AT_FIELD} (run discovery again, or select it)`);
    return;
  }
  const since = ctx.state.getBookmark<unknown>(decl.name, DELETED_AT_BOOKMARK);
  const bound = typeof since === "number" ? since : undefined;
  const list: ListDeclaration = { kind: "list", name: decl.name, schema: decl.schema, keyProperties: decl.keyProperties, path: feed.path, query: feed.query, recordsPath: feed.recordsPath, paged: true };
  let latest = bound;
  let written = 0;
  read: for await (const page of sourceFor(ctx, list, 0).pages) {
    for (const item of page) {
      const deletedAt = Number(item["deleted_at"]);
      if (!Number.isFinite(deletedAt)) continue;
      // Newest first: the rest was written by an earlier run (the bound itself is written again).
      if (bound !== undefined && deletedAt < bound) break read;
      const record: Record<string, unknown> = { [DELETED_AT_FIELD]: deletedAt };
      for (const key of decl.keyProperties) record[key] = item[key];
      if (decl.replicationKey) record[decl.replicationKey] = deletedAt;
      if (await output.write(record)) written += 1;
      latest = Math.max(latest ?? deletedAt, deletedAt);
    }
  }
  if (latest !== undefined) ctx.state.setBookmark(decl.name, DELETED_AT_BOOKMARK, latest);
  ctx.logger.forStream(decl.name).info(`${written} deleted in Intercom since ${bound === undefined ? "ever" : new Date(bound * 1000).toISOString()}, written with ${DELETED_AT_FIELD}`);
}
