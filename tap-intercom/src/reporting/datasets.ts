/** Reporting datasets as listed by GET /export/reporting_data/get_datasets. */
import { IntercomResponseError } from "../http/errors.js";
import { KNOWN_DATASETS } from "./known-datasets.js";

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
  if (!Array.isArray(data)) throw new IntercomResponseError(`${DATASETS_PATH} returned no "data" array`);
  return data.map((raw, index) => {
    if (!isObject(raw) || typeof raw["id"] !== "string") throw new IntercomResponseError(`${DATASETS_PATH}: data[${index}] has no string "id"`);
    const id = raw["id"];
    const attributes = raw["attributes"];
    if (!Array.isArray(attributes) || !attributes.every((a) => isObject(a) && typeof a["id"] === "string")) {
      throw new IntercomResponseError(`${DATASETS_PATH}: dataset "${id}" has no valid "attributes" list`);
    }
    const timeAttribute = raw["default_time_attribute_id"];
    if (typeof timeAttribute !== "string" || !attributes.some((a) => a["id"] === timeAttribute || a["qualified_id"] === timeAttribute)) {
      throw new IntercomResponseError(`${DATASETS_PATH}: dataset "${id}" has no "default_time_attribute_id" among its attributes`);
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

/** Fields of the window-row key: the export window's start and the row's position in that window's file. */
export const WINDOW_START_FIELD = "_window_start";
export const WINDOW_ROW_FIELD = "_window_row";

export interface RowIdentity {
  kind: "attributes" | "window_row";
  /** The key's attributes, which every export of the dataset must include (none for the window-row key). */
  attributes: ReportingAttribute[];
  /** The stream's key_properties. */
  keyFields: string[];
}

/**
 * How rows of a dataset are told apart: the attributes of its curated key (known-datasets.ts)
 * when the dataset has them all; otherwise the window-row key, (window start, row number), which
 * makes each export of a window replace the previous export of that window row for row. Never a
 * guess from the dataset's name, and never a column holding names.
 */
export function rowIdentityOf(dataset: ReportingDataset): RowIdentity {
  const known = KNOWN_DATASETS[dataset.id];
  if (known && known.key.length > 0) {
    const attributes = known.key.map((id) => dataset.attributes.find((a) => a.id === id));
    if (attributes.every((a): a is ReportingAttribute => a !== undefined)) {
      const names = fieldNames(dataset);
      return { kind: "attributes", attributes, keyFields: attributes.map((a) => names.get(a) as string) };
    }
  }
  return { kind: "window_row", attributes: [], keyFields: [WINDOW_START_FIELD, WINDOW_ROW_FIELD] };
}
