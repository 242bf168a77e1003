/**
 * Where the records are in an Intercom response, read the way Airbyte's DpathExtractor reads a
 * declared `field_path`: follow the keys; an array there holds the records, an object is the one
 * record, anything else (absent, null, a scalar) none.
 */
import type { ApiRecord, RecordsPath } from "./declaration.js";

/** The value at `path` in `value`, or undefined where a key is missing. */
function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== "object" || Array.isArray(current)) return undefined;
    current = (current as ApiRecord)[key];
  }
  return current;
}

/** The records at the first of `paths` that holds any (an array or an object), or none. */
export function recordsAt(response: ApiRecord, ...paths: RecordsPath[]): ApiRecord[] {
  for (const path of paths) {
    const value = valueAt(response, path);
    if (Array.isArray(value)) return value as ApiRecord[];
    if (value && typeof value === "object") return [value as ApiRecord];
  }
  return [];
}
