/** Export windows: half-open time ranges [start, end) in whole Unix seconds. */
export interface ExportWindow {
  start: number;
  end: number;
}

/** The windows from `from` up to `until`, each at most `size` seconds; the last one may be shorter. */
export function* exportWindows(from: number, until: number, size: number): Generator<ExportWindow> {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`window size must be a positive integer, got ${size}`);
  for (let start = from; start < until; start += size) {
    yield { start, end: Math.min(start + size, until) };
  }
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
