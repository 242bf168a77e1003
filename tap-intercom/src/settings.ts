/**
 * Every tap setting in one declaration: the JSON Schema used by `--about` and by config
 * validation, plus the resolution of a validated config into typed values.
 * To add a setting, add a property here (with description and default) and read it from `TapConfig.raw`
 * or extend `TapConfig`.
 */
import { Ajv } from "ajv";
import { ConfigError, type About, type JsonSchema } from "../../singer/src/index.js";
import { REPORTING_SETTINGS } from "./reporting/settings.js";

export const ACCESS_TOKEN_ENV = "TAP_INTERCOM_ACCESS_TOKEN";
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
    description: "ISO 8601 date-time: incremental streams start here when they have no bookmark. Default: all history.",
  },
  region: {
    type: "string",
    enum: ["us", "eu", "au"],
    default: "us",
    description: "Region of the workspace: us (api.intercom.io), eu (api.eu.intercom.io) or au (api.au.intercom.io).",
  },
  base_url: {
    type: "string",
    description: "API base URL; overrides region (for proxies and the offline fixture server).",
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
    description: "Requests in flight at once; child requests (conversation parts, company segments) run in parallel up to it, all under the rate-limit pacer.",
  },
  lookback_window_seconds: {
    type: "integer",
    minimum: 0,
    default: 0,
    description: "Incremental searches start this many seconds before the bookmark, to catch late-indexed updates.",
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
  ...REPORTING_SETTINGS,
};

export const settingsSchema: About["settings"] = {
  type: "object",
  properties: settingsProperties,
  required: ["access_token"],
  additionalProperties: true,
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
  /** The merged config as given, for settings other modules declare. */
  raw: Record<string, unknown>;
}

function defaultOf<T>(name: string): T {
  return settingsProperties[name]?.["default"] as T;
}

/** Validates merged config files (plus the token env variable) and resolves defaults. */
export function resolveConfig(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): TapConfig {
  const merged: Record<string, unknown> = { ...raw };
  if ((merged["access_token"] === undefined || merged["access_token"] === "") && env[ACCESS_TOKEN_ENV]) {
    merged["access_token"] = env[ACCESS_TOKEN_ENV];
  }
  for (const [key, value] of Object.entries(merged)) if (value === null || value === "") delete merged[key];
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: true, validateFormats: false });
  const validate = ajv.compile(settingsSchema);
  if (!validate(merged)) {
    const problems = (validate.errors ?? []).map((e) =>
      e.keyword === "required" ? `missing required setting "${String(e.params["missingProperty"])}"` : `setting "${e.instancePath.slice(1)}" ${e.message ?? "is invalid"}`,
    );
    throw new ConfigError(`invalid config: ${problems.join("; ")}`);
  }
  let startDate: number | undefined;
  if (typeof merged["start_date"] === "string") {
    const ms = Date.parse(merged["start_date"]);
    if (Number.isNaN(ms)) throw new ConfigError(`invalid config: start_date "${merged["start_date"]}" is not an ISO 8601 date`);
    startDate = Math.floor(ms / 1000);
  }
  const region = (merged["region"] as Region | undefined) ?? defaultOf<Region>("region");
  const baseUrl = String(merged["base_url"] ?? REGION_HOSTS[region]).replace(/\/+$/, "");
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
