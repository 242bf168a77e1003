/** Parses export CSV as a stream and yields one typed record per row. */
import { parse, CsvError } from "csv-parse";
import type { JsonSchema, Logger } from "../../../singer/src/index.js";
import { CellValueError, converterFor, type CellConverter } from "./cell-values.js";

const textCell: CellConverter = (cell) => (cell === "" ? null : cell);

/** The fields to produce, with the header texts each may appear under in the CSV. */
export interface FieldPlan {
  field: string;
  schema: JsonSchema;
  /** Header texts that name this field: attribute id, qualified id, display name. */
  headers: string[];
  /**
   * Set when the field's type was only guessed: called with a cell that does not fit, the field
   * then carries text (the plan's schema is switched by the caller).
   */
  onMisfit?: (row: number, cell: string) => void;
}

/** A typed record and its row number in the file (from 1). */
export interface CsvRecord {
  row: number;
  record: Record<string, unknown>;
}

interface Column {
  index: number;
  field: string;
  convert: CellConverter;
  plan: FieldPlan;
}

export class CsvRowError extends Error {
  constructor(
    readonly row: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`CSV row ${row}: ${message}`, options);
    this.name = "CsvRowError";
  }
}

export function csvParser(): ReturnType<typeof parse> {
  return parse({ bom: true, skip_empty_lines: true, relax_column_count: false });
}

/** Maps header cells to planned fields; an unknown column is skipped, a field without a column stays absent. */
export function planColumns(header: string[], plans: FieldPlan[], logger: Logger): Column[] {
  const byHeader = new Map<string, FieldPlan>();
  for (const plan of plans) for (const text of plan.headers) if (!byHeader.has(text)) byHeader.set(text, plan);
  const columns: Column[] = [];
  const found = new Set<string>();
  const unknown: string[] = [];
  header.forEach((text, index) => {
    const plan = byHeader.get(text.trim());
    if (!plan || found.has(plan.field)) {
      if (!plan) unknown.push(text);
      return;
    }
    found.add(plan.field);
    columns.push({ index, field: plan.field, convert: converterFor(plan.field, plan.schema), plan });
  });
  if (unknown.length > 0) logger.debug(`ignoring CSV columns not selected: ${unknown.join(", ")}`);
  const missing = plans.filter((plan) => !found.has(plan.field)).map((plan) => plan.field);
  if (missing.length > 0) logger.warn(`the export has no column for ${missing.join(", ")}`);
  return columns;
}

/** A readable explanation of a csv-parse error, or undefined when the error is not from csv-parse. */
export function describeCsvError(error: unknown): string | undefined {
  if (!(error instanceof CsvError)) return undefined;
  if (error.code === "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH") {
    return `malformed CSV: a row has the wrong number of columns (${error.message})`;
  }
  return `malformed CSV (${error.message})`;
}

/**
 * Yields typed records from parsed CSV rows (the first row is the header). Pulling one record
 * at a time is what carries the consumer's backpressure back to the download.
 */
export async function* typedRecords(
  rows: AsyncIterable<string[]>,
  plans: FieldPlan[],
  logger: Logger,
): AsyncGenerator<CsvRecord> {
  let columns: Column[] | undefined;
  let row = 0;
  for await (const cells of rows) {
    if (columns === undefined) {
      columns = planColumns(cells, plans, logger);
      continue;
    }
    row += 1;
    const record: Record<string, unknown> = {};
    for (const column of columns) {
      const cell = cells[column.index] ?? "";
      try {
        record[column.field] = column.convert(cell);
      } catch (error) {
        const misfit = column.plan.onMisfit;
        if (!(error instanceof CellValueError) || misfit === undefined) throw new CsvRowError(row, (error as Error).message, { cause: error });
        misfit(row, cell);
        column.convert = textCell;
        record[column.field] = textCell(cell);
      }
    }
    yield { row, record };
  }
}
