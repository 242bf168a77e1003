/**
 * A state or catalog written by another tap or another version of this one may name streams,
 * fields or bookmarks this tap does not have. They are ignored, never an error (a state from an
 * older version must still work), with one warning per kind that names them.
 */
import type { Catalog, Logger, SingerState } from "../../singer/src/index.js";
import { providerOf } from "./registry.js";

/** At most this many names per warning; the count says how many more. */
const NAMED = 20;

function names(items: string[]): string {
  const shown = items.slice(0, NAMED).join(", ");
  return items.length > NAMED ? `${shown} and ${items.length - NAMED} more` : shown;
}

/**
 * Warns about what the state holds that no stream reads; returns the state without the bookmarks
 * of known streams that are not objects (their keys could not be set on them).
 */
export function checkForeignState(state: SingerState, source: string, logger: Logger): SingerState {
  const unknownStreams: string[] = [];
  const unknownEntries: string[] = [];
  const bookmarks = { ...state.bookmarks };
  for (const [stream, bookmark] of Object.entries(state.bookmarks)) {
    const provider = providerOf(stream);
    if (!provider) {
      unknownStreams.push(stream);
      continue;
    }
    if (typeof bookmark !== "object" || bookmark === null || Array.isArray(bookmark)) {
      unknownEntries.push(`${stream} (${Array.isArray(bookmark) ? "a list" : JSON.stringify(typeof bookmark)}, not an object)`);
      delete bookmarks[stream];
      continue;
    }
    const shapes = provider.bookmarkKeys?.(stream) ?? {};
    for (const [key, value] of Object.entries(bookmark)) {
      const shape = shapes[key];
      if (!shape) unknownEntries.push(`${stream}.${key}`);
      else if (!shape.test(value)) unknownEntries.push(`${stream}.${key} (not ${shape.description})`);
    }
  }
  if (unknownStreams.length > 0) {
    logger.warn(`${source}: ignored the bookmarks of streams this tap does not have: ${names(unknownStreams)} (they are kept in the state as they are)`);
  }
  if (unknownEntries.length > 0) {
    logger.warn(`${source}: ignored bookmark entries this tap does not read: ${names(unknownEntries)}`);
  }
  const current = state.currently_syncing;
  if (current !== undefined && current !== null && (typeof current !== "string" || !providerOf(current))) {
    logger.warn(`${source}: ignored currently_syncing ${JSON.stringify(current)}: not a stream of this tap`);
  }
  return { ...state, bookmarks };
}

/** Warns about the catalog's streams and fields this tap does not have; returns the catalog without them. */
export function checkForeignCatalog(catalog: Catalog, source: string, logger: Logger): Catalog {
  const unknownStreams: string[] = [];
  const unknownFields: string[] = [];
  const streams = catalog.streams.flatMap((stream) => {
    const provider = providerOf(stream.tap_stream_id);
    if (!provider) {
      unknownStreams.push(stream.tap_stream_id);
      return [];
    }
    const known = provider.knownFields?.(stream.tap_stream_id);
    const properties = stream.schema.properties;
    if (!known || !properties) return [stream];
    const foreign = Object.keys(properties).filter((field) => !known.includes(field));
    if (foreign.length === 0) return [stream];
    unknownFields.push(...foreign.map((field) => `${stream.tap_stream_id}.${field}`));
    const kept = Object.fromEntries(Object.entries(properties).filter(([field]) => known.includes(field)));
    return [{ ...stream, schema: { ...stream.schema, properties: kept } }];
  });
  if (unknownStreams.length > 0) logger.warn(`${source}: ignored streams this tap does not have: ${names(unknownStreams)}`);
  if (unknownFields.length > 0) logger.warn(`${source}: ignored fields this tap does not have: ${names(unknownFields)}`);
  return { ...catalog, streams };
}
