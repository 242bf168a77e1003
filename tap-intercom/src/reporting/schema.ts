/** Turns a reporting dataset into a Singer catalog stream: schema, key, replication key. */
import { standardMetadata, writeMetadata, type CatalogStream, type JsonSchema } from "../../../singer/src/index.js";
import {
  fieldNames,
  findAttribute,
  keyAttributesOf,
  streamIdOf,
  timeAttributeOf,
  type ReportingAttribute,
  type ReportingDataset,
} from "./datasets.js";

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

/**
 * JSON Schema of one attribute. Intercom documents no attribute types, so a declared `data_type`
 * wins, then the "timestamp." namespace of the qualified id, then the id's naming (`_at`,
 * `_count`, `_seconds`, `is_`); anything else is a string, which never loses data.
 */
export function attributeSchema(attribute: ReportingAttribute, isTimeAttribute: boolean): JsonSchema {
  const declared = typeof attribute.data_type === "string" ? DECLARED_TYPES[attribute.data_type.toLowerCase()] : undefined;
  let schema: JsonSchema = { type: ["null", "string"] };
  if (declared) schema = declared;
  else if (isTimeAttribute || attribute.qualified_id?.startsWith("timestamp.")) schema = DATE_TIME;
  else schema = NAMED_TYPES.find(([pattern]) => pattern.test(attribute.id))?.[1] ?? schema;
  const description = attribute.name && attribute.name !== attribute.id ? attribute.name : undefined;
  return description ? { ...schema, description } : { ...schema };
}

/** Attribute ids chosen by `reporting_attribute_ids`, always with the key and time attributes. */
export function configuredAttributes(dataset: ReportingDataset, chosen: string[] | undefined): ReportingAttribute[] {
  if (chosen === undefined) return dataset.attributes;
  const wanted = new Set<ReportingAttribute>([...keyAttributesOf(dataset), timeAttributeOf(dataset)]);
  for (const id of chosen) {
    const attribute = findAttribute(dataset, id);
    if (!attribute) throw new Error(`reporting_attribute_ids: dataset "${dataset.id}" has no attribute "${id}"`);
    wanted.add(attribute);
  }
  return dataset.attributes.filter((attribute) => wanted.has(attribute));
}

/** `selectedByDefault`: whether a catalog without selection syncs the stream. */
export function catalogStreamOf(dataset: ReportingDataset, chosenAttributeIds?: string[], selectedByDefault = true): CatalogStream {
  const names = fieldNames(dataset);
  const nameOf = (attribute: ReportingAttribute): string => names.get(attribute) as string;
  const timeAttribute = timeAttributeOf(dataset);
  const properties: Record<string, JsonSchema> = {};
  for (const attribute of configuredAttributes(dataset, chosenAttributeIds)) {
    properties[nameOf(attribute)] = attributeSchema(attribute, attribute === timeAttribute);
  }
  const schema: JsonSchema = { type: "object", properties };
  const keyProperties = keyAttributesOf(dataset).map(nameOf);
  const replicationKey = nameOf(timeAttribute);
  let metadata = standardMetadata(schema, {
    keyProperties,
    validReplicationKeys: [replicationKey],
    forcedReplicationMethod: "INCREMENTAL",
    replicationMethod: "INCREMENTAL",
    selectedByDefault,
  });
  metadata = writeMetadata(metadata, [], {
    "intercom-reporting-dataset": dataset.id,
    ...(dataset.description ? { description: dataset.description } : {}),
  });
  const id = streamIdOf(dataset.id);
  return {
    tap_stream_id: id,
    stream: id,
    schema,
    metadata,
    key_properties: keyProperties,
    replication_key: replicationKey,
    replication_method: "INCREMENTAL",
  };
}
