import { ConfigError, streamLabel } from "./errors.js";
import type { JsonSchema } from "./messages.js";

export type Breadcrumb = string[];
export type ReplicationMethod = "FULL_TABLE" | "INCREMENTAL" | "LOG_BASED";
export type Inclusion = "automatic" | "available" | "unsupported";

/** The metadata keywords of the Singer spec, plus any others a tool may add. */
export interface MetadataValues {
  inclusion?: Inclusion;
  selected?: boolean;
  "selected-by-default"?: boolean;
  "replication-method"?: ReplicationMethod;
  "replication-key"?: string;
  "forced-replication-method"?: ReplicationMethod;
  "valid-replication-keys"?: string[];
  "table-key-properties"?: string[];
  [keyword: string]: unknown;
}

export interface MetadataEntry {
  breadcrumb: Breadcrumb;
  metadata: MetadataValues;
}

export interface CatalogStream {
  tap_stream_id: string;
  stream: string;
  schema: JsonSchema;
  metadata: MetadataEntry[];
  key_properties?: string[];
  replication_key?: string;
  replication_method?: string;
  [extra: string]: unknown;
}

export interface Catalog {
  streams: CatalogStream[];
}

export interface StandardMetadataOptions {
  keyProperties: string[];
  validReplicationKeys?: string[];
  forcedReplicationMethod?: ReplicationMethod;
  replicationMethod?: ReplicationMethod;
  selectedByDefault?: boolean;
  /** Fields the tap cannot provide. */
  unsupported?: string[];
}

/** Builds complete metadata for a stream: the stream node and one node per top-level property. */
export function standardMetadata(schema: JsonSchema, options: StandardMetadataOptions): MetadataEntry[] {
  const validKeys = options.validReplicationKeys ?? [];
  const root: MetadataValues = {
    inclusion: "available",
    "table-key-properties": options.keyProperties,
    "valid-replication-keys": validKeys,
  };
  if (options.forcedReplicationMethod) root["forced-replication-method"] = options.forcedReplicationMethod;
  const method = options.replicationMethod ?? options.forcedReplicationMethod;
  if (method) root["replication-method"] = method;
  if (method === "INCREMENTAL" && validKeys.length === 1) root["replication-key"] = validKeys[0];
  if (options.selectedByDefault !== undefined) root["selected-by-default"] = options.selectedByDefault;

  const automatic = new Set([...options.keyProperties, ...validKeys]);
  const unsupported = new Set(options.unsupported ?? []);
  const entries: MetadataEntry[] = [{ breadcrumb: [], metadata: root }];
  for (const field of Object.keys(schema.properties ?? {})) {
    const inclusion: Inclusion = unsupported.has(field) ? "unsupported" : automatic.has(field) ? "automatic" : "available";
    const metadata: MetadataValues = { inclusion };
    if (options.selectedByDefault !== undefined && inclusion === "available") {
      metadata["selected-by-default"] = options.selectedByDefault;
    }
    entries.push({ breadcrumb: ["properties", field], metadata });
  }
  return entries;
}

function sameBreadcrumb(a: Breadcrumb, b: Breadcrumb): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

/** The metadata map at a breadcrumb, or an empty object. */
export function getMetadata(stream: Pick<CatalogStream, "metadata">, breadcrumb: Breadcrumb = []): MetadataValues {
  return stream.metadata.find((entry) => sameBreadcrumb(entry.breadcrumb, breadcrumb))?.metadata ?? {};
}

/** Returns a copy of the metadata list with `values` merged in at `breadcrumb`. */
export function writeMetadata(metadata: MetadataEntry[], breadcrumb: Breadcrumb, values: MetadataValues): MetadataEntry[] {
  let found = false;
  const next = metadata.map((entry) => {
    if (!sameBreadcrumb(entry.breadcrumb, breadcrumb)) return entry;
    found = true;
    return { breadcrumb: entry.breadcrumb, metadata: { ...entry.metadata, ...values } };
  });
  if (!found) next.push({ breadcrumb, metadata: { ...values } });
  return next;
}

/**
 * Whether a node is selected, resolved as the Meltano SDK does: unsupported never, automatic
 * always, else an explicit `selected`, else `selected-by-default`, else the parent's answer.
 * The legacy `selected` inside a schema node is honoured when metadata says nothing.
 */
function isNodeSelected(values: MetadataValues, parentSelected: boolean, legacySelected: unknown): boolean {
  if (!parentSelected) return false;
  if (values.inclusion === "unsupported") return false;
  if (values.inclusion === "automatic") return true;
  if (typeof values.selected === "boolean") return values.selected;
  if (typeof legacySelected === "boolean") return legacySelected;
  if (typeof values["selected-by-default"] === "boolean") return values["selected-by-default"];
  return parentSelected;
}

export function isStreamSelected(stream: CatalogStream): boolean {
  const values = getMetadata(stream, []);
  if (stream.metadata.length === 0 && stream.schema["selected"] === undefined) return true;
  return isNodeSelected(values, true, stream.schema["selected"] ?? stream["selected"]) && values.inclusion !== "unsupported";
}

export function isFieldSelected(stream: CatalogStream, field: string): boolean {
  if (!isStreamSelected(stream)) return false;
  const values = getMetadata(stream, ["properties", field]);
  return isNodeSelected(values, true, stream.schema.properties?.[field]?.["selected"]);
}

export function selectedStreams(catalog: Catalog): CatalogStream[] {
  return catalog.streams.filter(isStreamSelected);
}

/** Names of the top-level properties selected in a stream, in schema order. */
export function selectedFields(stream: CatalogStream): string[] {
  return Object.keys(stream.schema.properties ?? {}).filter((field) => isFieldSelected(stream, field));
}

export function keyPropertiesOf(stream: CatalogStream): string[] {
  return getMetadata(stream, [])["table-key-properties"] ?? stream.key_properties ?? [];
}

export function replicationMethodOf(stream: CatalogStream): ReplicationMethod {
  const root = getMetadata(stream, []);
  return (
    root["forced-replication-method"] ??
    root["replication-method"] ??
    (stream.replication_method as ReplicationMethod | undefined) ??
    ((root["valid-replication-keys"] ?? []).length > 0 ? "INCREMENTAL" : "FULL_TABLE")
  );
}

export function replicationKeyOf(stream: CatalogStream): string | undefined {
  const root = getMetadata(stream, []);
  if (replicationMethodOf(stream) !== "INCREMENTAL") return undefined;
  return root["replication-key"] ?? stream.replication_key ?? root["valid-replication-keys"]?.[0];
}

/** Checks the shape of a parsed catalog; throws with the offending stream index on error. */
export function parseCatalog(value: unknown, source = "catalog"): Catalog {
  if (typeof value !== "object" || value === null || !Array.isArray((value as { streams?: unknown }).streams)) {
    throw new ConfigError(`${source}: a catalog must be an object with a "streams" array`);
  }
  const streams = (value as { streams: unknown[] }).streams.map((raw, index) => {
    if (typeof raw !== "object" || raw === null) throw new ConfigError(`${source}: streams[${index}] is not an object`);
    const entry = raw as Record<string, unknown>;
    const id = entry["tap_stream_id"] ?? entry["stream"];
    if (typeof id !== "string") throw new ConfigError(`${source}: streams[${index}] has no "tap_stream_id"`);
    if (typeof entry["schema"] !== "object" || entry["schema"] === null) {
      throw new ConfigError(`${source}: ${streamLabel(id)} has no "schema" object`);
    }
    if (entry["metadata"] !== undefined && !Array.isArray(entry["metadata"])) {
      throw new ConfigError(`${source}: ${streamLabel(id)} has a "metadata" that is not an array`);
    }
    return {
      ...entry,
      tap_stream_id: id,
      stream: typeof entry["stream"] === "string" ? entry["stream"] : id,
      metadata: (entry["metadata"] as MetadataEntry[] | undefined) ?? [],
    } as CatalogStream;
  });
  return { streams };
}
