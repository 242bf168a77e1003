/**
 * Regenerates the parts of meltano.yml and of the Meltano Hub definition files that come from
 * `--about --format json` (capabilities, settings, settings_group_validation), between the lines
 * `# BEGIN generated from <name> --about` and `# END generated from <name> --about`, at the
 * indentation of the BEGIN line. `--check` writes nothing and exits non-zero when a file is stale.
 */
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { About } from "../singer/src/about.js";
import { aboutJson, EXECUTABLES, ROOT, type ExecutableName } from "./lib/about-output.js";
import { stringify } from "yaml";
import { meltanoSettingsFromAbout, requiredSettings } from "./lib/meltano-settings.js";

/** The files holding generated blocks, relative to the repository root. */
export const MELTANO_FILES = ["meltano.yml", "meltano/extractors/tap-intercom--intercom-singer.yml", "meltano/loaders/target-duckdb--intercom-singer.yml"];

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

async function main(): Promise<void> {
  const abouts = new Map<ExecutableName, About>();
  for (const name of Object.keys(EXECUTABLES) as ExecutableName[]) abouts.set(name, await aboutJson(name));
  const stale: string[] = [];
  for (const file of MELTANO_FILES) {
    const path = resolve(ROOT, file);
    const current = await readFile(path, "utf8");
    const next = regenerate(current, abouts);
    if (current === next) continue;
    stale.push(file);
    if (!process.argv.includes("--check")) await writeFile(path, next);
  }
  if (process.argv.includes("--check") && stale.length > 0) {
    process.stderr.write(`stale Meltano settings (run \`make meltano\`): ${stale.join(", ")}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(ROOT, "dist/scripts/meltano-settings.js")) {
  main().catch((error: unknown) => {
    process.stderr.write(`meltano-settings: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
