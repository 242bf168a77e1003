import type { JsonSchema } from "./messages.js";

/** What `--about` reports about a plugin. */
export interface About {
  name: string;
  description: string;
  version: string;
  capabilities: string[];
  /** JSON Schema of the config object: each property is a setting. */
  settings: JsonSchema & { properties: Record<string, JsonSchema>; required?: string[] };
}

export type AboutFormat = "json" | "markdown" | "text";

export function renderAbout(about: About, format: AboutFormat): string {
  if (format === "json") return JSON.stringify(about, null, 2);
  if (format === "markdown") return renderMarkdown(about);
  return renderText(about);
}

function typeName(schema: JsonSchema): string {
  const types = Array.isArray(schema.type) ? schema.type.filter((t) => t !== "null") : [schema.type ?? "any"];
  return types.join(" | ");
}

function defaultText(schema: JsonSchema): string {
  return schema["default"] === undefined ? "" : JSON.stringify(schema["default"]);
}

/** The description, plus the other names the setting is accepted under (its `aliases`, if any). */
function describe(schema: JsonSchema): string {
  const aliases = Array.isArray(schema["aliases"]) ? (schema["aliases"] as string[]) : [];
  const text = schema.description ?? "";
  return aliases.length === 0 ? text : `${text} Also accepted as: ${aliases.join(", ")}.`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function renderMarkdown(about: About): string {
  const required = new Set(about.settings.required ?? []);
  const lines = [
    `# \`${about.name}\``,
    "",
    about.description,
    "",
    `Version: ${about.version}`,
    "",
    "## Capabilities",
    "",
    ...about.capabilities.map((c) => `* \`${c}\``),
    "",
    "## Settings",
    "",
    "| Setting | Type | Required | Default | Description |",
    "|:--------|:-----|:--------:|:--------|:------------|",
    ...Object.entries(about.settings.properties).map(
      ([name, schema]) =>
        `| ${name} | ${typeName(schema)} | ${required.has(name) ? "True" : "False"} | ${escapeCell(defaultText(schema))} | ${escapeCell(describe(schema))} |`,
    ),
    "",
  ];
  return lines.join("\n");
}

function renderText(about: About): string {
  const lines = [`${about.name} ${about.version}`, about.description, "", `Capabilities: ${about.capabilities.join(", ")}`, "", "Settings:"];
  for (const [name, schema] of Object.entries(about.settings.properties)) {
    const def = defaultText(schema);
    lines.push(`  ${name} (${typeName(schema)}${def ? `, default ${def}` : ""}): ${describe(schema)}`);
  }
  return lines.join("\n");
}
