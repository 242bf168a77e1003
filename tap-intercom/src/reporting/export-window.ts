/** Exports one dataset window: run the job, stream the download through gunzip and csv-parse, yield records. */
import { pipeline } from "node:stream";
import type { Readable } from "node:stream";
import type { Logger } from "../../../singer/src/index.js";
import { isNetworkError } from "../http/retry.js";
import { csvParser, describeCsvError, typedRecords, CsvRowError, type CsvRecord, type FieldPlan } from "./csv-records.js";
import { decodingStages, describeZlibError } from "./decode.js";
import { ReportingExportError } from "./errors.js";
import type { ExportJobApi } from "./export-api.js";
import { ExportJobRunner, JobFailure, type JobTiming } from "./export-job.js";
import { describeWindow, type ExportWindow } from "./windows.js";

export interface WindowRequest {
  datasetId: string;
  /** The stream the records go to, which errors name. */
  stream: string;
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

/** How many times one window's file is downloaded before the window fails. */
export const MAX_DOWNLOAD_ATTEMPTS = 10;

/**
 * A download that broke off, arrived corrupt or went away mid-body: worth downloading again.
 * The connection failures are the HTTP client's (isNetworkError), but not the rest of its
 * isRetryableError: these errors come from reading a body whose response already arrived, where
 * the request's timeout no longer applies (no AbortError), nothing is JSON (no SyntaxError), and
 * its message patterns ("terminated", …) would also match a CsvRowError quoting a cell, which a
 * new download cannot fix.
 */
export function isBrokenDownload(error: unknown): boolean {
  return describeZlibError(error) !== undefined || isNetworkError(error);
}

/** A malformed file: a fresh job may produce a good one. */
function isMalformedCsv(error: unknown): boolean {
  return describeCsvError(error) !== undefined;
}

/**
 * Yields the window's records in file order, each with its row number. A broken download is
 * downloaded again, a malformed or expired file comes from a fresh job, up to
 * MAX_DOWNLOAD_ATTEMPTS downloads; a retried file is yielded again from its first row (keys make
 * the repeats harmless). Every failure, including a job that never completes, surfaces as a
 * ReportingExportError naming the dataset and window.
 */
export async function* exportWindow(
  api: ExportJobApi,
  request: WindowRequest,
  timing: JobTiming,
  logger: Logger,
): AsyncGenerator<CsvRecord> {
  const { datasetId, window } = request;
  const windowLogger = logger.child(`window ${describeWindow(window)}`);
  const fail = (error: unknown): ReportingExportError =>
    error instanceof ReportingExportError ? error : new ReportingExportError(request.stream, window, explain(error), { cause: error });
  const runner = new ExportJobRunner(api, datasetId, request.attributeIds, window, timing, windowLogger);
  let jobId: string | undefined;
  for (let attempt = 1; ; attempt += 1) {
    let body: Readable | undefined;
    try {
      while (body === undefined) {
        if (jobId === undefined) {
          const outcome = await runner.run();
          if (outcome.kind === "no_data") {
            windowLogger.info("no data");
            return;
          }
          jobId = outcome.jobId;
        }
        const download = await api.download(jobId);
        if (download.kind === "body") {
          body = download.body;
        } else if (!runner.canRetry()) {
          throw new JobFailure(`the file of export job ${jobId} is gone (HTTP ${download.status}) and no attempts are left`);
        } else {
          windowLogger.warn(`the file of export job ${jobId} is gone (HTTP ${download.status}); enqueueing again`);
          jobId = undefined;
        }
      }
    } catch (error) {
      throw fail(error);
    }
    let records: AsyncIterator<CsvRecord>;
    try {
      records = typedRecords(csvRows(body, await decodingStages(body)), request.plans, windowLogger)[Symbol.asyncIterator]();
    } catch (error) {
      body.destroy();
      throw fail(error);
    }
    try {
      for (;;) {
        let next: IteratorResult<CsvRecord>;
        try {
          next = await records.next();
        } catch (error) {
          const retry = isBrokenDownload(error) || (isMalformedCsv(error) && runner.canRetry());
          if (!retry || attempt >= MAX_DOWNLOAD_ATTEMPTS) {
            const tried = attempt > 1 ? ` (after ${attempt} downloads)` : "";
            throw new ReportingExportError(request.stream, window, `${explain(error)}${tried}`, { cause: error });
          }
          windowLogger.warn(`download ${attempt} of at most ${MAX_DOWNLOAD_ATTEMPTS} failed (${explain(error)}); ${isMalformedCsv(error) ? "enqueueing a fresh job" : "downloading again"}`);
          if (isMalformedCsv(error)) jobId = undefined;
          break;
        }
        if (next.done) return;
        // The consumer's own errors pass through here untouched: they are not the download's.
        yield next.value;
      }
    } finally {
      body.destroy();
    }
  }
}
