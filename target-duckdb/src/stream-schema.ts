/**
 * The checks a SCHEMA message gets before its table is prepared: key properties, metadata column
 * names, columns that would collide, streams that would share a table; and the stream's keys,
 * record validator and columns as the target will load them.
 */
import type { Logger, SchemaMessage, SingerInputError } from "../../singer/src/index.js";
import { METADATA_COLUMNS } from "./merge.js";
import { RecordValidators, type RecordValidator } from "./record-validator.js";
import type { TargetSettings } from "./settings.js";
import { columnsForSchema, type ColumnSpec } from "./type-mapping.js";

const METADATA_NAMES = new Set(METADATA_COLUMNS.map((c) => c.name));

/** The metadata column a tap may fill itself: a record carrying it is deleted (marked, or removed with hard_delete). */
const DELETED_AT = "_sdc_deleted_at";

export interface CheckedSchema {
  /** The keys records are merged on (none with load_method append-only). */
  keys: string[];
  validate: RecordValidator | undefined;
  /** The data columns the table needs (the metadata columns not among them). */
  wanted: ColumnSpec[];
}

type Fail = (text: string, field?: string) => SingerInputError;

export class SchemaChecks {
  private readonly validators = new RecordValidators();
  private readonly warnedNoKeys = new Set<string>();

  constructor(
    private readonly settings: TargetSettings,
    private readonly logger: Logger,
  ) {}

  /** Checks a SCHEMA message (`otherStreams`: the streams loaded so far); throws what `fail` makes of a problem. */
  check(message: SchemaMessage, lineNumber: number, otherStreams: Iterable<string>, fail: Fail): CheckedSchema {
    const { stream: name, schema } = message;
    const declaredKeys = message.key_properties ?? [];
    // append-only keeps every record as a new row: nothing is merged on the key.
    const keys = this.settings.load_method === "append-only" ? [] : declaredKeys;
    if (message.key_properties === undefined) this.noKeyProperties(message, lineNumber, fail);
    if (typeof schema.properties !== "object" || schema.properties === null || Array.isArray(schema.properties)) {
      throw fail('schema has no "properties" object', "schema.properties");
    }
    for (const key of declaredKeys) {
      if (!(key in schema.properties)) throw fail("key property is not among the schema's properties", key);
    }
    if (declaredKeys.length === 0 && this.settings.primary_key_required) {
      throw fail("stream has no key_properties and primary_key_required is set", "key_properties");
    }
    let validate: RecordValidator | undefined;
    if (this.settings.validate_records) {
      try {
        validate = this.validators.forSchema(schema);
      } catch (error) {
        throw fail(`schema cannot be compiled: ${(error as Error).message}`, "schema");
      }
    }
    const declared = columnsForSchema(schema, this.settings.flattening_max_level, declaredKeys);
    this.checkMetadataNames(declared, fail);
    // A declared _sdc_deleted_at fills the metadata column of that name.
    const wanted = declared.filter((column) => !(this.settings.add_metadata_columns && column.name === DELETED_AT));
    const seen = new Map<string, string>();
    for (const column of wanted) {
      const other = seen.get(column.name.toLowerCase());
      if (other !== undefined) throw fail(`properties "${other}" and "${column.name}" would share one column (names are case-insensitive)`, column.name);
      seen.set(column.name.toLowerCase(), column.name);
    }

    const namesake = [...otherStreams].find((other) => other !== name && other.toLowerCase() === name.toLowerCase());
    if (namesake !== undefined) throw fail(`streams "${namesake}" and "${name}" would share one table (DuckDB names are case-insensitive)`);
    return { keys, validate, wanted };
  }

  /**
   * A SCHEMA without key_properties (the Singer spec requires them; some taps, the Meltano SDK's
   * own test streams among them, leave them out or put them inside "schema"): no keys, so records
   * append; one warning per stream. Refused when primary_key_required is set.
   */
  private noKeyProperties(message: SchemaMessage, lineNumber: number, fail: Fail): void {
    const nested = Array.isArray(message.schema["key_properties"]) ? ` (it has "key_properties" inside "schema", where the Singer spec does not look for them)` : "";
    if (this.settings.primary_key_required) {
      throw fail(`SCHEMA has no top-level "key_properties"${nested} and primary_key_required is set`, "key_properties");
    }
    if (this.warnedNoKeys.has(message.stream)) return;
    this.warnedNoKeys.add(message.stream);
    this.logger.forStream(message.stream).warn(
      `line ${lineNumber}: SCHEMA has no top-level "key_properties"${nested}: loading it without keys, every record appended as a new row (set primary_key_required to refuse such streams)`,
    );
  }

  /**
   * With metadata columns, a property may not take a metadata column's name (DuckDB compares
   * names without case), except _sdc_deleted_at, which keeps its meaning; that one, wherever it
   * marks deletions, must be a date-time.
   */
  private checkMetadataNames(columns: ColumnSpec[], fail: Fail): void {
    const { add_metadata_columns: metadata, hard_delete: hardDelete } = this.settings;
    for (const column of columns) {
      if (column.name === DELETED_AT) {
        if ((metadata || hardDelete) && column.type !== "TIMESTAMPTZ" && column.type !== "DATE") {
          throw fail(`${DELETED_AT} marks a record deleted and must be a date-time string (schema {"type": ["null", "string"], "format": "date-time"}); the stream declares it as ${column.type}`, column.name);
        }
      } else if (metadata && METADATA_NAMES.has(column.name.toLowerCase())) {
        throw fail(
          `property "${column.name}" has the name of a metadata column the target fills (${METADATA_COLUMNS.map((c) => c.name).join(", ")}; only ${DELETED_AT} may come from the tap): rename it, or set add_metadata_columns to false to load it as an ordinary column`,
          column.name,
        );
      }
    }
  }
}
