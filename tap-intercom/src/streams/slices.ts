/**
 * A search backfill in time slices read concurrently: the range from the bookmark (or start_date)
 * to the newest record is cut into consecutive slices [from, to), the last one open, each paged by
 * its own search, ascending by the replication key. Each stream of the family keeps a position per
 * slice; its bookmark proper is the position in the first slice not done yet (all before it are),
 * so it only passes a slice once every earlier slice is complete, and the slices still open are
 * saved beside it (`slices`, from that first open slice on). A resumed run reads the stored slices
 * again, each from its own position: a kill at any point loses nothing and re-emits nothing the
 * last STATE covers. The members of a family may store different slices; a resumed family reads
 * all their cuts, and each member takes its positions from the stored slice holding each range.
 * A state without `slices` (an older tap's, or a sync that ended) is one slice
 * from its bookmark on.
 *
 * Slice boundaries hold whatever the search compares: a slice's query asks for at least `from`
 * (`> from OR = from`) and at most `to` (`< to OR = to`), which on every endpoint returns a superset
 * of [from, to) (contact search widens both to whole days of the workspace's timezone, 2.14
 * yaml:5773-5785; conversation and ticket search include the bound, 2.14 yaml:7464-7465 and
 * 14079-14080); records outside [from, to) are left to the slice they belong to.
 */
import type { StateHolder } from "../state-holder.js";
import { BOUNDARY_KEYS, Bookmark, RECENT_KEYS, SLICES, isStoredSlices, savePosition, type Position, type StoredSlice } from "./bookmark.js";

export interface SliceRange {
  from: number;
  /** Exclusive; undefined for the last slice. */
  to: number | undefined;
}

const DAY = 86_400;

/**
 * How many slices and where, for a range whose first page told `total` records from `first` on and
 * whose newest record is at `last`: at most `maxSlices`, at least a page each, at least a day
 * wide (contact search compares by day: narrower slices would overlap), boundaries at or below
 * `ceiling` so only the last slice reaches the records a trailing index may still miss.
 */
export function planSlices(range: { lower: number; first: number; last: number; ceiling: number }, total: number, pageSize: number, maxSlices: number): SliceRange[] {
  // A search that compares by day may return records just below the lower bound.
  const start = Math.max(range.first, range.lower);
  const end = Math.min(range.last, range.ceiling);
  const span = end - start;
  const count = Math.max(1, Math.min(maxSlices, Math.floor(total / pageSize), Math.floor(span / DAY)));
  const bounds = [range.lower];
  for (let i = 1; i < count; i += 1) bounds.push(Math.floor(start + (span * i) / count));
  return bounds.map((from, i) => ({ from, to: bounds[i + 1] }));
}

/** The slices stored in a stream's bookmark, if any (and well formed). */
export function storedSlices(state: StateHolder, stream: string): StoredSlice[] | undefined {
  const stored = state.getBookmark<unknown>(stream, SLICES);
  return isStoredSlices(stored) ? stored : undefined;
}

/**
 * The slices a resumed family reads, from its members' stored slices: every member's cuts (their
 * slices may differ: a member selected after an interrupted run stored slices from its own later
 * run, or from its first open slice on when another member was further along), from the lowest
 * start of any member on. Each stored slice is then a run of these slices.
 */
export function rangesOf(stored: StoredSlice[][], lowerBound = Infinity): SliceRange[] {
  const from = Math.min(lowerBound, ...stored.map((slices) => (slices[0] as StoredSlice).from));
  const cuts = [...new Set(stored.flat().flatMap((slice) => (slice.to === null || slice.to <= from ? [] : [slice.to])))].sort((a, b) => a - b);
  return [from, ...cuts].map((start, i) => ({ from: start, to: cuts[i] }));
}

/**
 * What a member's stored slices say of `range`: the stored slice holding it (its position and
 * whether it is done), or done when the range ends before the first stored slice (the stored
 * slices start at the first one not done); undefined when no stored slice holds it.
 */
function storedFor(stored: StoredSlice[], range: SliceRange): { slice?: StoredSlice; done: boolean } | undefined {
  const first = stored[0] as StoredSlice;
  if (range.to !== undefined && range.to <= first.from) return { done: true };
  const slice = stored.find((s, i) => (i === 0 || s.from <= range.from) && (s.to === null || (range.to !== undefined && range.to <= s.to)));
  return slice ? { slice, done: slice.done === true } : undefined;
}

/** One stream's bookmark over the family's slices. */
export class SlicedBookmark {
  private ranges: SliceRange[] = [];
  private progress: Bookmark[] = [];
  private done: boolean[] = [];
  private head = 0;
  /** The position at the end of the last slice folded that had one. */
  private folded: Position | undefined;

  /** `base`: the bookmark of the stored position (the run's filter, and the first slice's progress). */
  constructor(
    private readonly stream: string,
    private readonly field: string,
    readonly base: Bookmark,
    private readonly ceiling: number,
  ) {
    this.slice([{ from: base.lowerBound(), to: undefined }], undefined);
  }

  /**
   * Cuts the range into `ranges`; with `stored`, each range takes the position and the done flag of
   * the stored slice that holds it, and the ranges below the stored ones are done; so are the
   * ranges below the bookmark's lower bound, which hold nothing it wants.
   */
  slice(ranges: SliceRange[], stored: StoredSlice[] | undefined): void {
    const resumed = ranges.map((range) => (stored ? storedFor(stored, range) : undefined));
    this.ranges = ranges;
    this.head = 0;
    this.folded = undefined;
    this.done = ranges.map((range, i) => resumed[i]?.done === true || (range.to !== undefined && range.to <= this.base.lowerBound()));
    const firstOpen = this.done.indexOf(false);
    this.progress = ranges.map((_, i) => {
      const slice = resumed[i]?.slice;
      // The first open slice's position is the bookmark proper.
      if (i === firstOpen) return this.base;
      const start = { value: slice?.value, keys: slice?.boundary_keys ?? [], recent: slice?.recent_keys ?? {} };
      return new Bookmark(this.stream, this.field, start, undefined, 0, this.ceiling);
    });
    while (this.head < this.ranges.length && this.done[this.head]) this.head += 1;
  }

  /** The lowest value slice `index` needs from the API. */
  lowerBound(index: number): number {
    const range = this.ranges[index] as SliceRange;
    return Math.max(range.from, (this.progress[index] as Bookmark).lowerBound());
  }

  isDone(index: number): boolean {
    return this.done[index] === true;
  }

  wants(index: number, value: number, key: string): boolean {
    return !this.isDone(index) && (this.progress[index] as Bookmark).wants(value, key) && this.base.wants(value, key);
  }

  advance(index: number, value: number, key: string): void {
    (this.progress[index] as Bookmark).advance(value, key);
  }

  complete(index: number): void {
    this.done[index] = true;
    while (this.head < this.ranges.length && this.done[this.head]) {
      this.folded = (this.progress[this.head] as Bookmark).position() ?? this.folded;
      this.head += 1;
    }
  }

  /** Writes the bookmark (the first open slice's position) and the open slices into the state. */
  save(state: StateHolder): void {
    const current = this.head < this.ranges.length ? ((this.progress[this.head] as Bookmark).position() ?? this.folded) : this.folded;
    if (current) {
      // The previous run's keys above its ceiling stay until a saved value passes them.
      savePosition(state, this.stream, this.field, { ...current, recent: { ...this.base.recentAbove(current.value as number), ...current.recent } });
    }
    const open = this.ranges.slice(this.head);
    if (open.length <= 1) {
      if (state.getBookmark(this.stream, SLICES) !== undefined) state.clearBookmark(this.stream, SLICES);
      return;
    }
    const slices: StoredSlice[] = open.map((range, offset) => {
      const index = this.head + offset;
      const position = (this.progress[index] as Bookmark).position();
      const slice: StoredSlice = { from: range.from, to: range.to ?? null };
      if (position?.value !== undefined) Object.assign(slice, { value: position.value, [BOUNDARY_KEYS]: position.keys });
      if (position && Object.keys(position.recent).length > 0) slice[RECENT_KEYS] = position.recent;
      if (this.done[index]) slice.done = true;
      return slice;
    });
    state.setBookmark(this.stream, SLICES, slices);
  }
}
