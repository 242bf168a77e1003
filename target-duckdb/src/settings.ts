import { ConfigError, packageVersion, rejectUnknownSettings, settingsFromEnv, type About, type JsonSchema } from "../../singer/src/index.js";

/** The target's settings, after defaults, config files and environment variables are merged. */
export interface TargetSettings {
  path: string;
  schema: string;
  batch_size_rows: number;
  max_batch_age_seconds: number;
  add_metadata_columns: boolean;
  hard_delete: boolean;
  validate_records: boolean;
  flattening_max_level: number;
  primary_key_required: boolean;
  memory_limit: string;
  load_method: LoadMethod;
  token: string;
}

/** The settings, and which of them the config files or the environment gave (the others took their defaults). */
export type ResolvedSettings = TargetSettings & { readonly given: ReadonlySet<SettingName> };

/** Meltano SDK load methods: merge on the key, append every record, or replace each table's rows with this run's. */
export const LOAD_METHODS = ["upsert", "append-only", "overwrite"] as const;
export type LoadMethod = (typeof LOAD_METHODS)[number];

export type SettingName = keyof TargetSettings;

const SETTINGS: Record<SettingName, JsonSchema & { type: "string" | "integer" | "number" | "boolean"; default: unknown }> = {
  path: {
    type: "string",
    default: "intercom.duckdb",
    minLength: 1,
    description: "DuckDB database file; missing parent folders are created. Also md:DATABASE (MotherDuck, with token) or ducklake:FILE (a DuckLake catalog).",
  },
  schema: {
    type: "string",
    default: "tap_intercom",
    minLength: 1,
    description: "Database schema the tables are created in; created if missing.",
  },
  load_method: {
    type: "string",
    enum: [...LOAD_METHODS],
    default: "upsert",
    description:
      "upsert: a record replaces the row with its key (streams without key_properties append); append-only: every record becomes a new row, keys or not; " +
      "overwrite: the first batch of each stream in a run replaces all the table's rows, in the same transaction (a stream that sends no records keeps its rows).",
  },
  batch_size_rows: { type: "integer", default: 100000, minimum: 1, description: "Records buffered per stream before all streams are committed." },
  max_batch_age_seconds: {
    type: "number",
    default: 300,
    exclusiveMinimum: 0,
    description: "Commit when the oldest buffered record is older than this, so long syncs checkpoint regularly.",
  },
  add_metadata_columns: {
    type: "boolean",
    default: true,
    description: "Add _sdc_extracted_at, _sdc_received_at, _sdc_batched_at, _sdc_deleted_at, _sdc_sequence and _sdc_table_version columns.",
  },
  hard_delete: {
    type: "boolean",
    default: false,
    description: "On ACTIVATE_VERSION delete rows of older versions (and rows with _sdc_deleted_at) instead of marking them deleted.",
  },
  validate_records: { type: "boolean", default: true, description: "Validate every record against its stream's JSON Schema." },
  flattening_max_level: {
    type: "integer",
    default: 0,
    minimum: 0,
    description: "Flatten nested objects into parent__child columns up to this depth; 0 keeps them as JSON columns.",
  },
  primary_key_required: {
    type: "boolean",
    default: false,
    description:
      "Refuse streams without key_properties (empty, or absent from the SCHEMA message). When false such streams append every record; an absent key_properties also gets one warning per stream.",
  },
  memory_limit: {
    type: "string",
    default: "256MB",
    description:
      "DuckDB's memory limit (e.g. 1GB); an empty string keeps DuckDB's own default of 80% of RAM. Keeps the target's memory flat however large the tables grow; DuckDB spills to disk beyond it. " +
      "Left unset, it is raised for the run when a table is so wide that its columns would take over half of it: DuckDB needs about 176 KiB per column however few the rows (the limit becomes 128MiB plus 860MiB for 5,000 columns). " +
      "A memory_limit you set is kept as set; when a table is too wide for it, a warning (and, should DuckDB run out of memory, the error) says what value it needs.",
  },
  token: { type: "string", default: "", writeOnly: true, description: "MotherDuck access token, used with an md: path. Never logged." },
};

/** Names other targets use for the same setting (the Meltano SDK's, jwills' and pipelinewise's). */
const ALIASES: Record<string, SettingName> = {
  default_target_schema: "schema",
  filepath: "path",
  data_flattening_max_level: "flattening_max_level",
  flattening_max_depth: "flattening_max_level",
  add_record_metadata: "add_metadata_columns",
};

/** The Meltano SDK's switch for flattening: false means flattening_max_level 0; true needs a depth. */
const FLATTENING_ENABLED = "flattening_enabled";

/** Every key a config may hold. */
const KNOWN_KEYS = [...Object.keys(SETTINGS), ...Object.keys(ALIASES), FLATTENING_ENABLED];
/** The schema each key is read with from a TARGET_DUCKDB_<KEY> variable: an alias reads as its setting. */
const ENV_SCHEMAS: Record<string, JsonSchema> = {
  ...SETTINGS,
  ...Object.fromEntries(Object.entries(ALIASES).map(([alias, name]) => [alias, SETTINGS[name]])),
  [FLATTENING_ENABLED]: { type: "boolean" },
};

/** The settings as `--about` shows them: each with the other names it is accepted under. */
function aboutProperties(): Record<string, JsonSchema> {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, spec] of Object.entries(SETTINGS)) {
    const aliases = Object.keys(ALIASES).filter((alias) => ALIASES[alias] === name);
    if (name === "flattening_max_level") aliases.push(`${FLATTENING_ENABLED} (false: 0)`);
    properties[name] = aliases.length > 0 ? { ...spec, aliases } : spec;
  }
  return properties;
}

export const ENV_PREFIX = "TARGET_DUCKDB_";

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };

/** `memory_limit` in bytes; DuckDB's own default (an empty string) or a spelling not read here counts as the default 256 MB. */
export function memoryLimitBytes(memoryLimit: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$/i.exec(memoryLimit);
  return match ? Number(match[1]) * (SIZE_UNITS[(match[2] ?? "B").toUpperCase()] ?? 1) : 256 * 1024 * 1024;
}

export const about: About = {
  name: "target-duckdb",
  description:
    "Singer target that upserts into a DuckDB database file. Settings come from --config files (later files win), " +
    `then ${ENV_PREFIX}<SETTING> environment variables (e.g. ${ENV_PREFIX}PATH), which take precedence.`,
  version: packageVersion,
  capabilities: ["about", "activate-version", "batch", "hard-delete", "soft-delete", "schema-flattening", "validate-records"],
  settings: { type: "object", properties: aboutProperties(), required: [], additionalProperties: false },
};

/** Merges defaults, the merged config files and environment variables into checked settings. */
export function resolveSettings(fileConfig: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ResolvedSettings {
  rejectUnknownSettings(fileConfig, KNOWN_KEYS, "target-duckdb");
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fileConfig)) {
    const name = ALIASES[key] ?? key;
    // An explicit canonical key wins over its alias, whatever the order in the file.
    if (name !== key && key in raw) continue;
    if (name !== key && name in fileConfig) continue;
    raw[name] = value;
  }
  const fromEnvironment = settingsFromEnv(ENV_PREFIX, ENV_SCHEMAS, env, KNOWN_KEYS);
  for (const [name, value] of Object.entries(fromEnvironment)) raw[ALIASES[name] ?? name] = value;
  const flattening = raw[FLATTENING_ENABLED];
  delete raw[FLATTENING_ENABLED];
  if (flattening !== undefined && flattening !== null) {
    if (typeof flattening !== "boolean") throw new ConfigError(`setting "${FLATTENING_ENABLED}" must be true or false (got ${JSON.stringify(flattening)})`);
    if (!flattening) raw["flattening_max_level"] = 0;
    else if (raw["flattening_max_level"] === undefined || raw["flattening_max_level"] === 0) {
      throw new ConfigError(`setting "${FLATTENING_ENABLED}" is true: also set flattening_max_depth (or flattening_max_level) to how many levels to flatten`);
    }
  }
  const settings: Record<string, unknown> = {};
  const given = new Set<SettingName>();
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    if (raw[name] !== undefined && raw[name] !== null) given.add(name);
    const value = raw[name] ?? spec.default;
    settings[name] = checkSetting(name, spec, value);
  }
  return { ...(settings as unknown as TargetSettings), given };
}

function checkSetting(name: string, spec: (typeof SETTINGS)[SettingName], value: unknown): unknown {
  const bad = (what: string): never => {
    throw new ConfigError(`setting "${name}" ${what} (got ${spec.writeOnly === true ? "a value not shown: it is secret" : JSON.stringify(value)})`);
  };
  switch (spec.type) {
    case "string":
      if (typeof value !== "string" || value.length < (typeof spec["minLength"] === "number" ? spec["minLength"] : 0)) bad("must be a non-empty string");
      if (Array.isArray(spec.enum) && !spec.enum.includes(value as string)) bad(`must be one of ${spec.enum.join(", ")}`);
      return value;
    case "boolean":
      if (typeof value !== "boolean") bad(typeof value === "string" ? "must be a JSON boolean, true or false without quotes" : "must be true or false");
      return value;
    case "integer":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) bad("must be a number");
      const n = value as number;
      if (spec.type === "integer" && !Number.isInteger(n)) bad("must be an integer");
      if (typeof spec["minimum"] === "number" && n < spec["minimum"]) bad(`must be at least ${spec["minimum"]}`);
      if (typeof spec["exclusiveMinimum"] === "number" && n <= spec["exclusiveMinimum"]) bad(`must be greater than ${spec["exclusiveMinimum"]}`);
      return n;
    }
  }
}
