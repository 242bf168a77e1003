/**
 * Stream schemas name the nested shapes they share with other streams (`schemas/shared/defs.json`)
 * by `$ref`, and a record schema may extend one through `allOf`. Targets read a SCHEMA's
 * properties directly, so the tap emits schemas with every reference inlined and every `allOf`
 * of objects merged into one object (later properties win, so a stream can narrow its key to
 * non-null).
 */
import sharedDefs from "../../../schemas/shared/defs.json" with { type: "json" };
import { InternalError, type JsonSchema } from "../../../singer/src/index.js";

const DEFS = (sharedDefs as { $defs: Record<string, JsonSchema> }).$defs;
const REF = /^(?:shared\/defs\.json)?#\/\$defs\/([\w-]+)$/;
/** Annotations of a shared shape that describe it, not the field that uses it. */
const SHAPE_ONLY = new Set(["title", "$schema"]);

function definition(ref: string): JsonSchema {
  const name = REF.exec(ref)?.[1];
  const found = name === undefined ? undefined : DEFS[name];
  if (!found) throw new InternalError(`schema reference ${ref} names no shape in schemas/shared/defs.json`);
  return found;
}

function merged(schemas: JsonSchema[]): JsonSchema {
  const result: JsonSchema = {};
  for (const schema of schemas) {
    const { properties, required, ...rest } = schema;
    Object.assign(result, rest);
    if (properties) result.properties = { ...result.properties, ...properties };
    if (required) result.required = [...new Set([...(result.required ?? []), ...required])];
  }
  return result;
}

/** The schema with shared shapes inlined, as a target can read it. */
export function inlineRefs(schema: JsonSchema, depth = 0): JsonSchema {
  if (depth > 64) throw new InternalError("schema references nest too deeply (a cycle in schemas/shared/defs.json?)");
  let current: JsonSchema = schema;
  if (typeof current.$ref === "string") {
    const { $ref, ...siblings } = current;
    const shape = Object.fromEntries(Object.entries(definition($ref as string)).filter(([k]) => !SHAPE_ONLY.has(k)));
    current = { ...shape, ...siblings };
  }
  if (current.allOf?.every((part) => typeof part.$ref === "string" || part.properties)) {
    const { allOf, ...own } = current;
    current = merged([...allOf.map((part) => inlineRefs(part, depth + 1)), own]);
  }
  const out: JsonSchema = { ...current };
  if (current.properties) out.properties = Object.fromEntries(Object.entries(current.properties).map(([k, v]) => [k, inlineRefs(v, depth + 1)]));
  if (current.items) out.items = inlineRefs(current.items, depth + 1);
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const list = current[key];
    if (list) out[key] = list.map((part) => inlineRefs(part, depth + 1));
  }
  if (current.additionalProperties && typeof current.additionalProperties === "object") {
    out.additionalProperties = inlineRefs(current.additionalProperties, depth + 1);
  }
  return out;
}
