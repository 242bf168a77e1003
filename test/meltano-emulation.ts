/**
 * What Meltano does around a `meltano run tap-intercom target-duckdb`, reproduced for the tests
 * (Meltano is Python and not installable here), per ../shared/singer-meltano.md parts 2 and 3:
 * settings resolved from `<PLUGIN>_<SETTING>` environment variables, then meltano.yml `config`,
 * then the setting's default `value`, with `$VAR` expansion, written to a config file; the catalog
 * from `--discover` with Meltano's selection rules applied (reset `!*.*`, then `select`).
 */
import { randomUUID } from "node:crypto";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYamlText, stringify as stringifyYaml } from "yaml";
import { getMetadata, parseCatalog, writeMetadata, type Catalog, type CatalogStream } from "../singer/src/index.js";
import { runPipeline } from "../scripts/lib/pipeline.js";
import { runCommand } from "./helpers.js";

export interface SettingDefinition {
  name: string;
  kind?: string;
  value?: unknown;
  sensitive?: boolean;
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

// ---------------------------------------------------------------------------------------------
// A Meltano project on disk, and the Meltano 4 commands the README uses, reproduced from
// Meltano's source (src/meltano/core/project_files.py, settings_store.py, plugin/singer/tap.py,
// cli/config.py): meltano.yml is re-serialized whole on every write (block style, sequences not
// indented, plugin keys in Meltano's canonical order, comments inside entries lost); a plugin
// with a variant and no namespace takes its definition from plugins/<type>/<name>--<variant>.lock;
// `config set` stores sensitive settings in .env and the others in meltano.yml (the default
// environment is ignored by `config`); `run` discovers, applies `select` (default `*.*`), pipes
// the tap into the target and stores each state line the target prints.

type Doc = Record<string, unknown>;
type PluginKind = "extractors" | "loaders";

const PLUGIN_KEY_ORDER = [
  "name",
  "inherit_from",
  "namespace",
  "variant",
  "label",
  "description",
  "pip_url",
  "python",
  "executable",
  "capabilities",
  "settings_group_validation",
  "settings",
  "commands",
  "requires",
  "requires_meltano",
  "env",
  "config",
  "select",
  "metadata",
  "schema",
];

export function pluginEntry(project: Doc, type: PluginKind, name: string): Doc {
  const entry = ((project["plugins"] as Record<string, Doc[]> | undefined)?.[type] ?? []).find((p) => p["name"] === name);
  if (!entry) throw new Error(`${type.slice(0, -1)} '${name}' is not known to Meltano`);
  return entry;
}

function canonicalPlugin(entry: Doc): Doc {
  const keys = Object.keys(entry).sort((a, b) => {
    const rank = (k: string) => (PLUGIN_KEY_ORDER.includes(k) ? PLUGIN_KEY_ORDER.indexOf(k) : PLUGIN_KEY_ORDER.length);
    return rank(a) - rank(b);
  });
  return Object.fromEntries(keys.map((k) => [k, entry[k]]));
}

/** meltano.yml after Meltano changed something in it: the whole file re-serialized by ruamel.yaml. */
export function meltanoRewrite(text: string, mutate: (project: Doc) => void): string {
  const project = parseYamlText(text) as Doc;
  mutate(project);
  const plugins = project["plugins"] as Record<string, Doc[]> | undefined;
  for (const type of Object.keys(plugins ?? {})) if (plugins?.[type]) plugins[type] = plugins[type].map(canonicalPlugin);
  // Top-level comments survive (Meltano copies the top-level map's comment attributes); the rest does not.
  const header = text.split("\n").filter((line, i, all) => line.startsWith("#") && all.slice(0, i).every((l) => l.startsWith("#"))).join("\n");
  return (header ? `${header}\n` : "") + stringifyYaml(project, { indentSeq: false, lineWidth: 0 });
}

function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match?.[1]) continue;
    out[match[1]] = (match[2] ?? "").replace(/^'(.*)'$|^"(.*)"$/, "$1$2");
  }
  return out;
}

interface LockedDefinition {
  executable?: string;
  settings: SettingDefinition[];
  capabilities?: string[];
  select?: string[];
}

export interface MeltanoResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The Meltano CLI over a project directory (only what the README uses). */
export class MeltanoEmulator {
  /** Each state line the loader printed, per state ID: Meltano's state backend. */
  readonly stateStore = new Map<string, unknown>();
  constructor(
    readonly root: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  private async project(): Promise<Doc> {
    return parseYamlText(await readFile(join(this.root, "meltano.yml"), "utf8")) as Doc;
  }

  private async dotenv(): Promise<Record<string, string>> {
    try {
      return parseDotenv(await readFile(join(this.root, ".env"), "utf8"));
    } catch {
      return {};
    }
  }

  private async plugin(name: string): Promise<{ type: PluginKind; entry: Doc; definition: LockedDefinition }> {
    const project = await this.project();
    for (const type of ["extractors", "loaders"] as const) {
      let entry: Doc;
      try {
        entry = pluginEntry(project, type, name);
      } catch {
        continue;
      }
      if (entry["namespace"] !== undefined) return { type, entry, definition: entry as unknown as LockedDefinition };
      const lock = join(this.root, "plugins", type, `${name}--${String(entry["variant"])}.lock`);
      const definition = JSON.parse(await readFile(lock, "utf8")) as LockedDefinition;
      return { type, entry, definition };
    }
    throw new Error(`Plugin '${name}' is not known to Meltano`);
  }

  /** The environment a plugin runs in: the caller's, .env, MELTANO_PROJECT_ROOT and the plugin's settings. */
  private async pluginEnv(): Promise<NodeJS.ProcessEnv> {
    return { ...this.env, ...(await this.dotenv()), MELTANO_PROJECT_ROOT: this.root };
  }

  private async configFile(name: string, dir: string, kind: "tap" | "target"): Promise<{ path: string; config: Record<string, unknown>; env: NodeJS.ProcessEnv }> {
    const { entry, definition } = await this.plugin(name);
    const env = await this.pluginEnv();
    const config = meltanoConfig(name, definition.settings, (entry["config"] as Record<string, unknown> | undefined) ?? {}, env);
    for (const [setting, value] of Object.entries(config)) env[envVarFor(name, setting)] = typeof value === "string" ? value : JSON.stringify(value);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${kind}.${randomUUID()}.config.json`);
    await writeFile(path, JSON.stringify(config), { mode: 0o600 });
    return { path, config, env };
  }

  private async executable(name: string): Promise<string> {
    const { entry, definition } = await this.plugin(name);
    const executable = String(entry["executable"] ?? definition.executable ?? name);
    return executable.includes("/") ? join(this.root, executable) : executable;
  }

  /** Discovery plus Meltano's selection rules: the catalog Meltano hands the tap. */
  private async catalog(name: string, configPath: string, env: NodeJS.ProcessEnv, dir: string): Promise<{ path: string; catalog: Catalog } | MeltanoResult> {
    const { entry, definition } = await this.plugin(name);
    const discovered = await runCommand(await this.executable(name), ["--config", configPath, "--discover"], { env, cwd: this.root });
    if (discovered.code !== 0) return { code: 1, stdout: "", stderr: `Could not extract catalog: ${discovered.stderr}` };
    const rules = (entry["select"] as string[] | undefined) ?? definition.select ?? ["*.*"];
    const catalog = applySelectRules(parseCatalog(JSON.parse(discovered.stdout)), rules);
    const path = join(dir, "tap.properties.json");
    await writeFile(path, JSON.stringify(catalog));
    return { path, catalog };
  }

  async run(argv: string[]): Promise<MeltanoResult> {
    const [command, ...rest] = argv;
    try {
      if (command === "config") return await this.config(rest);
      if (command === "select") return await this.select(rest);
      if (command === "run") return await this.runPipeline(rest);
      return { code: 2, stdout: "", stderr: `Error: No such command '${command ?? ""}'.` };
    } catch (error) {
      return { code: 1, stdout: "", stderr: error instanceof Error ? error.message : String(error) };
    }
  }

  private async config(args: string[]): Promise<MeltanoResult> {
    const [sub, name, ...rest] = args;
    if (sub === "set" && name) {
      const [setting, value] = rest;
      if (!setting || value === undefined) return { code: 2, stdout: "", stderr: "usage: meltano config set PLUGIN SETTING VALUE" };
      const { type, definition } = await this.plugin(name);
      const spec = definition.settings.find((s) => s.name === setting);
      if (spec?.sensitive) {
        await appendFile(join(this.root, ".env"), `${envVarFor(name, setting)}='${value}'\n`);
      } else {
        const path = join(this.root, "meltano.yml");
        const text = await readFile(path, "utf8");
        const typed = spec?.kind === "integer" ? Number.parseInt(value, 10) : spec?.kind === "boolean" ? /^(true|1|yes|on)$/i.test(value) : value;
        await writeFile(path, meltanoRewrite(text, (project) => {
          const entry = pluginEntry(project, type, name);
          entry["config"] = { ...((entry["config"] as Doc | undefined) ?? {}), [setting]: typed };
        }));
      }
      return { code: 0, stdout: `${type === "extractors" ? "Extractor" : "Loader"} '${name}' setting '${setting}' was set`, stderr: "" };
    }
    if (sub === "test" && name) {
      const dir = join(this.root, ".meltano/run", name);
      const { path, env } = await this.configFile(name, dir, "tap");
      const catalog = await this.catalog(name, path, env, dir);
      if ("code" in catalog) return catalog;
      const tap = await runCommand(await this.executable(name), ["--config", path, "--catalog", catalog.path], { env, cwd: this.root });
      const ok = tap.stdout.split("\n").some((line) => line.startsWith('{"type":"RECORD"') || line.startsWith('{"type": "RECORD"'));
      return ok ? { code: 0, stdout: "Plugin configuration is valid", stderr: tap.stderr } : { code: 1, stdout: "", stderr: `Plugin configuration is invalid\nNo RECORD or BATCH message received. ${tap.stderr}` };
    }
    return { code: 2, stdout: "", stderr: `Error: No such command '${sub ?? ""}'.` };
  }

  private async select(args: string[]): Promise<MeltanoResult> {
    const [name, flag] = args;
    if (!name || flag !== "--list") return { code: 2, stdout: "", stderr: "only `meltano select PLUGIN --list` is emulated" };
    const dir = join(this.root, ".meltano/run", name);
    const { path, env } = await this.configFile(name, dir, "tap");
    const catalog = await this.catalog(name, path, env, dir);
    if ("code" in catalog) return catalog;
    const lines = catalog.catalog.streams.map((s) => `\t[${getMetadata(s, []).selected === true ? "selected" : "excluded"}] ${s.tap_stream_id}`);
    return { code: 0, stdout: `Legend:\n\tselected\n\texcluded\n\nEnabled patterns:\n\t*.*\n\nSelected attributes:\n${lines.join("\n")}`, stderr: "" };
  }

  private async runPipeline(args: string[]): Promise<MeltanoResult> {
    const [tapName, targetName] = args;
    if (!tapName || !targetName) return { code: 2, stdout: "", stderr: "usage: meltano run EXTRACTOR LOADER" };
    const project = await this.project();
    const stateId = `${String(project["default_environment"] ?? "dev")}:${tapName}-to-${targetName}`;
    const dir = join(this.root, ".meltano/run/elt", stateId, randomUUID());
    const tap = await this.configFile(tapName, dir, "tap");
    const target = await this.configFile(targetName, dir, "target");
    const catalog = await this.catalog(tapName, tap.path, tap.env, dir);
    if ("code" in catalog) return catalog;
    const stateArgs: string[] = [];
    const stored = this.stateStore.get(stateId);
    if (stored !== undefined) {
      await writeFile(join(dir, "state.json"), JSON.stringify(stored));
      stateArgs.push("--state", join(dir, "state.json"));
    }
    const logs: string[] = [];
    const result = await runPipeline({
      tap: { command: await this.executable(tapName), args: ["--config", tap.path, "--catalog", catalog.path, ...stateArgs] },
      target: { command: await this.executable(targetName), args: ["--config", target.path] },
      cwd: this.root,
      env: { ...tap.env, ...target.env },
      timeoutMs: 120_000,
      onLog: (source, line) => logs.push(`[${source}] ${line}`),
      onState: (state) => this.stateStore.set(stateId, state),
    });
    return { code: result.ok ? 0 : 1, stdout: "", stderr: logs.join("\n") };
  }
}
