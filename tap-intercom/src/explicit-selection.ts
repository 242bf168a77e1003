/**
 * Which streams a catalog asks for by name. A stream counts as asked for when its metadata says
 * `selected: true`, which a user or a select rule writes; `selected-by-default` is only the tap's
 * suggestion. A catalog that selects every stream it lists (Meltano's default select `*.*`, or
 * "select all") asks for whatever the token can read, so it names none.
 */
import { getMetadata, isStreamSelected, type Catalog } from "../../singer/src/index.js";

export function explicitlySelected(catalog: Catalog): Set<string> {
  if (catalog.streams.every(isStreamSelected)) return new Set();
  return new Set(catalog.streams.filter((stream) => getMetadata(stream, [])["selected"] === true).map((stream) => stream.tap_stream_id));
}
