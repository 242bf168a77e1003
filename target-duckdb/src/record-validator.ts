import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { JsonSchema } from "../../singer/src/index.js";

/** A record's first validation failure: which field, and what is wrong with it. */
export interface ValidationFailure {
  field: string;
  message: string;
}

export type RecordValidator = (record: unknown) => ValidationFailure | undefined;

const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** Compiles JSON Schemas into record validators, once per distinct schema. */
export class RecordValidators {
  private readonly ajv = new Ajv({ strict: false, logger: false, allErrors: false, validateSchema: false });
  private readonly cache = new Map<string, RecordValidator>();

  constructor() {
    // Only the formats that decide a column type are checked: a bad value there would not load.
    this.ajv.addFormat("date-time", DATE_TIME);
    this.ajv.addFormat("date", DATE);
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
