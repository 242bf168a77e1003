/**
 * What Meltano does around a `meltano run tap-intercom target-duckdb`, reproduced for the tests
 * (Meltano is Python and not installable here), per ../shared/singer-meltano.md parts 2 and 3:
 * settings resolved from `<PLUGIN>_<SETTING>` environment variables, then meltano.yml `config`,
 * then the setting's default `value`, with `$VAR` expansion, written to a config file; the catalog
 * from `--discover` with Meltano's selection rules applied (reset `!*.*`, then `select`).
 */
import { getMetadata, writeMetadata, type Catalog, type CatalogStream } from "../singer/src/index.js";

export interface SettingDefinition {
  name: string;
  kind?: string;
  value?: unknown;
}

export function envVarFor(plugin: string, setting: string): string {
  return `${plugin}_${setting}`.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

function expand(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, braced: string | undefined, bare: string | undefined) => env[braced ?? bare ?? ""] ?? "");
}

/** An environment variable's text as a value of the setting's kind, as Meltano parses it. */
function parseEnvValue(text: string, kind: string | undefined): unknown {
  switch (kind) {
    case "integer":
      return Number.parseInt(text, 10);
    case "decimal":
      return Number(text);
    case "boolean":
      return /^(true|1|yes|on|t|y)$/i.test(text);
    case "array":
    case "object":
      return JSON.parse(text) as unknown;
    default:
      return text;
  }
}

/** The config file Meltano writes for a plugin. */
export function meltanoConfig(plugin: string, settings: SettingDefinition[], config: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const setting of settings) {
    const fromEnv = env[envVarFor(plugin, setting.name)];
    let value = fromEnv !== undefined ? parseEnvValue(fromEnv, setting.kind) : config[setting.name] ?? setting.value;
    if (typeof value === "string") value = expand(value, env);
    if (value !== undefined && value !== null) out[setting.name] = value;
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** Meltano makes sure every stream and top-level property has a metadata entry (automatic when it invents one). */
function completeMetadata(stream: CatalogStream): CatalogStream {
  let metadata = stream.metadata;
  if (!metadata.some((e) => e.breadcrumb.length === 0)) metadata = writeMetadata(metadata, [], { inclusion: "automatic" });
  for (const field of Object.keys(stream.schema.properties ?? {})) {
    if (!metadata.some((e) => e.breadcrumb.length === 2 && e.breadcrumb[1] === field)) {
      metadata = writeMetadata(metadata, ["properties", field], { inclusion: "automatic" });
    }
  }
  return { ...stream, metadata };
}

function setSelected(stream: CatalogStream, breadcrumb: string[], selected: boolean): CatalogStream {
  if (selected && getMetadata(stream, breadcrumb).inclusion === "unsupported") return stream;
  return { ...stream, metadata: writeMetadata(stream.metadata, breadcrumb, { selected }) };
}

/** Applies `select` rules the way Meltano does: reset rule `!*.*` first, then each rule in order. */
export function applySelectRules(catalog: Catalog, rules: string[]): Catalog {
  const streams = catalog.streams.map(completeMetadata).map((stream) => {
    let next = setSelected(stream, [], false);
    for (const field of Object.keys(stream.schema.properties ?? {})) next = setSelected(next, ["properties", field], false);
    return next;
  });
  for (const raw of rules) {
    const negated = raw.startsWith("!");
    const rule = negated ? raw.slice(1) : raw;
    const dot = rule.indexOf(".");
    const entity = globToRegExp(dot < 0 ? rule : rule.slice(0, dot));
    const attribute = globToRegExp(dot < 0 ? "*" : rule.slice(dot + 1));
    streams.forEach((stream, index) => {
      if (!entity.test(stream.tap_stream_id)) return;
      let next = stream;
      if (!negated) next = setSelected(next, [], true);
      else if (attribute.source === "^.*$") next = setSelected(next, [], false);
      for (const field of Object.keys(stream.schema.properties ?? {})) {
        if (attribute.test(field)) next = setSelected(next, ["properties", field], !negated);
      }
      streams[index] = next;
    });
  }
  return { streams };
}
