/** Walks a dataset's export windows from its bookmark to the end time, emitting RECORDs then STATE per window. */
import {
  ConfigError,
  recordMessage,
  schemaMessage,
  selectedFields,
  type CatalogStream,
  type JsonSchema,
  type Logger,
  type SingerMessage,
} from "../../../singer/src/index.js";
import type { FieldPlan } from "./csv-records.js";
import { fieldNames, keyAttributesOf, timeAttributeOf, type ReportingAttribute, type ReportingDataset } from "./datasets.js";
import type { ExportApi } from "./export-api.js";
import { exportWindow } from "./export-window.js";
import { configuredAttributes } from "./schema.js";
import type { ReportingConfig } from "./settings.js";
import { describeWindow, exportWindows, rfc3339ToUnix, unixToRfc3339 } from "./windows.js";

export interface StreamBookmarks {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  emitState(): Promise<void>;
}

export interface DatasetSyncContext {
  api: ExportApi;
  config: ReportingConfig;
  logger: Logger;
  /** Writes one message, resolving when the output can take more (backpressure). */
  emit(message: SingerMessage): Promise<void>;
  /** The stream's bookmarks in the run's state, and a way to emit the whole state as STATE. */
  bookmarks: StreamBookmarks;
  /** Unix seconds where the last window ends. */
  endTime: number;
}

interface SelectedField {
  field: string;
  attribute: ReportingAttribute;
  schema: JsonSchema;
}

/** The catalog's selected fields that the dataset still has and `reporting_attribute_ids` allows. */
function selectedAttributeFields(stream: CatalogStream, dataset: ReportingDataset, config: ReportingConfig, logger: Logger): SelectedField[] {
  const allowed = new Set(configuredAttributes(dataset, config.attributeIds[dataset.id]));
  const byField = new Map<string, ReportingAttribute>();
  for (const [attribute, field] of fieldNames(dataset)) byField.set(field, attribute);
  const chosen: SelectedField[] = [];
  for (const field of selectedFields(stream)) {
    const attribute = byField.get(field);
    if (!attribute) {
      logger.warn(`${stream.tap_stream_id}: field "${field}" is no longer an attribute of dataset "${dataset.id}"; skipped`);
      continue;
    }
    if (!allowed.has(attribute)) continue;
    chosen.push({ field, attribute, schema: stream.schema.properties?.[field] ?? { type: ["null", "string"] } });
  }
  for (const required of [...keyAttributesOf(dataset), timeAttributeOf(dataset)]) {
    if (!chosen.some((c) => c.attribute === required)) {
      const field = fieldNames(dataset).get(required) as string;
      chosen.push({ field, attribute: required, schema: stream.schema.properties?.[field] ?? { type: ["null", "string"] } });
    }
  }
  return chosen;
}

function headerNames(attribute: ReportingAttribute): string[] {
  return [attribute.id, attribute.qualified_id, attribute.name].filter((text): text is string => typeof text === "string");
}

export const BOOKMARK_KEY = "replication_key_value";

/** Where the next window starts: the bookmark (the last complete window's end), else the start date. */
function startTimeOf(stream: CatalogStream, ctx: DatasetSyncContext): number {
  const bookmark = ctx.bookmarks.get(BOOKMARK_KEY);
  if (typeof bookmark === "string") return rfc3339ToUnix(bookmark);
  if (typeof bookmark === "number") return bookmark;
  if (ctx.config.startTime === undefined) {
    throw new ConfigError(`${stream.tap_stream_id} needs "reporting_start_date" or "start_date" for its first sync`);
  }
  return ctx.config.startTime;
}

export async function syncDataset(ctx: DatasetSyncContext, dataset: ReportingDataset, stream: CatalogStream): Promise<void> {
  const streamId = stream.tap_stream_id;
  const fields = selectedAttributeFields(stream, dataset, ctx.config, ctx.logger);
  const properties: Record<string, JsonSchema> = {};
  for (const { field, schema } of fields) properties[field] = schema;
  const names = fieldNames(dataset);
  const replicationKey = names.get(timeAttributeOf(dataset)) as string;
  const keyProperties = keyAttributesOf(dataset).map((a) => names.get(a) as string);
  await ctx.emit(schemaMessage(streamId, { ...stream.schema, properties }, keyProperties, [replicationKey]));

  const plans: FieldPlan[] = fields.map(({ field, attribute, schema }) => ({ field, schema, headers: headerNames(attribute) }));
  const attributeIds = fields.map(({ attribute }) => attribute.qualified_id ?? attribute.id);
  const timing = { pollIntervalSeconds: ctx.config.pollIntervalSeconds, timeoutSeconds: ctx.config.jobTimeoutSeconds };
  const start = startTimeOf(stream, ctx);
  for (const window of exportWindows(start, ctx.endTime, ctx.config.windowSeconds)) {
    let count = 0;
    for await (const record of exportWindow(ctx.api, { datasetId: dataset.id, attributeIds, plans, window }, timing, ctx.logger)) {
      await ctx.emit(recordMessage(streamId, record));
      count += 1;
    }
    ctx.bookmarks.set("replication_key", replicationKey);
    ctx.bookmarks.set(BOOKMARK_KEY, unixToRfc3339(window.end));
    await ctx.bookmarks.emitState();
    ctx.logger.info(`${streamId}: window ${describeWindow(window)} done, ${count} records`);
    ctx.logger.metric("counter", "record_count", count, { endpoint: streamId });
  }
}
