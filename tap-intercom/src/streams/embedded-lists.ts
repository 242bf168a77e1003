/**
 * Addressable lists a record embeds only the first page of. A contact's `tags`, `companies` and
 * `notes` are `{type, data, url, total_count, has_more}` holding "up to 10" items (2.14 yaml:16611,
 * 16716, 16977);
 * when `has_more` is true the whole list is read from its `url` and replaces `data`, so the record
 * carries every membership. Lists without `has_more` cost no request.
 */
import { IntercomHttpError } from "../http/errors.js";
import type { SyncContext } from "../providers.js";
import { mapConcurrent } from "./concurrency.js";
import type { ApiRecord, EmbeddedList, StreamDeclaration } from "./declaration.js";
import { recordsAt } from "./response-path.js";
import { pagedResponses } from "./sources.js";

interface Truncated {
  record: number;
  list: EmbeddedList;
  url: string;
}

/**
 * The records with their truncated lists read whole (new objects; the others are returned as they
 * are). Only lists whose field is selected are read.
 */
export async function completeEmbeddedLists(
  ctx: SyncContext,
  decl: StreamDeclaration,
  records: ApiRecord[],
  selected: (field: string) => boolean,
): Promise<ApiRecord[]> {
  const lists = (decl.embeddedLists ?? []).filter((list) => selected(list.field));
  const truncated: Truncated[] = [];
  for (const [index, record] of records.entries()) {
    for (const list of lists) {
      const embedded = record[list.field] as { has_more?: unknown; url?: unknown } | null | undefined;
      if (embedded?.has_more === true && typeof embedded.url === "string" && embedded.url !== "") truncated.push({ record: index, list, url: embedded.url });
    }
  }
  if (truncated.length === 0) return records;
  const whole = await mapConcurrent(truncated, ctx.config.maxConcurrency, (job) => readWholeList(ctx, decl.name, job));
  const completed = [...records];
  for (const [i, job] of truncated.entries()) {
    const items = whole[i];
    if (!items) continue;
    const record = { ...(completed[job.record] as ApiRecord) };
    record[job.list.field] = { ...(record[job.list.field] as ApiRecord), data: items, total_count: items.length, has_more: false };
    completed[job.record] = record;
  }
  return completed;
}

/** Every item of one list, page after page; undefined when its owner is gone (404), which keeps the embedded page. */
async function readWholeList(ctx: SyncContext, stream: string, job: Truncated): Promise<ApiRecord[] | undefined> {
  const items: ApiRecord[] = [];
  const pageOf = (response: ApiRecord): ApiRecord[] => recordsAt(response, { stream, request: `GET ${job.url}` }, ...job.list.recordsPaths);
  try {
    for await (const response of pagedResponses(ctx, stream, { path: job.url, query: {} }, (r) => pageOf(r).length > 0)) {
      items.push(...pageOf(response).map(job.list.item));
    }
  } catch (error) {
    if (error instanceof IntercomHttpError && error.status === 404) {
      ctx.logger.forStream(stream).warn(`${job.url} answered 404 (deleted meanwhile?); ${job.list.field} keeps its first page only`);
      return undefined;
    }
    throw error;
  }
  return items;
}
