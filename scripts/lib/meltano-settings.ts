/**
 * Meltano settings derived from an executable's `--about` (its config JSON Schema): one setting
 * per config property, with the Meltano `kind` matching the JSON type, the default as `value`,
 * the description, and `sensitive: true` for secrets. Also renders them as YAML in the subset
 * scripts/lib/yaml-subset.ts reads.
 */
import type { About } from "../../singer/src/about.js";
import type { JsonSchema } from "../../singer/src/messages.js";
import type { YamlValue } from "./yaml-subset.js";

export interface MeltanoSetting {
  name: string;
  label: string;
  kind: string;
  description?: string;
  value?: YamlValue;
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
  if (schema["default"] !== undefined) setting.value = schema["default"] as YamlValue;
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

/** Strings that read back as themselves when written plain: no YAML syntax, keyword or number. */
function isPlainSafe(text: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_./ -]*[A-Za-z0-9_.]$|^[A-Za-z_]$/.test(text) && !/^(null|true|false|yes|no|on|off|y|n)$/i.test(text);
}

function scalar(value: YamlValue): string {
  if (value === null) return "null";
  if (typeof value === "string") return isPlainSafe(value) ? value : JSON.stringify(value);
  return String(value);
}

function isScalar(value: YamlValue): boolean {
  return value === null || typeof value !== "object";
}

/** Renders a JSON value as block YAML in our subset, each line prefixed by `indent` spaces. */
export function renderYaml(value: YamlValue, indent: number): string[] {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    if (value.every(isScalar)) return [`${pad}${value.length === 0 ? "[]" : `[${value.map(scalar).join(", ")}]`}`];
    return value.flatMap((item) => {
      const lines = renderYaml(item, indent + 2);
      const first = lines[0] ?? "";
      return [`${pad}- ${first.slice(indent + 2)}`, ...lines.slice(1)];
    });
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return [`${pad}{}`];
    return entries.flatMap(([key, item]) => {
      const name = /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) ? key : JSON.stringify(key);
      if (isScalar(item) || (Array.isArray(item) && item.every(isScalar)) || (typeof item === "object" && item !== null && Object.keys(item).length === 0)) {
        return [`${pad}${name}: ${renderYaml(item, 0)[0] ?? ""}`];
      }
      return [`${pad}${name}:`, ...renderYaml(item, indent + 2)];
    });
  }
  return [`${pad}${scalar(value)}`];
}

/** The settings list as YAML lines, at `indent`. */
export function renderSettings(settings: MeltanoSetting[], indent: number): string[] {
  return renderYaml(settings as unknown as YamlValue, indent);
}
