/**
 * Syncs a parent stream together with its selected children: the parent's pages are read once;
 * for each page the parent records are written, then the children of the changed parents are
 * fetched concurrently (under the shared pacer) and written in parent order, then bookmarks move
 * and STATE is emitted; the next page is requested while a page is handled. Children of a scroll are fetched after the scroll ends, so a slow child
 * phase cannot let the scroll expire; its parents wait in a temporary file meanwhile.
 *
 * A search returns records sorted by the replication value, so after each page the family forgets
 * the keys below that page's lowest value (only a page that shifted could return them again):
 * memory follows the page, not the workspace. An unsorted source keeps every key for the run (a
 * restarted scroll returns everything again).
 *
 * Every child a changed parent has is written, not only those newer than the bookmark: a parent
 * may enter the sync late (a conversation last updated before start_date that gets a reply), and
 * then its older children were never written. Whether a parent is new to the warehouse would need
 * its previous updated_at, which nothing tells the tap; the request already returns all its
 * children, and the target upserts them by key, so writing them again costs output, not requests.
 */
import type { CatalogStream } from "../../../singer/src/index.js";
import { IntercomHttpError } from "../http/errors.js";
import type { SyncContext } from "../providers.js";
import { Bookmark } from "./bookmark.js";
import { consumeConcurrentInOrder, prefetched } from "./concurrency.js";
import { unchecked, type ParentRecord } from "./api-records.js";
import type { ApiRecord, ChildDeclaration, ParentDeclaration, SearchDeclaration } from "./declaration.js";
import { writeDeletions } from "./deletions.js";
import { completeEmbeddedLists } from "./embedded-lists.js";
import { StreamOutput } from "./output.js";
import { recordsAt } from "./response-path.js";
import { SlicedBookmark, planSlices, rangesOf, storedSlices, type SliceRange } from "./slices.js";
import { firstSearchPage, isSorted, newestSearchValue, pagedResponses, searchRecords, sourceFor, type ScrollTiming } from "./sources.js";
import { SpillQueue } from "./spill-queue.js";
import { VersionWindow } from "./version-window.js";

interface Member {
  output: StreamOutput | undefined;
  bookmark: SlicedBookmark | undefined;
}

interface ChildMember extends Member {
  declaration: ChildDeclaration;
  output: StreamOutput;
  truncations: number;
}

const DEFERRED_BATCH = 500;
/**
 * Seconds a search stream's bookmark stays before the time its read began: Intercom's search index
 * trails writes by "a few minutes" (2.14 yaml:5764), so a record updated just before the read may
 * be missing from it while later ones are found.
 */
const SEARCH_INDEX_LAG_SECONDS = 900;
/** Seconds an unsorted source's bookmark stays before the time its read began, for clock skew. */
const UNSORTED_SAFETY_SECONDS = 300;

function bookmarkFor(ctx: SyncContext, stream: string, field: string | undefined, ceiling: number): SlicedBookmark | undefined {
  if (!field) return undefined;
  const base = new Bookmark(stream, field, ctx.state, ctx.config.startDate, ctx.config.lookbackWindowSeconds, ceiling);
  return new SlicedBookmark(stream, field, base, ceiling);
}

function numeric(value: unknown): number {
  return typeof value === "number" ? value : Number(value ?? 0) || 0;
}

/**
 * How many time slices a search backfill reads at once: each holds a page in memory, and a slice's
 * page is followed by its children (several requests), so a quarter of the request slots keeps
 * them busy; at the default max_concurrency (8) that is 2, the pages the tap held before slices
 * (one handled, one prefetched).
 */
function maxSlices(maxConcurrency: number): number {
  return Math.max(1, Math.ceil(maxConcurrency / 4));
}

/**
 * The time slices of a search family (see slices.ts): those stored by an interrupted run, else cut
 * after the first page when it tells more records than two pages hold (then the newest
 * record's value, one request more, bounds the cut); the first page is handed to the first slice.
 */
async function searchSlices(
  ctx: SyncContext,
  parent: SearchDeclaration,
  members: Member[],
  lowerBound: number,
  ceiling: number,
): Promise<{ ranges: SliceRange[]; first?: ApiRecord }> {
  const bookmarks = members.flatMap((m) => (m.bookmark ? [m.bookmark] : []));
  const names = members.map((m) => m.output?.name);
  const stored = names.map((name) => (name ? storedSlices(ctx.state, name) : undefined));
  const resumed = stored.filter((slices) => slices !== undefined);
  if (resumed.length > 0) {
    // A member wanting records below the stored first slice (a lookback, a newly selected child) widens it.
    const ranges = rangesOf(resumed, lowerBound);
    members.forEach((member, i) => member.bookmark?.slice(ranges, stored[i]));
    return { ranges };
  }
  const first = await firstSearchPage(ctx, parent, lowerBound);
  const whole: SliceRange[] = [{ from: lowerBound, to: undefined }];
  const total = numeric(first["total_count"]);
  const earliest = searchRecords(parent, first)[0]?.[parent.replicationKey];
  if (bookmarks.length === 0 || typeof earliest !== "number" || total <= ctx.config.pageSize * 2 || maxSlices(ctx.config.maxConcurrency) < 2) return { ranges: whole, first };
  const newest = await newestSearchValue(ctx, parent, lowerBound);
  if (newest === undefined) return { ranges: whole, first };
  const ranges = planSlices({ lower: lowerBound, first: earliest, last: newest, ceiling }, total, ctx.config.pageSize, maxSlices(ctx.config.maxConcurrency));
  for (const bookmark of bookmarks) bookmark.slice(ranges, undefined);
  if (ranges.length > 1) ctx.logger.forStream(parent.name).debug(`reading ${total} records in ${ranges.length} time slices`);
  return { ranges, first };
}

export async function syncFamily(
  ctx: SyncContext,
  parent: ParentDeclaration,
  parentStream: CatalogStream | undefined,
  children: { declaration: ChildDeclaration; stream: CatalogStream }[],
  timing?: ScrollTiming,
): Promise<void> {
  const parentRk = parent.replicationKey;
  const sorted = isSorted(parent);
  const ceiling = Math.floor(Date.now() / 1000) - (sorted ? SEARCH_INDEX_LAG_SECONDS : UNSORTED_SAFETY_SECONDS);
  const parentMember: Member = {
    output: parentStream ? new StreamOutput(ctx, parentStream, parent) : undefined,
    bookmark: parentStream ? bookmarkFor(ctx, parent.name, parentRk, ceiling) : undefined,
  };
  // A child's bookmark follows its parent's replication key.
  const childMembers: ChildMember[] = children.map(({ declaration, stream }) => ({
    declaration,
    output: new StreamOutput(ctx, stream, declaration),
    bookmark: parentRk ? bookmarkFor(ctx, declaration.name, declaration.replicationKey, ceiling) : undefined,
    truncations: 0,
  }));
  const members: Member[] = [parentMember, ...childMembers];
  for (const member of members) await member.output?.start();

  const bounds = members.flatMap((m) => (m.bookmark ? [m.bookmark.base.lowerBound()] : []));
  const lowerBound = bounds.length > 0 ? Math.min(...bounds) : (ctx.config.startDate ?? 0);
  const { ranges, first } = parent.kind === "search" ? await searchSlices(ctx, parent, members, lowerBound, ceiling) : { ranges: [{ from: lowerBound, to: undefined }], first: undefined };
  const keyOf = (record: ApiRecord): string => JSON.stringify(parent.keyProperties.map((k) => record[k] ?? null));
  const valueOf = (record: ApiRecord): number => (parentRk ? numeric(record[parentRk]) : 0);
  const deferred = new SpillQueue<ApiRecord>();
  // Each slice may start max_concurrency children (the client's slots bound what is in flight in
  // all): a slice whose children are fast takes the slots another leaves idle.
  const childLimit = ctx.config.maxConcurrency;

  // Once a slice fails the others stop at their next page instead of requesting on until a write is refused.
  let stopped = false;
  const readSlice = async (index: number): Promise<void> => {
    const range = ranges[index] as SliceRange;
    const open = members.flatMap((m) => (m.bookmark && !m.bookmark.isDone(index) ? [m.bookmark] : []));
    if (members.some((m) => m.bookmark) && open.length === 0) return;
    const wanted = (member: Member, record: ApiRecord): boolean => !member.bookmark || member.bookmark.wants(index, valueOf(record), keyOf(record));
    const sliceLower = open.length > 0 ? Math.min(...open.map((b) => b.lowerBound(index))) : lowerBound;
    const source = sourceFor(ctx, parent, sliceLower, timing, { from: range.from, to: range.to, first: index === 0 ? first : undefined });
    // Records are written once per key and value within the slice: values never repeat across slices.
    const written = new VersionWindow();
    const doneParents = new VersionWindow();
    // One slice requests its next page while handling this one; several keep the slots busy without.
    for await (const page of ranges.length > 1 ? source.pages : prefetched(source.pages)) {
      if (stopped) return;
      // Only the records written need their truncated lists read whole.
      const output = parentMember.output;
      const toWrite = output ? page.filter((record) => wanted(parentMember, record)) : [];
      const positions = new Map(toWrite.map((record, i) => [record, i]));
      const whole = output ? await completeEmbeddedLists(ctx, parent, toWrite, (field) => output.selects(field)) : [];
      for (const record of page) {
        const position = positions.get(record);
        if (output && position !== undefined) await output.write(whole[position] as ApiRecord, written);
        parentMember.bookmark?.advance(index, valueOf(record), keyOf(record));
      }
      const fresh = page.filter((record) => {
        const key = keyOf(record);
        if (doneParents.has(key, valueOf(record))) return false;
        doneParents.set(key, valueOf(record));
        return true;
      });
      if (parent.kind === "scroll") await deferred.push(fresh);
      else {
        for (const child of childMembers) {
          const parents = fresh.filter((record) => wanted(child, record));
          await syncChildren(ctx, child, parents, parents, valueOf, keyOf, index, childLimit);
        }
      }
      if (sorted && page.length > 0) {
        const floor = Math.min(...page.map(valueOf));
        doneParents.forgetBelow(floor);
        written.forgetBelow(floor);
      }
      // Unsorted sources keep the previous bookmark until the end; STATE still follows every page.
      if (sorted) for (const member of members) member.bookmark?.save(ctx.state);
      if (members.some((member) => member.bookmark)) await ctx.state.emit();
    }
    for (const child of childMembers) {
      for await (const stored of deferred.batches(DEFERRED_BATCH)) {
        const batch = stored.filter((record) => wanted(child, record));
        await syncChildren(ctx, child, batch, batch, valueOf, keyOf, index, childLimit);
      }
    }
    for (const member of members) member.bookmark?.complete(index);
    if (sorted && ranges.length > 1) {
      for (const member of members) member.bookmark?.save(ctx.state);
      await ctx.state.emit();
    }
  };

  try {
    // The first failure in time is the run's; every slice has stopped before it is thrown.
    let failure: { error: unknown } | undefined;
    await Promise.all(
      ranges.map((_, index) =>
        readSlice(index).catch((error: unknown) => {
          stopped = true;
          failure ??= { error };
        }),
      ),
    );
    if (failure) throw failure.error;
  } finally {
    await deferred.close();
  }
  if (parentMember.output) await writeDeletions(ctx, parent, parentMember.output);
  for (const member of members) member.bookmark?.save(ctx.state);
  for (const member of members) await member.output?.complete();
  await ctx.state.emit();
  for (const member of members) member.output?.finish();
  for (const child of childMembers) {
    if (child.truncations > 0) {
      ctx.logger.forStream(child.declaration.name).warn(`${child.truncations} parents returned fewer child records than they hold (API cap); see the warnings above`);
    }
  }
}

/** Fetches the children of `parents` concurrently and writes them in parent order as they arrive; advances over `advanceOver`. */
async function syncChildren(
  ctx: SyncContext,
  child: ChildMember,
  parents: ApiRecord[],
  advanceOver: ApiRecord[],
  valueOf: (record: ApiRecord) => number,
  keyOf: (record: ApiRecord) => string,
  slice: number,
  limit: number,
): Promise<void> {
  const decl = child.declaration;
  const sourceOf = (parent: ApiRecord) => ({ stream: decl.name, request: `GET ${decl.path(parent)}`, objectIsRecord: decl.objectIsRecord });
  const fetchChildren = async (record: ApiRecord): Promise<ApiRecord[] | undefined> => {
    const hasRecords = (response: ApiRecord): boolean => decl.paged === true && recordsAt(response, sourceOf(record), decl.recordsPath).length > 0;
    try {
      const pages: ApiRecord[] = [];
      for await (const page of pagedResponses(ctx, decl.name, { path: decl.path(record), query: { ...decl.query } }, hasRecords)) pages.push(page);
      return pages;
    } catch (error) {
      if (decl.skipNotFound && error instanceof IntercomHttpError && error.status === 404) {
        ctx.logger.forStream(decl.name).warn(`parent ${String(unchecked<ParentRecord>(record).id)} no longer exists (404); skipped`);
        return undefined;
      }
      throw error;
    }
  };
  await consumeConcurrentInOrder(parents, limit, fetchChildren, async (pages, parentRecord) => {
    if (!pages?.[0]) return;
    const records = pages.flatMap((page) => recordsAt(page, sourceOf(parentRecord), decl.recordsPath));
    const problem = decl.inspect?.(pages[0], parentRecord, records.length);
    if (problem) {
      child.truncations += 1;
      ctx.logger.forStream(decl.name).warn(problem.warning);
      ctx.logger.metric("counter", problem.metric, 1, { stream: decl.name, ...problem.tags });
    }
    for (const record of records) await child.output.write(decl.enrich(record, parentRecord));
  });
  // Each parent's children are written once per parent value (the family skips a parent it has
  // done at that value), so nothing needs remembering past this batch.
  child.output.forgetBelow(Infinity);
  for (const record of advanceOver) child.bookmark?.advance(slice, valueOf(record), keyOf(record));
}
