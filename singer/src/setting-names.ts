/**
 * Checks the keys of a plugin's config against the settings it declares: an unknown key is an
 * error naming the closest known one, except for the keys Meltano itself may put into every
 * plugin's config, which are ignored quietly.
 */
import { ConfigError } from "./errors.js";
import type { JsonSchema } from "./messages.js";

/**
 * Keys that are Meltano's own rather than the plugin's: its plugin extras, prefixed with `_`.
 * The config file Meltano writes holds only the plugin's settings (its settings service's
 * `as_dict(extras=False)`), but the extras show up in configs put together from
 * `meltano config <plugin> list --extras` or from a `meltano.yml` block. They are never an error.
 */
export const MELTANO_OWN_KEYS: readonly string[] = [
  "_catalog",
  "_dialect",
  "_load_schema",
  "_metadata",
  "_schema",
  "_select",
  "_select_filter",
  "_state",
  "_target_schema",
  "_use_cached_catalog",
  "_vars",
];

/** The config without Meltano's own keys. */
export function withoutMeltanoKeys(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([key]) => !MELTANO_OWN_KEYS.includes(key)));
}

/** Edit distance between two short names (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name`, if it is close enough to be a likely typo. */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: { name: string; score: number } | undefined;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    let score = distance(lower, other);
    // A prefix or a part of a longer name ("schema" in "default_target_schema") also counts as close.
    if (other.startsWith(lower) || lower.startsWith(other) || other.includes(lower) || lower.includes(other)) score = Math.min(score, 2);
    if (!best || score < best.score) best = { name: candidate, score };
  }
  if (!best) return undefined;
  return best.score <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

/**
 * Throws for every key of `config` that is neither a declared setting, an alias, nor one of
 * Meltano's own keys; the message names each unknown key and the closest known name.
 */
export function rejectUnknownSettings(config: Record<string, unknown>, known: Iterable<string>, plugin: string): void {
  const names = new Set(known);
  const unknown = Object.keys(config).filter((key) => !names.has(key) && !MELTANO_OWN_KEYS.includes(key));
  if (unknown.length === 0) return;
  const problems = unknown.map((key) => {
    const near = closestName(key, names);
    return `unknown setting "${key}"${near ? ` (did you mean ${near}?)` : ""}`;
  });
  throw new ConfigError(`invalid config: ${problems.join("; ")}; see \`${plugin} --about\` for every setting`);
}

/**
 * Reads `<PREFIX><SETTING>` environment variables for every declared setting, parsing each as
 * its schema's type (booleans as true/false/1/0/yes/no, numbers, JSON arrays and objects).
 * Values that do not parse are passed on as text, for the setting's own check to reject.
 */
export function settingsFromEnv(prefix: string, properties: Record<string, JsonSchema>, env: NodeJS.ProcessEnv, names: Iterable<string> = Object.keys(properties)): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = env[prefix + name.toUpperCase()];
    if (value === undefined || value === "") continue;
    out[name] = envValue(value, properties[name]);
  }
  return out;
}

function envValue(value: string, schema: JsonSchema | undefined): unknown {
  const types = schema === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes("boolean")) {
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    return value;
  }
  if (types.includes("integer") || types.includes("number")) {
    const n = Number(value);
    return value.trim() !== "" && Number.isFinite(n) ? n : value;
  }
  if (types.includes("array") || types.includes("object")) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}
