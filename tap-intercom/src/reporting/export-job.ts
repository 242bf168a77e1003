/** One export job's life: enqueue (waiting out the pending-jobs limit), poll with backoff, retry failures. */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../../singer/src/index.js";
import { httpAdvice } from "../http/errors.js";
import type { ExportJobApi } from "./export-api.js";
import type { ExportWindow } from "./windows.js";

export interface JobTiming {
  pollIntervalSeconds: number;
  timeoutSeconds: number;
}

export type JobOutcome = { kind: "complete"; jobId: string } | { kind: "no_data" };

/** How many times a failed or expired job is enqueued again before the window fails. */
export const MAX_JOB_ATTEMPTS = 5;
/** Consecutive 404s from the status endpoint tolerated right after enqueue (the job may not be visible yet). */
const MAX_STATUS_NOT_FOUND = 3;
const BACKOFF_FACTOR = 1.5;
const BACKOFF_CAP_FACTOR = 6;

const COMPLETE = new Set(["complete", "completed"]);
const NO_DATA = new Set(["no_data", "no data", "empty"]);
const FAILED = new Set(["failed", "canceled", "cancelled", "error"]);
const EXPIRED = new Set(["expired"]);

export class JobFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JobFailure";
  }
}

/** Grows a wait from the poll interval by half each time, up to six times the interval. */
class Backoff {
  private next: number;
  constructor(private readonly firstMs: number) {
    this.next = firstMs;
  }
  take(): number {
    const wait = this.next;
    this.next = Math.min(this.next * BACKOFF_FACTOR, this.firstMs * BACKOFF_CAP_FACTOR);
    return wait;
  }
}

export class ExportJobRunner {
  private readonly deadline: number;
  private attempts = 0;

  constructor(
    private readonly api: ExportJobApi,
    private readonly datasetId: string,
    private readonly attributeIds: string[],
    private readonly window: ExportWindow,
    private readonly timing: JobTiming,
    private readonly logger: Logger,
  ) {
    this.deadline = Date.now() + timing.timeoutSeconds * 1000;
  }

  /** Enqueues a job and waits until it is complete or has no data; throws JobFailure otherwise. */
  async run(): Promise<JobOutcome> {
    for (;;) {
      this.attempts += 1;
      const jobId = await this.enqueue();
      const outcome = await this.waitFor(jobId);
      if (typeof outcome !== "string") return outcome;
      if (this.attempts >= MAX_JOB_ATTEMPTS) {
        throw new JobFailure(`export job ${jobId} ended ${outcome}; gave up after ${this.attempts} attempts`);
      }
    }
  }

  /** Called when a completed job's file has expired before download: one more job, if attempts remain. */
  canRetry(): boolean {
    return this.attempts < MAX_JOB_ATTEMPTS && Date.now() < this.deadline;
  }

  private async wait(backoff: Backoff, what: string): Promise<void> {
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) {
      throw new JobFailure(`${what} within reporting_job_timeout_seconds (${this.timing.timeoutSeconds} s)`);
    }
    await sleep(Math.min(backoff.take(), remaining));
  }

  private async enqueue(): Promise<string> {
    const backoff = new Backoff(this.timing.pollIntervalSeconds * 1000);
    for (;;) {
      const result = await this.api.enqueue(this.datasetId, this.attributeIds, this.window);
      if (result.kind === "enqueued") {
        this.logger.debug(`enqueued export job ${result.jobId}`);
        return result.jobId;
      }
      this.logger.info(`Intercom has too many pending export jobs (${result.message}); waiting`);
      await this.wait(backoff, "no export job slot became free");
    }
  }

  /** The outcome, or why the job has to be enqueued again. */
  private async waitFor(jobId: string): Promise<JobOutcome | string> {
    const backoff = new Backoff(this.timing.pollIntervalSeconds * 1000);
    let notFound = 0;
    let last = "pending";
    for (;;) {
      await this.wait(backoff, `export job ${jobId} did not complete (last status "${last}")`);
      const result = await this.api.status(jobId);
      if (result.kind === "not_found") {
        notFound += 1;
        if (notFound > MAX_STATUS_NOT_FOUND) {
          // Intercom answers 404 both for an unknown job and for an app_id it does not know.
          const why = `unknown to Intercom (${result.message ? `${result.message}; ` : ""}${httpAdvice(404)})`;
          this.logger.warn(`export job ${jobId} is ${why}; enqueueing again`);
          return why;
        }
        continue;
      }
      notFound = 0;
      last = result.status;
      const status = result.status.toLowerCase();
      if (COMPLETE.has(status)) return { kind: "complete", jobId };
      if (NO_DATA.has(status)) return { kind: "no_data" };
      if (FAILED.has(status) || EXPIRED.has(status)) {
        this.logger.warn(`export job ${jobId} is ${status} (attempt ${this.attempts} of ${MAX_JOB_ATTEMPTS})`);
        return `"${status}"`;
      }
    }
  }
}
