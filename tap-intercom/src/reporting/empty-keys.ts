/**
 * Export rows whose key cell is empty. Intercom documents no attribute as always filled, and CSV
 * writes null as an empty cell, so a key attribute can be empty; sent as null, such rows would
 * replace each other (and target-duckdb refuses null keys). A text key cell that is empty gets a
 * stand-in value naming the export window and the row's place among the window's rows with the
 * same other key values: "(empty in the export; window 2024-06-01T00:00:00Z, #2)". A re-export of
 * the window gives the same rows the same stand-ins, so they replace their earlier copies. A key
 * attribute of another type (a time, a number) cannot hold a stand-in: an empty one is an error.
 */
import type { JsonSchema } from "../../../singer/src/index.js";
import { ReportingExportError } from "./errors.js";
import { unixToRfc3339, type ExportWindow } from "./windows.js";

function holdsText(schema: JsonSchema | undefined): boolean {
  const types = Array.isArray(schema?.type) ? schema.type : [schema?.type];
  return types.includes("string") && schema?.format === undefined;
}

export class EmptyKeyCells {
  /** Rows per combination of the other key values in the current window. */
  private readonly seen = new Map<string, number>();
  private window: ExportWindow = { start: 0, end: 0 };

  constructor(
    private readonly stream: string,
    private readonly keyFields: string[],
    private readonly schemaOf: (field: string) => JsonSchema | undefined,
  ) {}

  startWindow(window: ExportWindow): void {
    this.window = window;
    this.seen.clear();
  }

  /** Fills the record's empty key cells in place; `row` is its row number in the window's file. */
  fill(record: Record<string, unknown>, row: number): void {
    let empty: string[] | undefined;
    for (const field of this.keyFields) {
      if (record[field] === null || record[field] === undefined) (empty ??= []).push(field);
    }
    if (empty === undefined) return;
    for (const field of empty) {
      if (!holdsText(this.schemaOf(field))) {
        throw new ReportingExportError(
          this.stream,
          this.window,
          `CSV row ${row}: key attribute "${field}" is empty, and only a text key can take a stand-in value; the row cannot be told apart from others. Deselect the stream, or report the row to Intercom`,
        );
      }
    }
    const others = JSON.stringify(this.keyFields.map((field) => record[field] ?? null));
    const place = (this.seen.get(others) ?? 0) + 1;
    this.seen.set(others, place);
    const standIn = `(empty in the export; window ${unixToRfc3339(this.window.start)}, #${place})`;
    for (const field of empty) record[field] = standIn;
  }
}
