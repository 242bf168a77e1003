/**
 * Meltano settings derived from an executable's `--about` (its config JSON Schema): one setting
 * per config property, with the Meltano `kind` matching the JSON type, the default as `value`,
 * the description, and `sensitive: true` for secrets.
 */
import type { About } from "../../singer/src/about.js";
import type { JsonSchema } from "../../singer/src/messages.js";

export interface MeltanoSetting {
  name: string;
  label: string;
  kind: string;
  description?: string;
  value?: unknown;
  sensitive?: boolean;
  options?: Array<{ label: string; value: string }>;
}

const WORDS: Record<string, string> = { id: "ID", ids: "IDs", url: "URL", api: "API", json: "JSON", rps: "RPS", ms: "ms", duckdb: "DuckDB" };

export function labelFor(name: string): string {
  return name
    .split(/[_.]/)
    .filter((w) => w !== "")
    .map((w) => WORDS[w] ?? w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}

function jsonTypes(schema: JsonSchema): string[] {
  const type = schema.type;
  const list = Array.isArray(type) ? type : type === undefined ? [] : [type];
  return list.filter((t) => t !== "null");
}

/** Whether the config schema marks a setting as secret (`secret`/`writeOnly`, as the Meltano SDK does). */
export function isSecret(schema: JsonSchema): boolean {
  return schema["secret"] === true || schema["writeOnly"] === true || schema["sensitive"] === true;
}

/** The Meltano kind for a JSON Schema setting. */
export function kindFor(schema: JsonSchema): string {
  const types = jsonTypes(schema);
  if (Array.isArray(schema.enum) && types.every((t) => t === "string")) return "options";
  const [type] = types;
  if (types.length !== 1 || type === undefined) return "string";
  if (type === "string") {
    if (schema.format === "date-time" || schema.format === "date") return "date_iso8601";
    if (schema.format === "email") return "email";
    return "string";
  }
  if (type === "integer") return "integer";
  if (type === "number") return "decimal";
  if (type === "boolean") return "boolean";
  if (type === "array") return "array";
  if (type === "object") return "object";
  return "string";
}

export function meltanoSetting(name: string, schema: JsonSchema): MeltanoSetting {
  const setting: MeltanoSetting = { name, label: labelFor(name), kind: kindFor(schema) };
  if (schema.description) setting.description = schema.description;
  if (schema["default"] !== undefined) setting.value = schema["default"];
  if (isSecret(schema)) setting.sensitive = true;
  if (setting.kind === "options") {
    setting.options = (schema.enum as unknown[]).filter((v): v is string => typeof v === "string").map((v) => ({ label: v.length <= 3 ? v.toUpperCase() : labelFor(v), value: v }));
  }
  return setting;
}

export function meltanoSettingsFromAbout(about: About): MeltanoSetting[] {
  return Object.entries(about.settings.properties).map(([name, schema]) => meltanoSetting(name, schema));
}

/** The required settings of `--about`, for `settings_group_validation`. */
export function requiredSettings(about: About): string[] {
  return [...(about.settings.required ?? [])];
}

