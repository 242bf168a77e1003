import { ConfigError, type JsonSchema } from "../../../singer/src/index.js";
import { DATE_TIME_FORM, parseStrictDateTime } from "../date-time.js";

/** The settings of the Reporting Data Export streams, as JSON Schema properties for `--about`. */
export const REPORTING_SETTINGS: Record<string, JsonSchema> = {
  app_id: {
    type: "string",
    description: "Intercom workspace (app) id; needed by the reporting export status and download endpoints.",
  },
  client_id: {
    type: "string",
    description: "Intercom app client id; needed by the reporting export status endpoint.",
  },
  reporting_datasets: {
    type: "array",
    items: { type: "string" },
    description: "Reporting dataset ids to expose as `report_<id>` streams; all discovered datasets when unset.",
  },
  reporting_attribute_ids: {
    type: "object",
    additionalProperties: { type: "array", items: { type: "string" } },
    description:
      "Per dataset id, the attribute ids to export (the id and time attributes are always included); all attributes when unset.",
  },
  reporting_start_date: {
    type: "string",
    format: "date-time",
    description: "Where the first reporting export window starts; defaults to `start_date`.",
  },
  reporting_end_date: {
    type: "string",
    format: "date-time",
    description: "Where the last reporting export window ends (for backfills); the time the sync starts when unset.",
  },
  reporting_window_seconds: {
    type: "integer",
    minimum: 1,
    default: 86400,
    description: "Length of each reporting export window (one export job per window and dataset).",
  },
  content_data_export: {
    type: "boolean",
    default: false,
    description:
      "Run the content data export when the content_data stream is selected (Meltano's default `*.*` selects it): one export job per content_data_window_seconds window, one at a time per workspace. Off: content_data is skipped with a warning.",
  },
  content_data_window_seconds: {
    type: "integer",
    minimum: 86400,
    multipleOf: 86400,
    default: 2592000,
    description:
      "Length of each content_data export window, whole days (Intercom exports whole days and counts a receipt's opens, clicks and replies only inside the exported range, so longer windows see more of them). The other reporting_* settings apply to content_data too.",
  },
  reporting_poll_interval_seconds: {
    type: "number",
    exclusiveMinimum: 0,
    default: 10,
    description: "First wait between export job status checks; later waits grow up to 6 times that.",
  },
  reporting_lookback_seconds: {
    type: "integer",
    minimum: 0,
    default: 604800,
    description:
      "How far before the bookmark each sync re-exports, so rows that changed after their window was exported (a conversation's state, an SLA result, a period's end) are updated. Intercom documents no settle time; 7 days covers the conversations that close within a week.",
  },
  reporting_settle_delay_seconds: {
    type: "integer",
    minimum: 0,
    default: 3600,
    description:
      "The last export window ends this long before `reporting_end_date` (or now), so rows Intercom has not processed yet are exported by a later sync instead of skipped.",
  },
  reporting_retention_days: {
    type: "integer",
    minimum: 1,
    default: 730,
    description:
      "Intercom keeps reporting data this long (2 years; 3 years with extended retention: 1095). An earlier start is moved to the oldest day Intercom still holds, with a warning.",
  },
  reporting_job_timeout_seconds: {
    type: "number",
    exclusiveMinimum: 0,
    default: 1800,
    description: "How long one export job may take, from enqueue to download, before the sync fails.",
  },
};

export interface ReportingConfig {
  appId: string | undefined;
  clientId: string | undefined;
  datasets: string[] | undefined;
  attributeIds: Record<string, string[]>;
  /** Unix seconds; undefined when neither `reporting_start_date` nor `start_date` is set. */
  startTime: number | undefined;
  /** Unix seconds; undefined means "when the sync starts". */
  endTime: number | undefined;
  windowSeconds: number;
  /** Of the content data export. */
  contentWindowSeconds: number;
  contentDataExport: boolean;
  pollIntervalSeconds: number;
  jobTimeoutSeconds: number;
  lookbackSeconds: number;
  settleDelaySeconds: number;
  retentionDays: number;
}

function optionalString(config: Record<string, unknown>, key: string): string | undefined {
  const value = config[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") throw new ConfigError(`setting "${key}" must be a string`);
  return value;
}

function stringList(value: unknown, key: string): string[] {
  if (typeof value === "string") {
    const text = value;
    try {
      value = JSON.parse(text);
    } catch {
      value = text.split(",").map((part: string) => part.trim()).filter((part: string) => part.length > 0);
    }
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new ConfigError(`setting "${key}" must be a list of strings`);
  }
  return value;
}

function positiveNumber(config: Record<string, unknown>, key: string, fallback: number, integer = false): number {
  const raw = config[key];
  if (raw === undefined || raw === null || raw === "") return fallback;
  const value = typeof raw === "string" ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`setting "${key}" must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function nonNegativeInteger(config: Record<string, unknown>, key: string, fallback: number): number {
  const raw = config[key];
  if (raw === undefined || raw === null || raw === "") return fallback;
  const value = typeof raw === "string" ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(`setting "${key}" must be a whole number of seconds, 0 or more, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function dateSetting(config: Record<string, unknown>, key: string): number | undefined {
  const text = optionalString(config, key);
  if (text === undefined) return undefined;
  const seconds = parseStrictDateTime(text);
  if (seconds === undefined) throw new ConfigError(`invalid config: setting "${key}" must be ${DATE_TIME_FORM} (got ${JSON.stringify(text)})`);
  return seconds;
}

/** Reads and checks the reporting settings of a merged tap config. */
export function readReportingConfig(config: Record<string, unknown>): ReportingConfig {
  const rawAttributes = config["reporting_attribute_ids"];
  const attributeIds: Record<string, string[]> = {};
  if (rawAttributes !== undefined && rawAttributes !== null) {
    const parsed = typeof rawAttributes === "string" ? (JSON.parse(rawAttributes) as unknown) : rawAttributes;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError('setting "reporting_attribute_ids" must map dataset ids to lists of attribute ids');
    }
    for (const [dataset, ids] of Object.entries(parsed)) {
      attributeIds[dataset] = stringList(ids, `reporting_attribute_ids.${dataset}`);
    }
  }
  const datasets = config["reporting_datasets"];
  return {
    appId: optionalString(config, "app_id"),
    clientId: optionalString(config, "client_id"),
    datasets: datasets === undefined || datasets === null ? undefined : stringList(datasets, "reporting_datasets"),
    attributeIds,
    startTime: dateSetting(config, "reporting_start_date") ?? dateSetting(config, "start_date"),
    endTime: dateSetting(config, "reporting_end_date"),
    windowSeconds: positiveNumber(config, "reporting_window_seconds", 86400, true),
    contentWindowSeconds: positiveNumber(config, "content_data_window_seconds", 2592000, true),
    contentDataExport: config["content_data_export"] === true || config["content_data_export"] === "true",
    pollIntervalSeconds: positiveNumber(config, "reporting_poll_interval_seconds", 10),
    jobTimeoutSeconds: positiveNumber(config, "reporting_job_timeout_seconds", 1800),
    lookbackSeconds: nonNegativeInteger(config, "reporting_lookback_seconds", 604800),
    settleDelaySeconds: nonNegativeInteger(config, "reporting_settle_delay_seconds", 3600),
    retentionDays: positiveNumber(config, "reporting_retention_days", 730, true),
  };
}
