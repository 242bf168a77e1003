/**
 * Every tap setting in one declaration: the JSON Schema used by `--about` and by config
 * validation, plus the resolution of a validated config into typed values.
 * To add a setting, add a property here (with description and default) and read it from `TapConfig.raw`
 * or extend `TapConfig`.
 */
import { Ajv } from "ajv";
import { ConfigError, rejectUnknownSettings, settingsFromEnv, withoutMeltanoKeys, type About, type JsonSchema } from "../../singer/src/index.js";
import { DATE_TIME_FORM, parseStrictDateTime } from "./date-time.js";
import { readReportingConfig, REPORTING_SETTINGS, type ReportingConfig } from "./reporting/settings.js";
import { BATCH_SETTINGS, batchConfigOf, type BatchConfig } from "./batch-output.js";

/** Every setting can also come from `TAP_INTERCOM_<SETTING>`; those win over config files. */
export const ENV_PREFIX = "TAP_INTERCOM_";
export const ACCESS_TOKEN_ENV = `${ENV_PREFIX}ACCESS_TOKEN`;
export const DEFAULT_API_VERSION = "2.14";

export const REGION_HOSTS = {
  us: "https://api.intercom.io",
  eu: "https://api.eu.intercom.io",
  au: "https://api.au.intercom.io",
} as const;
export type Region = keyof typeof REGION_HOSTS;

export const settingsProperties: Record<string, JsonSchema> = {
  access_token: {
    type: "string",
    secret: true,
    description: `Intercom access token. Also read from the ${ACCESS_TOKEN_ENV} environment variable.`,
  },
  start_date: {
    type: "string",
    format: "date-time",
    description:
      "RFC 3339 date-time (2024-01-05T00:00:00Z, with Z or an offset) or a date (2024-01-05, midnight UTC): incremental streams start here when they have no bookmark. Default: all history.",
  },
  region: {
    type: "string",
    enum: ["us", "eu", "au"],
    default: "us",
    description: "Region of the workspace: us (api.intercom.io), eu (api.eu.intercom.io) or au (api.au.intercom.io).",
  },
  base_url: {
    type: "string",
    description: "API base URL with its scheme (https://…); overrides region (for proxies and the offline fixture server).",
  },
  api_version: {
    type: "string",
    default: DEFAULT_API_VERSION,
    description: "Intercom-Version header sent with every request.",
  },
  request_timeout_seconds: {
    type: "number",
    exclusiveMinimum: 0,
    default: 300,
    description: "Seconds before a request (including its body) is abandoned and retried.",
  },
  max_concurrency: {
    type: "integer",
    minimum: 1,
    maximum: 64,
    default: 8,
    description: "Requests in flight at once, across every stream: the REST streams sync at the same time, a search backfill reads its time slices at once (one slice per 4 of it, at least one), and child requests (conversation parts, company segments) run in parallel, all under the rate-limit pacer.",
  },
  lookback_window_seconds: {
    type: "integer",
    minimum: 0,
    default: 0,
    description:
      "Incremental streams re-read and emit again this many seconds before the bookmark. Search-index lag needs none: search streams always re-read the 15 minutes before the previous run began, emitting only what they had not read.",
  },
  page_size: {
    type: "integer",
    minimum: 1,
    maximum: 150,
    default: 150,
    description: "Records per page of the search endpoints (contacts, conversations, tickets; Intercom allows at most 150). Other lists page at their own fixed size.",
  },
  max_retries: {
    type: "integer",
    minimum: 0,
    maximum: 20,
    default: 6,
    description: "Retries of a request after 5xx, timeouts and connection resets (exponential backoff with jitter).",
  },
  metrics: {
    type: "boolean",
    default: false,
    description: "Log a Singer METRIC line per HTTP request (as LOG_LEVEL=debug does); off by default so a terminal shows progress, not one line per request.",
  },
  emit_activate_version_messages: {
    type: "boolean",
    default: true,
    description:
      "Full-table streams (admins, teams, tags, segments, articles, data attributes…) send ACTIVATE_VERSION around their records, so the target marks rows Intercom no longer returns as deleted (_sdc_deleted_at) or removes them (hard_delete). The Meltano SDK's setting of the same name; false sends plain records.",
  },
  ...REPORTING_SETTINGS,
  ...BATCH_SETTINGS,
};

export const settingsSchema: About["settings"] = {
  type: "object",
  properties: settingsProperties,
  required: ["access_token"],
  additionalProperties: false,
};

export interface TapConfig {
  accessToken: string;
  /** Unix seconds, or undefined for all history. */
  startDate: number | undefined;
  baseUrl: string;
  apiVersion: string;
  requestTimeoutMs: number;
  maxConcurrency: number;
  lookbackWindowSeconds: number;
  pageSize: number;
  maxRetries: number;
  /** Whether a METRIC line is logged per HTTP request. */
  metrics: boolean;
  /** Whether full-table streams send ACTIVATE_VERSION messages and versioned records. */
  emitActivateVersion: boolean;
  /** The reporting and content export settings, read once. */
  reporting: ReportingConfig;
  /** batch_config, when records are to be written as BATCH files. */
  batch: BatchConfig | undefined;
  /** The merged config as given, for settings other modules declare. */
  raw: Record<string, unknown>;
}

function defaultOf<T>(name: string): T {
  return settingsProperties[name]?.["default"] as T;
}

function describeProblem(error: { keyword: string; instancePath: string; params: Record<string, unknown>; message?: string }, config: Record<string, unknown>): string {
  if (error.keyword === "required") return `missing required setting "${String(error.params["missingProperty"])}"`;
  const name = error.instancePath.slice(1).split("/")[0] ?? "";
  const got = ` (got ${JSON.stringify(config[name])})`;
  if (error.keyword === "enum") return `setting "${name}" must be one of ${(error.params["allowedValues"] as unknown[]).join(", ")}${got}`;
  return `setting "${error.instancePath.slice(1)}" ${error.message ?? "is invalid"}${got}`;
}

/** Validates merged config files plus TAP_INTERCOM_<SETTING> environment variables and resolves defaults. */
export function resolveConfig(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): TapConfig {
  rejectUnknownSettings(raw, Object.keys(settingsProperties), "tap-intercom");
  const merged: Record<string, unknown> = { ...withoutMeltanoKeys(raw), ...settingsFromEnv(ENV_PREFIX, settingsProperties, env) };
  for (const [key, value] of Object.entries(merged)) if (value === null || value === "") delete merged[key];
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: true, validateFormats: false });
  const validate = ajv.compile(settingsSchema);
  if (!validate(merged)) {
    const problems = (validate.errors ?? []).map((e) => describeProblem(e, merged));
    throw new ConfigError(`invalid config: ${problems.join("; ")}`);
  }
  // Every date-time setting, wherever it is declared, is read the same strict way.
  for (const [name, schema] of Object.entries(settingsProperties)) {
    const value = merged[name];
    if (schema.format === "date-time" && typeof value === "string" && parseStrictDateTime(value) === undefined) {
      throw new ConfigError(`invalid config: setting "${name}" must be ${DATE_TIME_FORM} (got ${JSON.stringify(value)})`);
    }
  }
  const startDate = typeof merged["start_date"] === "string" ? parseStrictDateTime(merged["start_date"]) : undefined;
  const region = (merged["region"] as Region | undefined) ?? defaultOf<Region>("region");
  const baseUrl = String(merged["base_url"] ?? REGION_HOSTS[region]).replace(/\/+$/, "");
  if (merged["base_url"] !== undefined && !/^https?:\/\/[^/]/i.test(baseUrl)) {
    throw new ConfigError(
      `invalid config: setting "base_url" must start with its scheme, https:// or http:// (got ${JSON.stringify(merged["base_url"])}; did you mean "https://${String(merged["base_url"]).replace(/^[a-z]+:\/*/i, "")}"?)`,
    );
  }
  // The reporting settings are checked here too, so a mistake in them stops the run before any request.
  const reporting = readReportingConfig(merged);
  const batch = batchConfigOf(merged);
  return {
    accessToken: String(merged["access_token"]),
    startDate,
    baseUrl,
    apiVersion: String(merged["api_version"] ?? defaultOf<string>("api_version")),
    requestTimeoutMs: Number(merged["request_timeout_seconds"] ?? defaultOf<number>("request_timeout_seconds")) * 1000,
    maxConcurrency: Number(merged["max_concurrency"] ?? defaultOf<number>("max_concurrency")),
    lookbackWindowSeconds: Number(merged["lookback_window_seconds"] ?? defaultOf<number>("lookback_window_seconds")),
    pageSize: Number(merged["page_size"] ?? defaultOf<number>("page_size")),
    maxRetries: Number(merged["max_retries"] ?? defaultOf<number>("max_retries")),
    metrics: merged["metrics"] === true,
    emitActivateVersion: merged["emit_activate_version_messages"] !== false,
    reporting,
    batch,
    raw: merged,
  };
}

/** Compares Intercom API versions such as "2.14" and "2.16"; "Unstable" sorts last. */
export function apiVersionAtLeast(version: string, minimum: string): boolean {
  if (version.toLowerCase() === "unstable") return true;
  const [a1 = 0, a2 = 0] = version.split(".").map(Number);
  const [b1 = 0, b2 = 0] = minimum.split(".").map(Number);
  return a1 !== b1 ? a1 > b1 : a2 >= b2;
}
