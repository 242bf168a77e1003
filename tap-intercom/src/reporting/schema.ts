/** Turns a reporting dataset into a Singer catalog stream: schema, key, replication key. */
import { ConfigError, standardMetadata, writeMetadata, type CatalogStream, type JsonSchema } from "../../../singer/src/index.js";
import {
  fieldNames,
  findAttribute,
  rowIdentityOf,
  streamIdOf,
  timeAttributeOf,
  WINDOW_ROW_FIELD,
  WINDOW_START_FIELD,
  type ReportingAttribute,
  type ReportingDataset,
  type RowIdentity,
} from "./datasets.js";
import { KNOWN_DATASETS } from "./known-datasets.js";

const DATE_TIME: JsonSchema = { type: ["null", "string"], format: "date-time" };

const DECLARED_TYPES: Record<string, JsonSchema> = {
  timestamp: DATE_TIME,
  datetime: DATE_TIME,
  "date-time": DATE_TIME,
  date: DATE_TIME,
  integer: { type: ["null", "integer"] },
  int: { type: ["null", "integer"] },
  number: { type: ["null", "number"] },
  float: { type: ["null", "number"] },
  decimal: { type: ["null", "number"] },
  double: { type: ["null", "number"] },
  boolean: { type: ["null", "boolean"] },
  bool: { type: ["null", "boolean"] },
};

/** Types read from attribute ids when the server declares none: the naming Intercom's datasets follow. */
const NAMED_TYPES: [RegExp, JsonSchema][] = [
  [/_at$/, DATE_TIME],
  [/(^count_|_count$)/, { type: ["null", "integer"] }],
  [/_seconds$/, { type: ["null", "number"] }],
  [/^(is|has)_/, { type: ["null", "boolean"] }],
];

const KNOWN_TYPES: Record<string, JsonSchema> = {
  "date-time": DATE_TIME,
  integer: { type: ["null", "integer"] },
  number: { type: ["null", "number"] },
  string: { type: ["null", "string"] },
};

export interface AttributeType {
  schema: JsonSchema;
  /** The type was guessed from the attribute's name: a cell that does not fit falls back to text. */
  guessed: boolean;
}

/**
 * The type of one attribute. Intercom documents no attribute types, so: a declared `data_type`
 * wins, then the curated types of known datasets (known-datasets.ts); otherwise a guess from the
 * time attribute, the "timestamp." namespace of the qualified id, then the id's naming (`_at`,
 * `_count`, `_seconds`, `is_`); anything else is text, which never loses data.
 */
export function attributeType(dataset: ReportingDataset, attribute: ReportingAttribute): AttributeType {
  const declared = typeof attribute.data_type === "string" ? DECLARED_TYPES[attribute.data_type.toLowerCase()] : undefined;
  const knownKind = KNOWN_DATASETS[dataset.id]?.types[attribute.id];
  const known = KNOWN_DATASETS[dataset.id] ? (KNOWN_TYPES[knownKind ?? "string"] as JsonSchema) : undefined;
  let schema: JsonSchema;
  let guessed = false;
  if (declared) schema = declared;
  else if (known) schema = known;
  else if (attribute === timeAttributeOf(dataset) || attribute.qualified_id?.startsWith("timestamp.")) schema = DATE_TIME;
  else {
    schema = NAMED_TYPES.find(([pattern]) => pattern.test(attribute.id))?.[1] ?? { type: ["null", "string"] };
    guessed = schema.type !== undefined && JSON.stringify(schema.type) !== JSON.stringify(["null", "string"]);
  }
  const description = attribute.name && attribute.name !== attribute.id ? attribute.name : undefined;
  return { schema: description ? { ...schema, description } : { ...schema }, guessed };
}

export const WINDOW_KEY_PROPERTIES: Record<string, JsonSchema> = {
  [WINDOW_START_FIELD]: { type: ["string"], format: "date-time", description: "Start of the export window the row came from (window-row key)" },
  [WINDOW_ROW_FIELD]: { type: ["integer"], description: "The row's position in its export window's file, from 1 (window-row key)" },
};

/** Attribute ids chosen by `reporting_attribute_ids`, always with the key (`identity`, the dataset's) and time attributes. */
export function configuredAttributes(dataset: ReportingDataset, identity: RowIdentity, chosen: string[] | undefined): ReportingAttribute[] {
  if (chosen === undefined) return dataset.attributes;
  const wanted = new Set<ReportingAttribute>([...identity.attributes, timeAttributeOf(dataset)]);
  for (const id of chosen) {
    const attribute = findAttribute(dataset, id);
    if (!attribute) throw new ConfigError(`reporting_attribute_ids: dataset "${dataset.id}" has no attribute "${id}"`);
    wanted.add(attribute);
  }
  return dataset.attributes.filter((attribute) => wanted.has(attribute));
}

/**
 * `selectedByDefault`: whether a catalog without selection syncs the stream; `streamId`: the
 * stream's name when it is not a reporting dataset's `report_<id>`.
 */
export function catalogStreamOf(dataset: ReportingDataset, chosenAttributeIds?: string[], selectedByDefault = true, streamId = streamIdOf(dataset.id)): CatalogStream {
  const names = fieldNames(dataset);
  const nameOf = (attribute: ReportingAttribute): string => names.get(attribute) as string;
  const timeAttribute = timeAttributeOf(dataset);
  const identity = rowIdentityOf(dataset);
  const properties: Record<string, JsonSchema> = {};
  if (identity.kind === "window_row") Object.assign(properties, WINDOW_KEY_PROPERTIES);
  for (const attribute of configuredAttributes(dataset, identity, chosenAttributeIds)) {
    properties[nameOf(attribute)] = attributeType(dataset, attribute).schema;
  }
  const schema: JsonSchema = { type: "object", properties };
  const keyProperties = identity.keyFields;
  const replicationKey = nameOf(timeAttribute);
  let metadata = standardMetadata(schema, {
    keyProperties,
    validReplicationKeys: [replicationKey],
    forcedReplicationMethod: "INCREMENTAL",
    replicationMethod: "INCREMENTAL",
    selectedByDefault,
  });
  metadata = writeMetadata(metadata, [], {
    ...(streamId === streamIdOf(dataset.id) ? { "intercom-reporting-dataset": dataset.id } : {}),
    ...(dataset.description ? { description: dataset.description } : {}),
  });
  return {
    tap_stream_id: streamId,
    stream: streamId,
    schema,
    metadata,
    key_properties: keyProperties,
    replication_key: replicationKey,
    replication_method: "INCREMENTAL",
  };
}
