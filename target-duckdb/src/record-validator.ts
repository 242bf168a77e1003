import { Ajv, str, type ErrorObject, type ValidateFunction } from "ajv";
import type { JsonSchema } from "../../singer/src/index.js";

/** A record's first validation failure: which field, and what is wrong with it. */
export interface ValidationFailure {
  field: string;
  message: string;
}

export type RecordValidator = (record: unknown) => ValidationFailure | undefined;

// The spellings DuckDB's TIMESTAMPTZ and DATE accept (not lowercase "t"/"z", not leap second 60).
const DATE_TIME = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
const DATE = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether the text matches `pattern` and its year, month and day name a day of the calendar (no 30 February). */
function calendarMatch(pattern: RegExp): (text: string) => boolean {
  return (text) => {
    const match = pattern.exec(text);
    if (!match) return false;
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    return day <= (month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month - 1]!);
  };
}

/** A finite number as an exact decimal: digits × 10^exponent, from its shortest round-trip spelling (the number as a tap wrote it). */
function decimalOf(value: number): { digits: bigint; exponent: number } {
  const [, whole = "", fraction = "", exponent = "0"] = /^-?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(value)) ?? [];
  return { digits: BigInt(whole + fraction), exponent: Number(exponent) - fraction.length };
}

/**
 * Whether `value` is an integer multiple of `divisor`, computed on the decimals as written:
 * floating-point division (ajv's check) refuses 324.71 as a multiple of 1e-8.
 */
export function isMultipleOf(value: number, divisor: number): boolean {
  if (!Number.isFinite(value) || !Number.isFinite(divisor) || divisor <= 0) return false;
  const n = decimalOf(value);
  const d = decimalOf(divisor);
  const shift = n.exponent - d.exponent;
  return shift >= 0 ? (n.digits * 10n ** BigInt(shift)) % d.digits === 0n : n.digits % (d.digits * 10n ** BigInt(-shift)) === 0n;
}

/** Compiles JSON Schemas into record validators, once per distinct schema. */
export class RecordValidators {
  // allErrors: with it off, ajv nests the code of each property inside the previous one's check,
  // and compiling a schema of some 2,000 properties overflows the stack; with it on the code is flat.
  // Only the first error is reported either way.
  private readonly ajv = new Ajv({ strict: false, logger: false, allErrors: true, validateSchema: false });
  private readonly cache = new Map<string, RecordValidator>();

  constructor() {
    // Only the formats that decide a column type are checked: a bad value there would not load.
    this.ajv.addFormat("date-time", calendarMatch(DATE_TIME));
    this.ajv.addFormat("date", calendarMatch(DATE));
    this.ajv.removeKeyword("multipleOf");
    this.ajv.addKeyword({
      keyword: "multipleOf",
      type: "number",
      schemaType: "number",
      compile: (divisor: number) => (value: number) => isMultipleOf(value, divisor),
      errors: false,
      error: { message: ({ schemaCode }) => str`must be multiple of ${schemaCode}` },
    });
  }

  /** Throws when the schema itself cannot be compiled (the message says why). */
  forSchema(schema: JsonSchema): RecordValidator {
    const key = JSON.stringify(schema);
    let validator = this.cache.get(key);
    if (!validator) {
      const { $schema: _ignored, $id: _id, ...body } = schema;
      const validate = this.ajv.compile(body);
      validator = (record) => (validate(record) ? undefined : describe(validate));
      this.cache.set(key, validator);
    }
    return validator;
  }
}

function describe(validate: ValidateFunction): ValidationFailure {
  const error: ErrorObject | undefined = validate.errors?.[0];
  if (!error) return { field: "(record)", message: "does not match the schema" };
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
  const missing = (error.params as { missingProperty?: string }).missingProperty;
  if (error.keyword === "required" && missing !== undefined) path.push(missing);
  return { field: path.length > 0 ? path.join(".") : "(record)", message: error.message ?? "does not match the schema" };
}
