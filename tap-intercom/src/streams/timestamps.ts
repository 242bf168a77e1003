/**
 * Intercom sends times as Unix seconds (OpenAPI: `type: integer, format: date-time`); the tap
 * emits them as RFC 3339 UTC strings wherever the stream's schema declares `format: date-time`,
 * so they load as timestamps. ISO 8601 strings (date custom attributes may arrive either way) are
 * rewritten to the same UTC form, so one instant always reads the same.
 */
import type { JsonSchema } from "../../../singer/src/index.js";

/** Where in a value the date-time fields are; only paths that lead to one are kept. */
interface Plan {
  dateTime: boolean;
  properties?: Map<string, Plan>;
  additional?: Plan;
  items?: Plan;
}

/** A copy of the record with its date-time fields converted; untouched branches are shared. */
export type RecordConverter = (record: Record<string, unknown>) => Record<string, unknown>;

/** The RFC 3339 UTC form of an instant given in Unix seconds or as ISO 8601 text; undefined if it is neither. */
export function toDateTime(value: unknown): string | undefined {
  let ms: number;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined;
    ms = value * 1000;
  } else if (typeof value === "string") {
    const text = value.trim().replace(/^(\d{4}-\d{2}-\d{2}) (?=\d)/, "$1T");
    // ISO 8601 without a zone designator is UTC here (Date.parse would read a date-time as local time).
    const zoned = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
    ms = /^\d{4}-\d{2}-\d{2}/.test(zoned) ? Date.parse(zoned) : NaN;
    if (Number.isNaN(ms)) return undefined;
  } else {
    return undefined;
  }
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

function isDateTime(schema: JsonSchema): boolean {
  if (schema.format === "date-time") return true;
  const branches = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  const typed = branches.filter((branch) => branch.type !== "null");
  return typed.length > 0 && typed.every((branch) => branch.format === "date-time" || isDateTime(branch));
}

function planOf(schema: JsonSchema | boolean | undefined, root: JsonSchema, depth = 0): Plan | undefined {
  if (!schema || typeof schema !== "object" || depth > 32) return undefined;
  const ref = typeof schema["$ref"] === "string" ? (schema["$ref"] as string) : undefined;
  if (ref?.startsWith("#/$defs/")) return planOf((root["$defs"] as Record<string, JsonSchema> | undefined)?.[ref.slice(8)], root, depth + 1);
  if (isDateTime(schema)) return { dateTime: true };
  const plan: Plan = { dateTime: false };
  const merged: JsonSchema[] = [schema, ...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])];
  for (const part of merged) {
    for (const [name, property] of Object.entries(part.properties ?? {})) {
      const inner = planOf(property, root, depth + 1);
      if (inner) (plan.properties ??= new Map()).set(name, inner);
    }
    plan.additional ??= planOf(part.additionalProperties, root, depth + 1);
    plan.items ??= planOf(part.items, root, depth + 1);
  }
  return plan.properties || plan.additional || plan.items ? plan : undefined;
}

function convert(value: unknown, plan: Plan): unknown {
  if (value === null || value === undefined) return value;
  if (plan.dateTime) return toDateTime(value) ?? value;
  if (Array.isArray(value)) return plan.items ? value.map((item) => convert(item, plan.items!)) : value;
  if (typeof value !== "object") return value;
  let copy: Record<string, unknown> | undefined;
  for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
    const sub = plan.properties?.get(name) ?? plan.additional;
    if (!sub) continue;
    const converted = convert(inner, sub);
    if (converted !== inner) (copy ??= { ...(value as Record<string, unknown>) })[name] = converted;
  }
  return copy ?? value;
}

/** The converter for records of a stream with this schema. */
export function dateTimeConverter(schema: JsonSchema): RecordConverter {
  const plan = planOf(schema, schema);
  if (!plan) return (record) => record;
  return (record) => convert(record, plan) as Record<string, unknown>;
}
