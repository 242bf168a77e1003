/** Export windows: half-open time ranges [start, end) in whole Unix seconds. */
export interface ExportWindow {
  start: number;
  end: number;
}

/**
 * The windows from `from` up to `until`, on a fixed grid of `size` seconds counted from the Unix
 * epoch: every window is one grid cell, except that the first may start late (at `from`) and the
 * last end early (at `until`). A window re-exported later therefore has the same start, which the
 * window-row key relies on.
 */
export function* exportWindows(from: number, until: number, size: number): Generator<ExportWindow> {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`window size must be a positive integer, got ${size}`);
  for (let start = from; start < until; ) {
    const end = Math.min(gridFloor(start, size) + size, until);
    yield { start, end };
    start = end;
  }
}

/** The start of the grid cell holding `time`. */
export function gridFloor(time: number, size: number): number {
  return Math.floor(time / size) * size;
}

export function unixToRfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** Parses an RFC 3339 / ISO 8601 date or date-time into whole Unix seconds (rounded down). */
export function rfc3339ToUnix(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new RangeError(`not a date-time: ${JSON.stringify(text)}`);
  return Math.floor(ms / 1000);
}

export function describeWindow(window: ExportWindow): string {
  return `[${unixToRfc3339(window.start)}, ${unixToRfc3339(window.end)})`;
}
