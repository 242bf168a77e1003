/** Where the records of a parent stream come from, page by page, for each kind of endpoint. */
import { IntercomHttpError } from "../http/errors.js";
import { sleep } from "../http/pacer.js";
import type { SyncContext } from "../providers.js";
import type { ApiRecord, ListDeclaration, ParentDeclaration, ScrollDeclaration, SearchDeclaration } from "./declaration.js";
import { recordsAt } from "./response-path.js";

export interface Source {
  /** Pages of records; a scroll that restarts yields records again (the caller deduplicates). */
  pages: AsyncGenerator<ApiRecord[]>;
}

type Query = Record<string, string | number | undefined>;

/** The request for the page after `response`, or undefined at the end. */
export function nextPageRequest(response: ApiRecord, path: string, query: Query): { path: string; query: Query } | undefined {
  const pages = response["pages"];
  if (!pages || typeof pages !== "object") return undefined;
  const { next, page, total_pages: totalPages } = pages as { next?: unknown; page?: unknown; total_pages?: unknown };
  if (typeof next === "string" && next !== "") return { path: next, query: {} };
  if (next && typeof next === "object") {
    const startingAfter = (next as { starting_after?: unknown }).starting_after;
    if (typeof startingAfter === "string" && startingAfter !== "") return { path, query: { ...query, starting_after: startingAfter } };
    const nextPage = (next as { page?: unknown }).page;
    if (typeof nextPage === "number") return { path, query: { ...query, page: nextPage } };
  }
  if (typeof page === "number" && typeof totalPages === "number" && page < totalPages) return { path, query: { ...query, page: page + 1 } };
  return undefined;
}

/**
 * The responses of a paged GET, first page first, following `pages.next` while a page holds
 * records (`hasRecords`); a cursor already followed ends it with a warning.
 */
export async function* pagedResponses(
  ctx: SyncContext,
  stream: string,
  first: { path: string; query: Query },
  hasRecords: (response: ApiRecord) => boolean,
  urgent = false,
): AsyncGenerator<ApiRecord> {
  let request: { path: string; query: Query } | undefined = first;
  const seenCursors = new Set<string>();
  while (request) {
    const response: ApiRecord = await ctx.client.getJson<ApiRecord>({ ...request, stream, urgent });
    yield response;
    const next: { path: string; query: Query } | undefined = hasRecords(response) ? nextPageRequest(response, request.path, request.query) : undefined;
    if (next && seenCursors.has(JSON.stringify(next))) {
      ctx.logger.forStream(stream).warn("the API returned a page cursor already followed; stopping pagination");
      return;
    }
    if (next) seenCursors.add(JSON.stringify(next));
    request = next;
  }
}

async function* listPages(ctx: SyncContext, decl: ListDeclaration, lowerBound: number | undefined): AsyncGenerator<ApiRecord[]> {
  const path = typeof decl.path === "function" ? decl.path(ctx.config) : decl.path;
  const query: Query = { ...decl.query };
  if (decl.lowerBoundParam) query[decl.lowerBoundParam] = lowerBound ?? 0;
  const source = { stream: decl.name, request: `GET ${path}`, objectIsRecord: decl.objectIsRecord };
  const hasRecords = (response: ApiRecord): boolean => decl.paged && recordsAt(response, source, decl.recordsPath).length > 0;
  // A parent list's pages are one chain, each waiting for the one before: they go before child requests.
  for await (const response of pagedResponses(ctx, decl.name, { path, query }, hasRecords, true)) {
    const records = recordsAt(response, source, decl.recordsPath);
    const kept = decl.filter ? records.filter(decl.filter) : records;
    yield decl.complete ? kept.map(decl.complete) : kept;
  }
}

/**
 * The search body: replication key at or after the lower bound, ascending. Contact search widens
 * it to the whole workspace-timezone day holding the bound (through `=`); see SearchDeclaration.
 * With `upper`, also at or before it (`< upper OR = upper`, which contact search widens to the end
 * of that day; nesting two groups under AND is the documented "(1 OR 2) AND (3 OR 4)", 2.14
 * yaml:5768-5771). `descending` sorts the other way (the newest record first).
 */
export function searchBody(
  field: string,
  lowerBound: number,
  perPage: number,
  startingAfter: string | undefined,
  options: { upper?: number; descending?: boolean } = {},
): ApiRecord {
  const lower = {
    operator: "OR",
    value: [
      { field, operator: ">", value: lowerBound },
      { field, operator: "=", value: lowerBound },
    ],
  };
  const upper =
    options.upper === undefined
      ? undefined
      : {
          operator: "OR",
          value: [
            { field, operator: "<", value: options.upper },
            { field, operator: "=", value: options.upper },
          ],
        };
  const body: ApiRecord = {
    query: upper ? { operator: "AND", value: [lower, upper] } : lower,
    sort: { field, order: options.descending ? "descending" : "ascending" },
    pagination: startingAfter ? { per_page: perPage, starting_after: startingAfter } : { per_page: perPage },
  };
  return body;
}

function postSearch(ctx: SyncContext, decl: SearchDeclaration, body: ApiRecord): Promise<ApiRecord> {
  return ctx.client.postJson<ApiRecord>({ path: decl.path, body, stream: decl.name, urgent: true });
}

/** The first page of a search from `lowerBound` on, ascending (its `total_count` says how many records follow). */
export function firstSearchPage(ctx: SyncContext, decl: SearchDeclaration, lowerBound: number): Promise<ApiRecord> {
  return postSearch(ctx, decl, searchBody(decl.replicationKey, lowerBound, ctx.config.pageSize, undefined));
}

/** The replication value of the newest record at or after `lowerBound`, if any. */
export async function newestSearchValue(ctx: SyncContext, decl: SearchDeclaration, lowerBound: number): Promise<number | undefined> {
  const response = await postSearch(ctx, decl, searchBody(decl.replicationKey, lowerBound, 1, undefined, { descending: true }));
  const value = searchRecords(decl, response)[0]?.[decl.replicationKey];
  return typeof value === "number" ? value : undefined;
}

/** The records a search response holds. */
export function searchRecords(decl: SearchDeclaration, response: ApiRecord): ApiRecord[] {
  return recordsAt(response, { stream: decl.name, request: `POST ${decl.path}`, objectIsRecord: decl.objectIsRecord }, decl.recordsPath);
}

/**
 * The records of one time slice [from, to) (see slices.ts), page by page, from `lowerBound` on:
 * records outside the slice (a search that compares by day returns some) are left out, and the
 * slice ends at its first record at or past `to`. `first`: its first response, already read.
 */
async function* searchPages(
  ctx: SyncContext,
  decl: SearchDeclaration,
  slice: { from: number; to: number | undefined; lowerBound: number; first?: ApiRecord },
): AsyncGenerator<ApiRecord[]> {
  const { from, to } = slice;
  let startingAfter: string | undefined;
  const seen = new Set<string>();
  let response = slice.first;
  // A cursor continues the query it came from: after a first page read without an upper bound, none.
  const upper = slice.first ? undefined : to;
  for (;;) {
    response ??= await postSearch(ctx, decl, searchBody(decl.replicationKey, slice.lowerBound, ctx.config.pageSize, startingAfter, { upper }));
    const records = searchRecords(decl, response);
    const valueOf = (record: ApiRecord): number => Number(record[decl.replicationKey] ?? 0);
    yield records.filter((record) => valueOf(record) >= from && (to === undefined || valueOf(record) < to));
    // Sorted ascending: nothing after a record past the slice belongs to it.
    if (to !== undefined && records.some((record) => valueOf(record) >= to)) return;
    const next = records.length > 0 ? nextPageRequest(response, decl.path, {}) : undefined;
    const cursor = next?.query["starting_after"];
    if (typeof cursor !== "string") return;
    if (seen.has(cursor)) {
      ctx.logger.forStream(decl.name).warn("the search returned a cursor already followed; stopping");
      return;
    }
    seen.add(cursor);
    startingAfter = cursor;
    response = undefined;
  }
}

export interface ScrollTiming {
  /** How long to wait for another scroll (a crashed run's) to clear, in total. */
  lockWaitMs: number;
  lockPollMs: number;
  maxRestarts: number;
}

export const SCROLL_TIMING: ScrollTiming = { lockWaitMs: 150_000, lockPollMs: 2_000, maxRestarts: 5 };

function isScrollLocked(error: unknown): boolean {
  return error instanceof IntercomHttpError && error.status === 400 && /scroll.{0,3}(already )?exists|scroll_exists/i.test(`${error.code ?? ""} ${error.body ?? ""}`);
}

/**
 * The scroll API: one scroll per workspace (a 400 "scroll already exists" clears within about a
 * minute, so wait and retry), the same scroll_param on every page, an empty page at the end. A
 * scroll cannot be continued after a failed page ("It is not possible to continue from a specific
 * point", 2.14 yaml:3985), so a page after the first is never retried: a scroll that breaks mid-way
 * (5xx, timeout, expired or unknown scroll_param) is restarted at once from the beginning; records
 * seen before are deduplicated by the caller.
 */
async function* scrollPages(ctx: SyncContext, decl: ScrollDeclaration, timing: ScrollTiming = SCROLL_TIMING): AsyncGenerator<ApiRecord[]> {
  let restarts = 0;
  let lockWaited = 0;
  for (;;) {
    let scrollParam: string | undefined;
    try {
      for (;;) {
        const response = await ctx.client.getJson<ApiRecord>({
          path: decl.path,
          query: { scroll_param: scrollParam },
          stream: decl.name,
          noRetry: scrollParam !== undefined,
          urgent: true,
        });
        const records = recordsAt(response, { stream: decl.name, request: `GET ${decl.path}`, objectIsRecord: decl.objectIsRecord }, decl.recordsPath);
        if (records.length === 0) return;
        if (typeof response["scroll_param"] === "string") scrollParam = response["scroll_param"];
        yield records;
        if (!scrollParam) return;
      }
    } catch (error) {
      if (isScrollLocked(error) && scrollParam === undefined) {
        if (lockWaited >= timing.lockWaitMs) throw error;
        ctx.logger.forStream(decl.name).warn(`another scroll is open on this workspace; waiting ${timing.lockPollMs / 1000}s for it to clear`);
        await sleep(timing.lockPollMs);
        lockWaited += timing.lockPollMs;
        continue;
      }
      const broken = error instanceof IntercomHttpError && (error.status === undefined || error.status >= 500 || error.status === 404 || error.status === 400 || error.status === 410);
      if (!broken || scrollParam === undefined || restarts >= timing.maxRestarts) throw error;
      restarts += 1;
      ctx.logger.forStream(decl.name).warn(`the scroll broke (${(error as Error).message}); restarting it (${restarts}/${timing.maxRestarts})`);
    }
  }
}

/** Whether records come sorted ascending by the replication key (search), so the bookmark may move after every page. */
export function isSorted(decl: ParentDeclaration): boolean {
  return decl.kind === "search";
}

/** The pages of a parent stream; a search reads the time slice `slice` (all of it when absent). */
export function sourceFor(
  ctx: SyncContext,
  decl: ParentDeclaration,
  lowerBound: number,
  timing?: ScrollTiming,
  slice?: { from: number; to: number | undefined; first?: ApiRecord },
): Source {
  switch (decl.kind) {
    case "list":
      return { pages: listPages(ctx, decl, decl.lowerBoundParam ? lowerBound : undefined) };
    case "search":
      return { pages: searchPages(ctx, decl, { from: slice?.from ?? 0, to: slice?.to, lowerBound, first: slice?.first }) };
    case "scroll":
      return { pages: scrollPages(ctx, decl, timing) };
  }
}
