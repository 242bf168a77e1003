/** Discovery of the REST streams: declared schemas, complete metadata, custom attributes typed from data attributes. */
import { standardMetadata, type CatalogStream, type JsonSchema } from "../../../singer/src/index.js";
import type { DiscoverContext } from "../providers.js";
import { apiVersionAtLeast } from "../settings.js";
import type { ApiRecord, StreamDeclaration } from "./declaration.js";

const DATA_TYPES: Record<string, JsonSchema> = {
  string: { type: ["null", "string"] },
  integer: { type: ["null", "integer"] },
  float: { type: ["null", "number"] },
  boolean: { type: ["null", "boolean"] },
  // Intercom carries dates as Unix seconds, conversations' also as ISO 8601 (2.14 yaml:14571); both are emitted as RFC 3339.
  date: { type: ["null", "string"], format: "date-time" },
  // The names GET /conversations/attributes (2.16+) uses.
  decimal: { type: ["null", "number"] },
  // A list attribute's value is one of its option labels.
  list: { type: ["null", "string"] },
  datetime: { type: ["null", "string"], format: "date-time" },
};

/** The JSON Schema of `custom_attributes` for a list of data attributes; unknown types stay open. */
export function customAttributesSchema(attributes: ApiRecord[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const attribute of attributes) {
    const custom = attribute["custom"] === true || attribute["type"] === "conversation_attribute";
    if (!custom || typeof attribute["name"] !== "string") continue;
    const typed = DATA_TYPES[String(attribute["data_type"])];
    properties[attribute["name"]] = typed ? { ...typed } : {};
    if (typeof attribute["description"] === "string" && attribute["description"] !== "") {
      properties[attribute["name"]]!.description = attribute["description"];
    }
  }
  return { type: ["null", "object"], additionalProperties: true, properties };
}

export function catalogEntry(declaration: StreamDeclaration, schema: JsonSchema = declaration.schema): CatalogStream {
  const replicationKey = declaration.replicationKey;
  const metadata = standardMetadata(schema, {
    keyProperties: declaration.keyProperties,
    validReplicationKeys: replicationKey ? [replicationKey] : [],
    forcedReplicationMethod: replicationKey ? "INCREMENTAL" : "FULL_TABLE",
    selectedByDefault: true,
  });
  const root = metadata.find((entry) => entry.breadcrumb.length === 0)?.metadata;
  // An opt-in stream's fields stay selected by default: selecting the stream brings them all.
  if (root && declaration.optIn) Object.assign(root, { "selected-by-default": false, cost: declaration.optIn.cost });
  if (root && declaration.since) root["min-api-version"] = declaration.since;
  const entry: CatalogStream = {
    tap_stream_id: declaration.name,
    stream: declaration.name,
    schema,
    metadata,
    key_properties: declaration.keyProperties,
    replication_method: replicationKey ? "INCREMENTAL" : "FULL_TABLE",
  };
  if (replicationKey) entry.replication_key = replicationKey;
  return entry;
}

/** Reads custom data attributes for the models the streams need; a failure leaves those schemas open. */
async function customAttributeSchemas(ctx: DiscoverContext, models: Set<string>): Promise<Map<string, JsonSchema>> {
  const schemas = new Map<string, JsonSchema>();
  await Promise.all(
    [...models].map(async (model) => {
      try {
        // From 2.16 conversation attributes have their own endpoint.
        const own = model === "conversation" && apiVersionAtLeast(ctx.config.apiVersion, "2.16");
        const response = await ctx.client.getJson<{ data?: ApiRecord[] }>({
          path: own ? "/conversations/attributes" : "/data_attributes",
          query: own ? {} : { model },
          stream: `discovery:${model}_attributes`,
        });
        schemas.set(model, customAttributesSchema(response.data ?? []));
      } catch (error) {
        ctx.logger.warn(`discovery: cannot read ${model} data attributes, custom_attributes stays untyped: ${(error as Error).message}`);
      }
    }),
  );
  return schemas;
}

export async function discoverStreams(ctx: DiscoverContext, declarations: StreamDeclaration[]): Promise<CatalogStream[]> {
  const models = new Set(declarations.flatMap((d) => (d.customAttributesModel ? [d.customAttributesModel] : [])));
  const typed = await customAttributeSchemas(ctx, models);
  return declarations.map((declaration) => {
    const custom = declaration.customAttributesModel ? typed.get(declaration.customAttributesModel) : undefined;
    if (!custom) return catalogEntry(declaration);
    const schema = structuredClone(declaration.schema);
    schema.properties = { ...schema.properties, custom_attributes: custom };
    return catalogEntry(declaration, schema);
  });
}
