/**
 * An incremental bookmark: the highest replication value processed, plus the keys processed at
 * exactly that value, so a resumed or later run re-reads the boundary second without
 * re-emitting what was emitted and without skipping what was not.
 *
 * A bookmark may have a ceiling, a time shortly before its stream's read began: the saved value
 * never passes it, because a record updated just before the read may not have been returned (a
 * search index that trails writes, an unsorted list read while records change). The next run
 * re-reads from the ceiling; the records processed above it are saved with their values
 * (`recent_keys`), so the re-read skips them unless they changed again.
 */
import type { BookmarkShape } from "../providers.js";
import type { StateHolder } from "../state-holder.js";

export const BOUNDARY_KEYS = "boundary_keys";
export const RECENT_KEYS = "recent_keys";
/** A search backfill's time slices not yet folded into the bookmark (see slices.ts). */
export const SLICES = "slices";

/** A saved position: the highest value processed, the keys processed at it, and those processed above the ceiling. */
export interface Position {
  value: number | undefined;
  keys: string[];
  recent: Record<string, number>;
}

/** The position a stream's bookmark holds in the state (nothing for a stream not synced yet). */
export function storedPosition(state: StateHolder, stream: string, field: string): Position {
  const stored = state.getBookmark<unknown>(stream, field);
  const keys = state.getBookmark<unknown>(stream, BOUNDARY_KEYS);
  const recent = state.getBookmark<unknown>(stream, RECENT_KEYS);
  return {
    value: typeof stored === "number" ? stored : typeof stored === "string" && stored !== "" ? toSeconds(stored) : undefined,
    keys: Array.isArray(keys) ? keys.map(String) : [],
    recent: Object.fromEntries(
      recent && typeof recent === "object" ? Object.entries(recent).filter((entry): entry is [string, number] => typeof entry[1] === "number") : [],
    ),
  };
}

/** Writes a position as a stream's bookmark. */
export function savePosition(state: StateHolder, stream: string, field: string, position: Position): void {
  if (position.value === undefined) return;
  state.setBookmark(stream, field, position.value);
  state.setBookmark(stream, BOUNDARY_KEYS, position.keys);
  if (Object.keys(position.recent).length > 0) state.setBookmark(stream, RECENT_KEYS, position.recent);
  else state.clearBookmark(stream, RECENT_KEYS);
}

export class Bookmark {
  private value: number | undefined;
  private keysAtValue: Set<string>;
  /** Keys processed at or above the ceiling, with the value processed. */
  private readonly processed = new Map<string, number>();
  /** The position passed by the previous run, fixed for this run's filtering. */
  private readonly startValue: number | undefined;
  private readonly startKeys: Set<string>;
  private readonly startRecent: Map<string, number>;

  /** `start`: the state to read the stream's stored position from, or a position. */
  constructor(
    private readonly stream: string,
    private readonly field: string,
    start: StateHolder | Position,
    private readonly startDate: number | undefined,
    private readonly lookbackSeconds: number,
    private readonly ceiling?: number,
  ) {
    const position = "recent" in start ? start : storedPosition(start, stream, field);
    this.startValue = position.value;
    this.startKeys = new Set(position.keys);
    this.startRecent = new Map(Object.entries(position.recent));
    this.value = this.startValue;
    this.keysAtValue = new Set(this.startKeys);
  }

  /** The lowest replication value this run needs from the API. */
  lowerBound(): number {
    if (this.startValue === undefined) return this.startDate ?? 0;
    return Math.max(0, this.startValue - this.lookbackSeconds);
  }

  /** Whether a record at this value and key still has to be processed in this run. */
  wants(value: number, key: string): boolean {
    if (this.startValue === undefined) return this.startDate === undefined || value >= this.startDate;
    if (this.lookbackSeconds > 0) return value >= this.startValue - this.lookbackSeconds;
    if (this.startRecent.get(key) === value) return false;
    return value > this.startValue || (value === this.startValue && !this.startKeys.has(key));
  }

  /** Records that a record at this value and key has been processed (emitted or skipped as done). */
  advance(value: number, key: string): void {
    if (this.value === undefined || value > this.value) {
      this.value = value;
      this.keysAtValue = new Set([key]);
    } else if (value === this.value) {
      this.keysAtValue.add(key);
    }
    if (this.ceiling !== undefined && value >= this.ceiling) this.processed.set(key, Math.max(value, this.processed.get(key) ?? value));
  }

  /** The position reached, capped at the ceiling; undefined before any value. */
  position(): Position | undefined {
    if (this.value === undefined) return undefined;
    const capped = this.ceiling !== undefined && this.value > this.ceiling;
    const saved = capped ? (this.ceiling as number) : this.value;
    const keys = capped ? [...this.processed].filter(([, value]) => value === saved).map(([key]) => key) : [...this.keysAtValue];
    const recent = new Map([...this.startRecent].filter(([, value]) => value > saved));
    for (const [key, value] of this.processed) if (value > saved) recent.set(key, value);
    return { value: saved, keys, recent: Object.fromEntries(recent) };
  }

  /** The previous run's keys processed above its ceiling (the filter of `wants`). */
  recentAbove(value: number): Record<string, number> {
    return Object.fromEntries([...this.startRecent].filter(([, recent]) => recent > value));
  }
}

/** The keys a Bookmark on `field` reads from the state, with the shapes it understands. */
export function bookmarkShapes(field: string): Record<string, BookmarkShape> {
  return {
    [field]: { description: "Unix seconds or an ISO 8601 date-time", test: (value) => toSeconds(value) > 0 },
    [BOUNDARY_KEYS]: { description: "a list", test: (value) => Array.isArray(value) },
    [RECENT_KEYS]: {
      description: "an object of Unix seconds",
      test: isRecentKeys,
    },
    [SLICES]: { description: "a list of time slices (from, to, value, boundary_keys, recent_keys, done)", test: isStoredSlices },
  };
}

function isRecentKeys(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "number");
}

/** One stored time slice: [from, to) (to null: open), the position reached in it, whether it is done. */
export interface StoredSlice {
  from: number;
  to: number | null;
  value?: number;
  boundary_keys?: string[];
  recent_keys?: Record<string, number>;
  done?: boolean;
}

export function isStoredSlices(value: unknown): value is StoredSlice[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((slice: unknown) => {
      if (typeof slice !== "object" || slice === null) return false;
      const { from, to, value: reached, boundary_keys: keys, recent_keys: recent, done } = slice as Record<string, unknown>;
      return (
        typeof from === "number" &&
        (to === null || typeof to === "number") &&
        (reached === undefined || typeof reached === "number") &&
        (keys === undefined || Array.isArray(keys)) &&
        (recent === undefined || isRecentKeys(recent)) &&
        (done === undefined || typeof done === "boolean")
      );
    })
  );
}

/** Unix seconds from a number or an ISO 8601 string. */
export function toSeconds(value: unknown): number {
  if (typeof value === "number") return value > 1e11 ? Math.floor(value / 1000) : value;
  if (typeof value === "string") {
    const asNumber = Number(value);
    if (value.trim() !== "" && Number.isFinite(asNumber)) return toSeconds(asNumber);
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  return 0;
}
