/** Walks a dataset's export windows from its bookmark to the end time, emitting RECORDs then STATE per window. */
import {
  ConfigError,
  recordMessage,
  schemaMessage,
  selectedFields,
  streamLabel,
  type CatalogStream,
  type JsonSchema,
  type Logger,
  type SingerMessage,
} from "../../../singer/src/index.js";
import type { FieldPlan } from "./csv-records.js";
import {
  fieldNames,
  rowIdentityOf,
  timeAttributeOf,
  WINDOW_ROW_FIELD,
  WINDOW_START_FIELD,
  type ReportingAttribute,
  type ReportingDataset,
  type RowIdentity,
} from "./datasets.js";
import { EmptyKeyCells } from "./empty-keys.js";
import type { ExportJobApi } from "./export-api.js";
import { exportWindow } from "./export-window.js";
import { attributeType, configuredAttributes, WINDOW_KEY_PROPERTIES } from "./schema.js";
import type { ReportingConfig } from "./settings.js";
import { describeWindow, exportWindows, gridFloor, rfc3339ToUnix, unixToRfc3339, type ExportWindow } from "./windows.js";

export interface StreamBookmarks {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  emitState(): Promise<void>;
}

export interface DatasetSyncContext {
  api: ExportJobApi;
  config: ReportingConfig;
  logger: Logger;
  /** Writes one message, resolving when the output can take more (backpressure). */
  emit(message: SingerMessage): Promise<void>;
  /** The stream's bookmarks in the run's state, and a way to emit the whole state as STATE. */
  bookmarks: StreamBookmarks;
  /** Unix seconds: `reporting_end_date`, else the time the sync started (the settle delay is taken off it here). */
  endTime: number;
  /** Unix seconds: the time the sync started (for the retention limit). */
  now: number;
}

interface SelectedField {
  field: string;
  attribute: ReportingAttribute;
  schema: JsonSchema;
  guessed: boolean;
}

/** The catalog's selected fields that the dataset still has and `reporting_attribute_ids` allows. */
function selectedAttributeFields(stream: CatalogStream, dataset: ReportingDataset, identity: RowIdentity, config: ReportingConfig, logger: Logger): SelectedField[] {
  const allowed = new Set(configuredAttributes(dataset, identity, config.attributeIds[dataset.id]));
  const byField = new Map<string, ReportingAttribute>();
  for (const [attribute, field] of fieldNames(dataset)) byField.set(field, attribute);
  const chosen: SelectedField[] = [];
  const choose = (field: string, attribute: ReportingAttribute): void => {
    const type = attributeType(dataset, attribute);
    chosen.push({ field, attribute, schema: stream.schema.properties?.[field] ?? type.schema, guessed: type.guessed });
  };
  for (const field of selectedFields(stream)) {
    if (field in WINDOW_KEY_PROPERTIES) continue;
    const attribute = byField.get(field);
    if (!attribute) {
      logger.warn(`field "${field}" is no longer an attribute of dataset "${dataset.id}"; skipped`);
      continue;
    }
    if (!allowed.has(attribute)) continue;
    choose(field, attribute);
  }
  for (const required of [...identity.attributes, timeAttributeOf(dataset)]) {
    if (!chosen.some((c) => c.attribute === required)) choose(fieldNames(dataset).get(required) as string, required);
  }
  return chosen;
}

function headerNames(attribute: ReportingAttribute): string[] {
  return [attribute.id, attribute.qualified_id, attribute.name].filter((text): text is string => typeof text === "string");
}

export const BOOKMARK_KEY = "replication_key_value";
const TEXT: JsonSchema = { type: ["null", "string"] };

/** The first window grid cell wholly inside Intercom's retention. */
function retentionFloor(ctx: DatasetSyncContext): number {
  const oldest = ctx.now - ctx.config.retentionDays * 86400;
  const size = ctx.config.windowSeconds;
  return oldest % size === 0 ? oldest : gridFloor(oldest, size) + size;
}

/** The bookmark (the end of the last complete window) in Unix seconds; older states wrote it as a number. */
function bookmarkSeconds(ctx: DatasetSyncContext): number | undefined {
  const raw = ctx.bookmarks.get(BOOKMARK_KEY);
  return typeof raw === "string" ? rfc3339ToUnix(raw) : typeof raw === "number" ? raw : undefined;
}

/**
 * Where this sync's first window starts: the bookmark (the end of the last complete window) less
 * the lookback, down to its window's start so the window is exported whole; never before the
 * start date; on the first sync the start date. Moved up, with a warning, to what Intercom
 * still holds.
 */
function startTimeOf(stream: CatalogStream, ctx: DatasetSyncContext, bookmark: number | undefined): number {
  let start: number;
  if (bookmark !== undefined) {
    start = gridFloor(bookmark - ctx.config.lookbackSeconds, ctx.config.windowSeconds);
    if (ctx.config.startTime !== undefined) start = Math.max(start, ctx.config.startTime);
  } else if (ctx.config.startTime !== undefined) {
    start = ctx.config.startTime;
  } else {
    throw new ConfigError(`${streamLabel(stream.tap_stream_id)} needs "reporting_start_date" or "start_date" for its first sync`);
  }
  const floor = retentionFloor(ctx);
  if (start < floor) {
    ctx.logger.forStream(stream.tap_stream_id).warn(
      `Intercom keeps reporting data for ${ctx.config.retentionDays} days (reporting_retention_days); starting at ${unixToRfc3339(floor)} instead of ${unixToRfc3339(start)}`,
    );
    start = floor;
  }
  return start;
}

export async function syncDataset(ctx: DatasetSyncContext, dataset: ReportingDataset, stream: CatalogStream): Promise<void> {
  const streamId = stream.tap_stream_id;
  const logger = ctx.logger.forStream(streamId);
  const identity = rowIdentityOf(dataset);
  const fields = selectedAttributeFields(stream, dataset, identity, ctx.config, logger);
  const windowKey = identity.kind === "window_row";
  const properties: Record<string, JsonSchema> = windowKey ? { ...WINDOW_KEY_PROPERTIES } : {};
  for (const { field, schema } of fields) properties[field] = schema;
  const names = fieldNames(dataset);
  const replicationKey = names.get(timeAttributeOf(dataset)) as string;
  const keyProperties = identity.keyFields;
  const schemaMessageNow = (): SingerMessage => schemaMessage(streamId, { ...stream.schema, properties }, keyProperties, [replicationKey]);
  await ctx.emit(schemaMessageNow());

  let window: ExportWindow = { start: 0, end: 0 };
  let schemaChanged = false;
  const plans: FieldPlan[] = fields.map(({ field, attribute, schema, guessed }) => {
    const plan: FieldPlan = { field, schema, headers: headerNames(attribute) };
    if (guessed) {
      plan.onMisfit = (row, cell) => {
        logger.child(`window ${describeWindow(window)}`).warn(
          `row ${row}, column "${field}": ${JSON.stringify(cell.slice(0, 60))} does not fit the type guessed from the column's name; "${field}" is text from now on`,
        );
        plan.schema = TEXT;
        properties[field] = { ...TEXT, ...(schema.description ? { description: schema.description } : {}) };
        plan.onMisfit = undefined;
        schemaChanged = true;
      };
    }
    return plan;
  });
  const attributeIds = fields.map(({ attribute }) => attribute.qualified_id ?? attribute.id);
  const timing = { pollIntervalSeconds: ctx.config.pollIntervalSeconds, timeoutSeconds: ctx.config.jobTimeoutSeconds };
  const bookmark = bookmarkSeconds(ctx);
  const start = startTimeOf(stream, ctx, bookmark);
  const end = ctx.endTime - ctx.config.settleDelaySeconds;
  const previousEnd = bookmark ?? -Infinity;
  const emptyKeys = windowKey ? undefined : new EmptyKeyCells(streamId, keyProperties, (field) => properties[field]);
  for (window of exportWindows(start, end, ctx.config.windowSeconds)) {
    let count = 0;
    const windowStart = unixToRfc3339(window.start);
    emptyKeys?.startWindow(window);
    for await (const { row, record } of exportWindow(ctx.api, { datasetId: dataset.id, stream: streamId, attributeIds, plans, window }, timing, logger)) {
      emptyKeys?.fill(record, row);
      if (schemaChanged) {
        await ctx.emit(schemaMessageNow());
        schemaChanged = false;
      }
      await ctx.emit(recordMessage(streamId, windowKey ? { [WINDOW_START_FIELD]: windowStart, [WINDOW_ROW_FIELD]: row, ...record } : record));
      count += 1;
    }
    ctx.bookmarks.set("replication_key", replicationKey);
    // A re-exported window (lookback) never moves the bookmark back.
    ctx.bookmarks.set(BOOKMARK_KEY, unixToRfc3339(Math.max(window.end, previousEnd)));
    await ctx.bookmarks.emitState();
    logger.info(`window ${describeWindow(window)} done, ${count} records`);
    ctx.logger.metric("counter", "record_count", count, { endpoint: streamId });
  }
}
