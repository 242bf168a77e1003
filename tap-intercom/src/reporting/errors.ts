import { streamLabel } from "../../../singer/src/index.js";
import type { ExportWindow } from "./windows.js";
import { describeWindow } from "./windows.js";

/** An export that could not be completed; names the stream and the window it was on, as the stream's log lines do. */
export class ReportingExportError extends Error {
  readonly stream: string;
  readonly window: ExportWindow | undefined;

  constructor(stream: string, window: ExportWindow | undefined, message: string, options?: { cause?: unknown }) {
    super(`${streamLabel(stream)}: ${window ? `window ${describeWindow(window)}: ` : ""}${message}`, options);
    this.name = "ReportingExportError";
    this.stream = stream;
    this.window = window;
  }
}
