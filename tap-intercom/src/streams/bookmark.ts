/**
 * An incremental bookmark: the highest replication value processed, plus the keys processed at
 * exactly that value, so a resumed or later run re-reads the boundary second without
 * re-emitting what was emitted and without skipping what was not.
 */
import type { StateHolder } from "../state-holder.js";

export const BOUNDARY_KEYS = "boundary_keys";

export class Bookmark {
  private value: number | undefined;
  private keysAtValue: Set<string>;
  /** The position passed by the previous run, fixed for this run's filtering. */
  private readonly startValue: number | undefined;
  private readonly startKeys: Set<string>;

  constructor(
    private readonly stream: string,
    private readonly field: string,
    state: StateHolder,
    private readonly startDate: number | undefined,
    private readonly lookbackSeconds: number,
  ) {
    const stored = state.getBookmark<unknown>(stream, field);
    this.startValue = typeof stored === "number" ? stored : typeof stored === "string" && stored !== "" ? toSeconds(stored) : undefined;
    const keys = state.getBookmark<unknown>(stream, BOUNDARY_KEYS);
    this.startKeys = new Set(Array.isArray(keys) ? keys.map(String) : []);
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
  }

  /**
   * Writes the bookmark into the state.
   * `ceiling` caps the saved value (boundary keys then no longer apply): an unsorted source read
   * from time T may have returned a record before it was updated again after T, so the next run
   * must start no later than T.
   */
  save(state: StateHolder, ceiling?: number): void {
    if (this.value === undefined) return;
    const capped = ceiling !== undefined && this.value > ceiling;
    state.setBookmark(this.stream, this.field, capped ? ceiling : this.value);
    state.setBookmark(this.stream, BOUNDARY_KEYS, capped ? [] : [...this.keysAtValue]);
  }
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
