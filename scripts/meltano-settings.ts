/**
 * Regenerates the Meltano plugin definitions from `--about --format json` (capabilities,
 * settings, settings_group_validation):
 *
 * - the Meltano Hub definition files under meltano/, between the lines
 *   `# BEGIN generated from <name> --about` and `# END generated from <name> --about`, at the
 *   indentation of the BEGIN line (Meltano never writes these files);
 * - the plugin lock files under plugins/, which Meltano reads the definitions from. meltano.yml
 *   only names each plugin and its variant, so Meltano's own rewrites of meltano.yml
 *   (`meltano config set`, `meltano select`) cannot damage anything generated.
 *
 * `--check` writes nothing and exits non-zero when a file is stale or meltano.yml defines a
 * plugin inline (as a rewritten or hand-edited meltano.yml may).
 */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import type { About } from "../singer/src/about.js";
import { aboutJson, EXECUTABLES, ROOT, type ExecutableName } from "./lib/about-output.js";
import { projectPluginErrors, type PluginType } from "./lib/hub-schema.js";
import { meltanoSettingsFromAbout, requiredSettings } from "./lib/meltano-settings.js";

/** The oldest Meltano that can load the definitions: the `decimal` setting kind came in 3.9. */
export const REQUIRES_MELTANO = ">=3.9";

/** The Hub definition files, relative to the repository root. */
export const HUB_FILES: Array<{ file: string; type: PluginType; executable: ExecutableName }> = [
  { file: "meltano/extractors/tap-intercom--intercom-singer.yml", type: "extractors", executable: "tap-intercom" },
  { file: "meltano/loaders/target-duckdb--intercom-singer.yml", type: "loaders", executable: "target-duckdb" },
];

/** Keys of a Hub definition that are part of the plugin definition Meltano loads (the rest is Hub metadata). */
const DEFINITION_KEYS = [
  "name",
  "namespace",
  "variant",
  "label",
  "description",
  "docs",
  "repo",
  "logo_url",
  "executable",
  "capabilities",
  "settings_group_validation",
  "settings",
  "dialect",
  "target_schema",
  "select",
  "metadata",
  "schema",
];

export function generatedBlock(about: About, indent: number): string[] {
  const required = requiredSettings(about);
  const block: Record<string, unknown> = {
    capabilities: about.capabilities,
    settings: meltanoSettingsFromAbout(about),
  };
  if (required.length > 0) block["settings_group_validation"] = [required];
  const pad = " ".repeat(indent);
  return stringify(block, { lineWidth: 0 })
    .trimEnd()
    .split("\n")
    .map((line) => pad + line);
}

/** Replaces every generated block in a file's text. */
export function regenerate(text: string, abouts: Map<ExecutableName, About>): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? "";
    const begin = /^( *)# BEGIN generated from ([a-z-]+) --about/.exec(line);
    out.push(line);
    if (!begin) continue;
    const name = begin[2] as ExecutableName;
    const about = abouts.get(name);
    if (!about) throw new Error(`unknown executable ${name} in a BEGIN marker`);
    const end = lines.findIndex((l, j) => j > i && l.trim().startsWith(`# END generated from ${name} --about`));
    if (end < 0) throw new Error(`no END marker for ${name}`);
    out.push(...generatedBlock(about, (begin[1] ?? "").length));
    i = end - 1;
  }
  return out.join("\n");
}

/** Where Meltano looks for a plugin's locked definition: plugins/<type>/<name>--<variant>.lock. */
export function lockFileOf(type: PluginType, name: string, variant: string): string {
  return `plugins/${type}/${name}--${variant}.lock`;
}

/** The lock file for a Hub definition: its definition keys as JSON, as `meltano lock` writes them. */
export function lockFileText(type: PluginType, hubText: string): string {
  const hub = parseYaml(hubText) as Record<string, unknown>;
  const locked: Record<string, unknown> = { plugin_type: type };
  for (const key of DEFINITION_KEYS) if (hub[key] !== undefined) locked[key] = hub[key];
  locked["requires_meltano"] = REQUIRES_MELTANO;
  return JSON.stringify(locked, null, 2) + "\n";
}

/** Every generated file with its expected text. */
export async function expectedFiles(root: string, abouts: Map<ExecutableName, About>): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const { file, type } of HUB_FILES) {
    const hubText = regenerate(await readFile(resolve(root, file), "utf8"), abouts);
    files.set(file, hubText);
    const hub = parseYaml(hubText) as { name: string; variant: string };
    files.set(lockFileOf(type, hub.name, hub.variant), lockFileText(type, hubText));
  }
  return files;
}

async function readOrEmpty(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Problems of meltano.yml: each of our plugins must name its locked variant and define nothing itself. */
export function projectFileProblems(meltanoYml: string): string[] {
  const project = (parseYaml(meltanoYml) ?? {}) as { plugins?: Partial<Record<PluginType, Array<Record<string, unknown>>>> };
  const problems: string[] = [];
  for (const { type, executable } of HUB_FILES) {
    const entry = project.plugins?.[type]?.find((p) => p["name"] === executable);
    if (!entry) {
      problems.push(`meltano.yml: no ${type} entry named ${executable}`);
      continue;
    }
    for (const error of projectPluginErrors(type, entry)) problems.push(`meltano.yml: ${executable}${error.replace(/^\(root\)/, "")}`);
  }
  return problems;
}

/** Everything out of date under `root`: stale generated files and a meltano.yml that defines plugins inline. */
export async function meltanoDrift(root: string, abouts: Map<ExecutableName, About>): Promise<string[]> {
  const problems: string[] = [];
  for (const [file, expected] of await expectedFiles(root, abouts)) {
    if ((await readOrEmpty(resolve(root, file))) !== expected) problems.push(`${file} is stale: run \`make meltano\``);
  }
  problems.push(...projectFileProblems((await readOrEmpty(resolve(root, "meltano.yml"))) ?? ""));
  return problems;
}

export async function aboutsOfBoth(): Promise<Map<ExecutableName, About>> {
  const abouts = new Map<ExecutableName, About>();
  for (const name of Object.keys(EXECUTABLES) as ExecutableName[]) abouts.set(name, await aboutJson(name));
  return abouts;
}

async function main(): Promise<void> {
  const abouts = await aboutsOfBoth();
  if (process.argv.includes("--check")) {
    const problems = await meltanoDrift(ROOT, abouts);
    if (problems.length > 0) {
      process.stderr.write(problems.map((p) => `${p}\n`).join(""));
      process.exitCode = 1;
    }
    return;
  }
  for (const [file, expected] of await expectedFiles(ROOT, abouts)) {
    const path = resolve(ROOT, file);
    if ((await readOrEmpty(path)) === expected) continue;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, expected);
  }
  const problems = projectFileProblems(await readFile(resolve(ROOT, "meltano.yml"), "utf8"));
  if (problems.length > 0) {
    process.stderr.write(problems.map((p) => `${p}\n`).join(""));
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(ROOT, "dist/scripts/meltano-settings.js")) {
  main().catch((error: unknown) => {
    process.stderr.write(`meltano-settings: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
