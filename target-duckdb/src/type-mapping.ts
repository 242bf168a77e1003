import type { JsonSchema } from "../../singer/src/index.js";

/** The DuckDB column types the target creates. Every column is nullable. */
export type ColumnType = "VARCHAR" | "TIMESTAMPTZ" | "DATE" | "BIGINT" | "DOUBLE" | "BOOLEAN" | "JSON";

/** A table column: its name and where its value sits in the record. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Property names from the record's root to the value (more than one when flattened). */
  path: string[];
}

/** The non-null alternatives a property schema allows, each with a single type (or none for "anything"). */
function alternatives(schema: JsonSchema): JsonSchema[] {
  const unions = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  if (unions.length > 0) return unions.flatMap((branch) => alternatives({ ...schema, anyOf: undefined, oneOf: undefined, ...branch }));
  if (schema.type === undefined) return [schema];
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.filter((type) => type !== "null").map((type) => ({ ...schema, type }));
}

function typeOfAlternative(schema: JsonSchema): ColumnType {
  switch (schema.type) {
    case "string":
      if (schema.format === "date-time") return "TIMESTAMPTZ";
      if (schema.format === "date") return "DATE";
      return "VARCHAR";
    case "integer":
      return "BIGINT";
    case "number":
      return "DOUBLE";
    case "boolean":
      return "BOOLEAN";
    default:
      return "JSON";
  }
}

/** Maps a property's JSON Schema to a column type; unions with null are just nullable. */
export function columnTypeOf(schema: JsonSchema): ColumnType {
  const types = alternatives(schema).map(typeOfAlternative);
  if (types.length === 0) return "VARCHAR";
  return types.reduce(widenType);
}

/**
 * The narrowest type that holds values of both types without loss: integers widen to DOUBLE,
 * dates to TIMESTAMPTZ, a mix involving nested values to JSON, any other mix to VARCHAR.
 */
export function widenType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  const pair = new Set([a, b]);
  if (pair.has("BIGINT") && pair.has("DOUBLE")) return "DOUBLE";
  if (pair.has("DATE") && pair.has("TIMESTAMPTZ")) return "TIMESTAMPTZ";
  if (pair.has("JSON")) return "JSON";
  return "VARCHAR";
}

/** The type an existing column must have to also take values of `incoming`; text columns never change. */
export function evolveColumnType(existing: ColumnType, incoming: ColumnType): ColumnType {
  return existing === "VARCHAR" ? "VARCHAR" : widenType(existing, incoming);
}

/** Reads a type as information_schema reports it; undefined for types this target never creates. */
export function columnTypeFromCatalog(dataType: string): ColumnType | undefined {
  switch (dataType.toUpperCase()) {
    case "VARCHAR":
      return "VARCHAR";
    case "TIMESTAMP WITH TIME ZONE":
    case "TIMESTAMPTZ":
      return "TIMESTAMPTZ";
    case "DATE":
      return "DATE";
    case "BIGINT":
      return "BIGINT";
    case "DOUBLE":
      return "DOUBLE";
    case "BOOLEAN":
      return "BOOLEAN";
    case "JSON":
      return "JSON";
    default:
      return undefined;
  }
}

/** The one object schema with properties a property allows besides null, if that is all it allows. */
function soleObjectSchema(schema: JsonSchema): JsonSchema | undefined {
  const alts = alternatives(schema);
  const only = alts.length === 1 ? alts[0] : undefined;
  if (only?.type === "object" && only.properties && Object.keys(only.properties).length > 0) return only;
  return undefined;
}

/**
 * The columns of a stream: one per top-level property, nested objects flattened to `parent__child`
 * up to maxLevel, except the properties in `keepWhole` (key properties).
 */
export function columnsForSchema(schema: JsonSchema, maxLevel: number, keepWhole: readonly string[] = []): ColumnSpec[] {
  const columns: ColumnSpec[] = [];
  const visit = (properties: Record<string, JsonSchema>, path: string[]): void => {
    for (const [name, property] of Object.entries(properties)) {
      const here = [...path, name];
      const flatten = here.length <= maxLevel && !(path.length === 0 && keepWhole.includes(name));
      const nested = flatten ? soleObjectSchema(property) : undefined;
      if (nested?.properties) visit(nested.properties, here);
      else columns.push({ name: here.join("__"), type: columnTypeOf(property), path: here });
    }
  };
  visit(schema.properties ?? {}, []);
  return columns;
}
