/** Exports one dataset window: run the job, stream the download through gunzip and csv-parse, yield records. */
import { pipeline } from "node:stream";
import type { Readable } from "node:stream";
import type { Logger } from "../../../singer/src/index.js";
import { csvParser, describeCsvError, typedRecords, CsvRowError, type FieldPlan } from "./csv-records.js";
import { decodingStages, describeZlibError } from "./decode.js";
import { ReportingExportError } from "./errors.js";
import type { ExportApi } from "./export-api.js";
import { ExportJobRunner, JobFailure, type JobTiming } from "./export-job.js";
import { describeWindow, type ExportWindow } from "./windows.js";

export interface WindowRequest {
  datasetId: string;
  /** Ids sent to enqueue. */
  attributeIds: string[];
  plans: FieldPlan[];
  window: ExportWindow;
}

function explain(error: unknown): string {
  if (error instanceof CsvRowError || error instanceof JobFailure) return error.message;
  return describeZlibError(error) ?? describeCsvError(error) ?? (error instanceof Error ? error.message : String(error));
}

/** Streams a completed job's file as CSV rows; errors of any stage end the iteration. */
function csvRows(body: Readable, stages: Awaited<ReturnType<typeof decodingStages>>): AsyncIterable<string[]> {
  const parser = csvParser();
  pipeline([body, ...stages, parser], () => undefined);
  return parser as AsyncIterable<string[]>;
}

/**
 * Yields the window's records in file order. Every failure, including a job that never
 * completes, surfaces as a ReportingExportError naming the dataset and window.
 */
export async function* exportWindow(
  api: ExportApi,
  request: WindowRequest,
  timing: JobTiming,
  logger: Logger,
): AsyncGenerator<Record<string, unknown>> {
  const { datasetId, window } = request;
  const context = `reporting dataset "${datasetId}", window ${describeWindow(window)}`;
  const fail = (error: unknown): ReportingExportError =>
    error instanceof ReportingExportError ? error : new ReportingExportError(datasetId, window, explain(error), { cause: error });
  const runner = new ExportJobRunner(api, datasetId, request.attributeIds, window, timing, logger);
  let body: Readable | undefined;
  try {
    while (body === undefined) {
      const outcome = await runner.run();
      if (outcome.kind === "no_data") {
        logger.info(`${context}: no data`);
        return;
      }
      const download = await api.download(outcome.jobId);
      if (download.kind === "body") {
        body = download.body;
      } else if (!runner.canRetry()) {
        throw new JobFailure(`the file of export job ${outcome.jobId} is gone (HTTP ${download.status}) and no attempts are left`);
      } else {
        logger.warn(`${context}: the file of export job ${outcome.jobId} is gone (HTTP ${download.status}); enqueueing again`);
      }
    }
  } catch (error) {
    throw fail(error);
  }
  let rows: AsyncIterable<string[]>;
  try {
    rows = csvRows(body, await decodingStages(body));
  } catch (error) {
    body.destroy();
    throw fail(error);
  }
  try {
    for await (const record of typedRecords(rows, request.plans, logger, context)) yield record;
  } catch (error) {
    throw fail(error);
  } finally {
    body.destroy();
  }
}
