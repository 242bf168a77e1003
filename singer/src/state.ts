import { ConfigError } from "./errors.js";

/** Singer state: per-stream bookmarks plus the stream being synced when a run stopped. */
export interface SingerState {
  bookmarks: Record<string, Record<string, unknown>>;
  currently_syncing?: string | null;
  [extra: string]: unknown;
}

export function emptyState(): SingerState {
  return { bookmarks: {} };
}

/** Accepts a state file's content; a Meltano-style `{"type":"STATE","value":…}` wrapper is unwrapped. */
export function parseState(value: unknown, source = "state"): SingerState {
  if (value === null || value === undefined) return emptyState();
  if (typeof value !== "object" || Array.isArray(value)) throw new ConfigError(`${source}: state must be a JSON object`);
  let body = value as Record<string, unknown>;
  if (body["type"] === "STATE" && typeof body["value"] === "object" && body["value"] !== null) {
    body = body["value"] as Record<string, unknown>;
  }
  const bookmarks = body["bookmarks"] ?? {};
  if (typeof bookmarks !== "object" || bookmarks === null || Array.isArray(bookmarks)) {
    throw new ConfigError(`${source}: "bookmarks" must be an object`);
  }
  return { ...body, bookmarks: { ...(bookmarks as SingerState["bookmarks"]) } };
}

export function getBookmark<T = unknown>(state: SingerState, stream: string, key: string): T | undefined {
  return state.bookmarks[stream]?.[key] as T | undefined;
}

/** Returns a new state with one bookmark value set; the input is not changed. */
export function setBookmark(state: SingerState, stream: string, key: string, value: unknown): SingerState {
  return {
    ...state,
    bookmarks: { ...state.bookmarks, [stream]: { ...state.bookmarks[stream], [key]: value } },
  };
}

export function clearBookmark(state: SingerState, stream: string, key: string): SingerState {
  const current = { ...state.bookmarks[stream] };
  delete current[key];
  return { ...state, bookmarks: { ...state.bookmarks, [stream]: current } };
}

export function getCurrentlySyncing(state: SingerState): string | null {
  return typeof state.currently_syncing === "string" ? state.currently_syncing : null;
}

export function setCurrentlySyncing(state: SingerState, stream: string | null): SingerState {
  return { ...state, currently_syncing: stream };
}

/** The stream interrupted last time (the state's `currently_syncing`) first, then the rest in their order. */
export function resumeOrder<T>(items: T[], nameOf: (item: T) => string, state: SingerState): T[] {
  const current = getCurrentlySyncing(state);
  const index = current === null ? -1 : items.findIndex((item) => nameOf(item) === current);
  if (index <= 0) return items;
  return [items[index] as T, ...items.slice(0, index), ...items.slice(index + 1)];
}
