/**
 * Validation of Meltano plugin definitions: the Meltano Hub rules for extractor and loader
 * definition files, and the rules for our plugin entries in a project's meltano.yml.
 *
 * The JSON Schemas here are our own, written from the rules (docs/docs/reference/
 * plugin-definition-syntax.md and the structure of the Hub's schemas, summarised in
 * ../shared/singer-meltano.md part 3): required fields, allowed capability, kind, quality and
 * maintenance-status values, and closed key sets for a definition and for a setting. Rules a
 * JSON Schema cannot state (unique setting names, group validation naming declared settings,
 * options for `kind: options`) are checked in code.
 */
import { Ajv, type ErrorObject, type SchemaObject } from "ajv";

export type PluginType = "extractors" | "loaders";

export const EXTRACTOR_CAPABILITIES = [
  "properties",
  "catalog",
  "discover",
  "state",
  "about",
  "stream-maps",
  "schema-flattening",
  "activate-version",
  "batch",
  "test",
  "log-based",
  "structured-logging",
] as const;

export const LOADER_CAPABILITIES = [
  "about",
  "stream-maps",
  "activate-version",
  "batch",
  "soft-delete",
  "hard-delete",
  "datatype-failsafe",
  "schema-flattening",
  "target-schema",
  "validate-records",
  "structured-logging",
] as const;

/** Setting kinds; `password`, `hidden` and `oauth` are deprecated but still accepted. */
export const SETTING_KINDS = [
  "string",
  "integer",
  "boolean",
  "decimal",
  "date_iso8601",
  "email",
  "file",
  "array",
  "object",
  "options",
  "password",
  "hidden",
  "oauth",
] as const;

const VALUE_PROCESSORS = ["nest_object", "upcase_string", "stringify", "parse_date"];

const stringArray = { type: "array", items: { type: "string" } };

const settingSchema: SchemaObject = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: {
    name: { type: "string", minLength: 1 },
    aliases: stringArray,
    label: { type: "string" },
    value: {},
    placeholder: { type: "string" },
    kind: { enum: [...SETTING_KINDS] },
    description: { type: "string" },
    tooltip: { type: "string" },
    documentation: { type: "string" },
    docs: { type: "string" },
    env: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
    value_processor: { enum: VALUE_PROCESSORS },
    value_post_processor: { enum: VALUE_PROCESSORS },
    oauth: { type: "object", required: ["provider"], properties: { provider: { type: "string" } } },
    options: {
      type: "array",
      items: {
        type: "object",
        required: ["value"],
        additionalProperties: false,
        properties: { label: { type: "string" }, value: { type: "string" } },
      },
    },
    hidden: { type: "boolean" },
    sensitive: { type: "boolean" },
    protected: { type: "boolean" },
  },
  if: { type: "object", required: ["kind"], properties: { kind: { const: "options" } } },
  then: { required: ["options"] },
};

/** Keys every plugin type may carry, with their types. */
const commonProperties: Record<string, SchemaObject> = {
  name: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" },
  namespace: { type: "string", pattern: "^[a-z_][a-z0-9_]*$" },
  variant: { type: "string", minLength: 1 },
  label: { type: "string", minLength: 1 },
  description: { type: "string" },
  pip_url: { type: "string" },
  executable: { type: "string", minLength: 1 },
  repo: { type: "string", format: "uri" },
  logo_url: { type: ["string", "null"] },
  docs: { type: "string", format: "uri" },
  hidden: { type: "boolean" },
  settings: { type: "array", items: { $ref: "#/$defs/setting" } },
  settings_group_validation: { type: "array", items: stringArray },
  commands: { type: "object" },
  requires: {
    type: "object",
    required: ["files"],
    additionalProperties: false,
    properties: {
      files: {
        type: "array",
        items: {
          type: "object",
          required: ["name", "variant"],
          additionalProperties: false,
          properties: { name: { type: "string" }, variant: { type: "string" } },
        },
      },
    },
  },
};

const hubMetadataProperties: Record<string, SchemaObject> = {
  maintenance_status: { enum: ["active", "beta", "development", "inactive", "unknown", "deprecated"] },
  quality: { enum: ["gold", "silver", "bronze", "unknown"] },
  domain_url: { type: ["string", "null"], format: "uri" },
  keywords: stringArray,
  definition: { type: "string" },
  next_steps: { type: "string" },
  settings_preamble: { type: "string" },
  usage: { type: "string" },
  prereq: { type: "string" },
};

const extractorProperties: Record<string, SchemaObject> = {
  capabilities: { type: "array", uniqueItems: true, items: { enum: [...EXTRACTOR_CAPABILITIES] } },
  metadata: { type: "object" },
  schema: { type: "object" },
  select: stringArray,
};

const loaderProperties: Record<string, SchemaObject> = {
  capabilities: { type: "array", uniqueItems: true, items: { enum: [...LOADER_CAPABILITIES] } },
  dialect: { type: "string" },
  target_schema: { type: "string" },
};

/** Declaring both `catalog` and `properties` is an error: Meltano passes one flag or the other. */
const notBothCatalogAndProperties: SchemaObject = {
  not: {
    type: "object",
    properties: {
      capabilities: { type: "array", allOf: [{ contains: { const: "catalog" } }, { contains: { const: "properties" } }] },
    },
    required: ["capabilities"],
  },
};

function hubDefinitionSchema(type: PluginType): SchemaObject {
  const specific = type === "extractors" ? extractorProperties : loaderProperties;
  return {
    $defs: { setting: settingSchema },
    type: "object",
    required: ["name", "namespace", "variant", "label", "quality"],
    additionalProperties: false,
    properties: { ...commonProperties, ...hubMetadataProperties, ...specific },
    ...(type === "extractors" ? notBothCatalogAndProperties : {}),
  };
}

/**
 * One of our plugins in meltano.yml: its name and variant, whose definition Meltano reads from
 * the generated lock file, plus the project's own values (an executable path, config, selection).
 * Definition keys (namespace, settings, capabilities) are refused: inlined there they would
 * shadow the generated definition, and Meltano's rewrites of meltano.yml would carry them along.
 */
function projectPluginSchema(type: PluginType): SchemaObject {
  const extras: Record<string, SchemaObject> =
    type === "extractors"
      ? {
          config: { type: "object" },
          select: stringArray,
          metadata: { type: "object" },
          schema: { type: "object" },
          select_filter: stringArray,
          catalog: { type: "string" },
          state: { type: "string" },
          load_schema: { type: "string" },
          use_cached_catalog: { type: "boolean" },
        }
      : { config: { type: "object" } };
  return {
    type: "object",
    required: ["name", "variant"],
    additionalProperties: false,
    properties: { name: commonProperties["name"] as SchemaObject, variant: commonProperties["variant"] as SchemaObject, executable: commonProperties["executable"] as SchemaObject, ...extras, env: { type: "object" } },
  };
}

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, validateFormats: false });
const validators = {
  hub: { extractors: ajv.compile(hubDefinitionSchema("extractors")), loaders: ajv.compile(hubDefinitionSchema("loaders")) },
  project: { extractors: ajv.compile(projectPluginSchema("extractors")), loaders: ajv.compile(projectPluginSchema("loaders")) },
};

function describe(error: ErrorObject): string {
  const where = error.instancePath === "" ? "(root)" : error.instancePath;
  if (error.keyword === "additionalProperties") return `${where}: unknown key "${String(error.params["additionalProperty"])}"`;
  if (error.keyword === "not") return `${where}: declare the capability "catalog" or "properties", not both`;
  if (error.keyword === "enum") return `${where}: must be one of ${(error.params["allowedValues"] as unknown[]).join(", ")}`;
  return `${where}: ${error.message ?? error.keyword}`;
}

/** Rules a JSON Schema cannot express. */
function semanticErrors(doc: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const settings = Array.isArray(doc["settings"]) ? (doc["settings"] as Array<{ name?: unknown }>) : [];
  const names = settings.map((s) => s.name).filter((n): n is string => typeof n === "string");
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) errors.push(`/settings: duplicate setting "${name}"`);
    seen.add(name);
  }
  const groups = Array.isArray(doc["settings_group_validation"]) ? (doc["settings_group_validation"] as unknown[][]) : [];
  groups.forEach((group, index) => {
    for (const name of group) {
      if (typeof name === "string" && !seen.has(name)) errors.push(`/settings_group_validation/${index}: "${name}" is not a declared setting`);
    }
  });
  return errors;
}

function run(validate: (typeof validators)["hub"]["extractors"], doc: unknown): string[] {
  const errors = validate(doc) ? [] : (validate.errors ?? []).filter((e) => e.keyword !== "if").map(describe);
  if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) errors.push(...semanticErrors(doc as Record<string, unknown>));
  return errors;
}

/** Errors of a Meltano Hub plugin definition file (empty when it is valid). */
export function hubDefinitionErrors(type: PluginType, doc: unknown): string[] {
  return run(validators.hub[type], doc);
}

/** Errors of one of our plugin entries in meltano.yml (empty when it is valid). */
export function projectPluginErrors(type: PluginType, doc: unknown): string[] {
  return run(validators.project[type], doc);
}
