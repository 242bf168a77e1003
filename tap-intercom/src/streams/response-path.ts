/**
 * Where the records are in an Intercom response, read the way Airbyte's DpathExtractor reads a
 * declared `field_path`: follow the keys; an array there holds the records, nothing there (absent,
 * null) none. An object there is the one record only where the declaration says so
 * (`objectIsRecord`: an article's statistics); anywhere else it, or a scalar, is an answer the tap
 * cannot use, and an error names the stream, the request and what was found.
 */
import { IntercomResponseError, requestOwner } from "../http/errors.js";
import type { ApiRecord, RecordsPath } from "./declaration.js";

/** Whose response it is: the stream and request an error names, and whether an object is the one record. */
export interface ResponseSource {
  stream: string;
  /** e.g. "GET /tags". */
  request: string;
  objectIsRecord?: boolean;
}

/** The value at `path` in `value`, or undefined where a key is missing. */
function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== "object" || Array.isArray(current)) return undefined;
    current = (current as ApiRecord)[key];
  }
  return current;
}

function described(value: unknown): string {
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    return `an object (keys: ${keys.length === 0 ? "none" : keys.slice(0, 8).join(", ") + (keys.length > 8 ? ", …" : "")})`;
  }
  return `a ${typeof value}`;
}

/** The records at the first of `paths` that holds an array (or, for `objectIsRecord`, an object), or none when nothing is there. */
export function recordsAt(response: ApiRecord, source: ResponseSource, ...paths: RecordsPath[]): ApiRecord[] {
  let misplaced: { path: RecordsPath; value: unknown } | undefined;
  for (const path of paths) {
    const value = valueAt(response, path);
    if (Array.isArray(value)) return value as ApiRecord[];
    if (value === undefined || value === null) continue;
    if (source.objectIsRecord && typeof value === "object") return [value as ApiRecord];
    misplaced ??= { path, value };
  }
  if (misplaced) {
    throw new IntercomResponseError(
      `${requestOwner(source.stream)}: ${source.request}: the response holds ${described(misplaced.value)} at "${misplaced.path.join(".")}", where a list of records belongs`,
    );
  }
  return [];
}
