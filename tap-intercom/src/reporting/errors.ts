import { streamIdOf } from "./datasets.js";
import type { ExportWindow } from "./windows.js";
import { describeWindow } from "./windows.js";

/** A reporting export that could not be completed; names the dataset's stream and the window it was on. */
export class ReportingExportError extends Error {
  readonly datasetId: string;
  readonly window: ExportWindow | undefined;

  constructor(datasetId: string, window: ExportWindow | undefined, message: string, options?: { cause?: unknown }) {
    // Spelled as the stream's log lines are (Logger.child in sync-dataset.ts and export-window.ts).
    super(`${streamIdOf(datasetId)}: ${window ? `window ${describeWindow(window)}: ` : ""}${message}`, options);
    this.name = "ReportingExportError";
    this.datasetId = datasetId;
    this.window = window;
  }
}
