/** Reporting datasets as listed by GET /export/reporting_data/get_datasets. */

export interface ReportingAttribute {
  /** The simple id; may be ambiguous across attribute types. */
  id: string;
  /** The namespaced id ("standard.conversation_id"), required by enqueue from API 2.16; absent before. */
  qualified_id?: string;
  name?: string;
  /** Not documented by Intercom; honoured when a server sends it. */
  data_type?: string;
  [extra: string]: unknown;
}

export interface ReportingDataset {
  id: string;
  name?: string;
  description?: string;
  default_time_attribute_id: string;
  attributes: ReportingAttribute[];
  [extra: string]: unknown;
}

export const DATASETS_PATH = "/export/reporting_data/get_datasets";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the shape of a get_datasets response; throws naming what is wrong. */
export function parseDatasetList(body: unknown): ReportingDataset[] {
  const data = isObject(body) ? body["data"] : undefined;
  if (!Array.isArray(data)) throw new Error(`${DATASETS_PATH} returned no "data" array`);
  return data.map((raw, index) => {
    if (!isObject(raw) || typeof raw["id"] !== "string") throw new Error(`${DATASETS_PATH}: data[${index}] has no string "id"`);
    const id = raw["id"];
    const attributes = raw["attributes"];
    if (!Array.isArray(attributes) || !attributes.every((a) => isObject(a) && typeof a["id"] === "string")) {
      throw new Error(`${DATASETS_PATH}: dataset "${id}" has no valid "attributes" list`);
    }
    const timeAttribute = raw["default_time_attribute_id"];
    if (typeof timeAttribute !== "string" || !attributes.some((a) => a["id"] === timeAttribute || a["qualified_id"] === timeAttribute)) {
      throw new Error(`${DATASETS_PATH}: dataset "${id}" has no "default_time_attribute_id" among its attributes`);
    }
    return raw as ReportingDataset;
  });
}

/** The Singer stream id of a dataset. */
export function streamIdOf(datasetId: string): string {
  return `report_${datasetId}`;
}

export function datasetIdOf(streamId: string): string | undefined {
  return streamId.startsWith("report_") ? streamId.slice("report_".length) : undefined;
}

/**
 * The record field name of each attribute, in the dataset's order: its id, or its qualified id
 * when two attributes share an id.
 */
export function fieldNames(dataset: ReportingDataset): Map<ReportingAttribute, string> {
  const counts = new Map<string, number>();
  for (const attribute of dataset.attributes) counts.set(attribute.id, (counts.get(attribute.id) ?? 0) + 1);
  const names = new Map<ReportingAttribute, string>();
  for (const attribute of dataset.attributes) {
    const ambiguous = (counts.get(attribute.id) ?? 0) > 1 && attribute.qualified_id !== undefined;
    names.set(attribute, ambiguous ? (attribute.qualified_id as string) : attribute.id);
  }
  return names;
}

export function findAttribute(dataset: ReportingDataset, id: string): ReportingAttribute | undefined {
  return dataset.attributes.find((a) => a.qualified_id === id) ?? dataset.attributes.find((a) => a.id === id);
}

export function timeAttributeOf(dataset: ReportingDataset): ReportingAttribute {
  return findAttribute(dataset, dataset.default_time_attribute_id) as ReportingAttribute;
}

const NON_ENTITY_WORDS = new Set(["report", "reports", "log", "logs", "stats", "statistics", "consolidated"]);

/**
 * The dataset's natural id attribute(s). Intercom does not declare them, so: the attributes the
 * server flags as keys; else `<entity>_id`, the entity being the dataset id without words like
 * "consolidated" or "report" (conversation → conversation_id, consolidated_conversation_part →
 * conversation_part_id, tickets_report → ticket_id), or a tail of two or more of its words
 * (admin_status_change → status_change_id); else `id`; else none. A one-word tail is not enough:
 * conversation_id would not identify a row of teammate_handling_conversation.
 */
export function keyAttributesOf(dataset: ReportingDataset): ReportingAttribute[] {
  const flagged = dataset.attributes.filter((a) => a["primary_key"] === true || a["is_primary_key"] === true);
  if (flagged.length > 0) return flagged;
  const words = dataset.id.split("_").filter((word) => word.length > 0 && !NON_ENTITY_WORDS.has(word));
  for (let first = 0; first === 0 || words.length - first >= 2; first += 1) {
    const entity = words.slice(first).join("_");
    const candidates = [`${entity}_id`];
    if (entity.endsWith("s")) candidates.push(`${entity.slice(0, -1)}_id`);
    for (const candidate of candidates) {
      const found = dataset.attributes.find((a) => a.id === candidate);
      if (found) return [found];
    }
  }
  const plain = dataset.attributes.find((a) => a.id === "id");
  return plain ? [plain] : [];
}
