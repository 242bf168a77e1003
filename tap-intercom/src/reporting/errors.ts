import type { ExportWindow } from "./windows.js";
import { describeWindow } from "./windows.js";

/** A reporting export that could not be completed; names the dataset and the window it was on. */
export class ReportingExportError extends Error {
  readonly datasetId: string;
  readonly window: ExportWindow | undefined;

  constructor(datasetId: string, window: ExportWindow | undefined, message: string, options?: { cause?: unknown }) {
    super(`reporting dataset "${datasetId}"${window ? `, window ${describeWindow(window)}` : ""}: ${message}`, options);
    this.name = "ReportingExportError";
    this.datasetId = datasetId;
    this.window = window;
  }
}
