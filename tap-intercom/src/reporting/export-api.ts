/**
 * Intercom's export jobs over the tap's HTTP client: enqueue, status, download, with one handling
 * of their answers for both exports, the Reporting Data Export (plus its dataset listing) and the
 * content data export; each export only says where its requests go.
 */
import type { Readable } from "node:stream";
import type { Response } from "node-fetch";
import { ConfigError } from "../../../singer/src/index.js";
import { httpAdvice, IntercomResponseError } from "../http/errors.js";
import { DATASETS_PATH, parseDatasetList, type ReportingDataset } from "./datasets.js";
import type { ExportWindow } from "./windows.js";

export interface HttpRequest {
  method?: string;
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  rawBody?: boolean;
  rateLimitToCaller?: boolean;
}

/**
 * What this module needs of the tap's HTTP client: one paced, retried request, body unread. A
 * final non-2xx answer may be returned or thrown as an error carrying `status` and `body`.
 */
export interface HttpRequester {
  request(request: HttpRequest): Promise<Response>;
}

export type EnqueueResult = { kind: "enqueued"; jobId: string; status: string } | { kind: "busy"; message: string };
export type StatusResult = { kind: "status"; status: string } | { kind: "not_found"; message: string };
export type DownloadResult = { kind: "body"; body: Readable } | { kind: "gone"; status: number };

/** One export's jobs: what the job runner and the window export use. */
export interface ExportJobApi {
  /** `datasetId` and `attributeIds` are the reporting export's; the content export has neither. */
  enqueue(datasetId: string, attributeIds: string[], window: ExportWindow): Promise<EnqueueResult>;
  status(jobId: string): Promise<StatusResult>;
  download(jobId: string): Promise<DownloadResult>;
}

export interface ExportApi extends ExportJobApi {
  listDatasets(): Promise<ReportingDataset[]>;
}

/** Where one export's requests go. */
export interface ExportEndpoints {
  enqueue(datasetId: string, attributeIds: string[], window: ExportWindow): HttpRequest;
  status(jobId: string): HttpRequest;
  download(jobId: string): HttpRequest;
}

/** A non-2xx answer the export cannot work around. */
export class ExportHttpError extends Error {
  constructor(
    readonly status: number,
    what: string,
    detail: string,
  ) {
    // A rejected token, a refusal or an unknown app reads the same here as on every other request.
    const advice = httpAdvice(status);
    super(advice !== undefined ? `${advice} (${what})` : `${what} answered HTTP ${status}${detail ? `: ${detail}` : ""}`);
    this.name = "ExportHttpError";
  }
}

/** A final answer: a 2xx response with its body unread, or a failure status with its body text. */
type Answer = { ok: true; response: Response } | { ok: false; status: number; body: string };

/** Sends a request; a non-2xx answer, whether returned or thrown by the client (with `status` and `body`), becomes a failure. */
async function send(http: HttpRequester, request: HttpRequest): Promise<Answer> {
  let response: Response;
  try {
    response = await http.request(request);
  } catch (error) {
    const failed = error as { status?: unknown; body?: unknown };
    if (typeof failed.status === "number") return { ok: false, status: failed.status, body: typeof failed.body === "string" ? failed.body : "" };
    throw error;
  }
  if (response.ok) return { ok: true, response };
  return { ok: false, status: response.status, body: await response.text().catch(() => "") };
}

function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    const first = parsed.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(": ");
  } catch {
    // not JSON: the raw text will do
  }
  return body.slice(0, 200);
}

async function json(answer: Answer, what: string): Promise<Record<string, unknown>> {
  if (!answer.ok) throw new ExportHttpError(answer.status, what, errorDetail(answer.body));
  return (await answer.response.json()) as Record<string, unknown>;
}

/** The jobs of an export, whose requests `endpoints` describes. */
export function jobExportApi(http: HttpRequester, endpoints: ExportEndpoints): ExportJobApi {
  return {
    async enqueue(datasetId, attributeIds, window) {
      // Intercom answers 429 while its cap of pending export jobs is reached: wait for a slot here, within the job's deadline.
      const answer = await send(http, { ...endpoints.enqueue(datasetId, attributeIds, window), method: "POST", rateLimitToCaller: true });
      if (!answer.ok && answer.status === 429) return { kind: "busy", message: errorDetail(answer.body) };
      const body = await json(answer, "enqueueing an export job");
      const jobId = body["job_identifier"];
      if (typeof jobId !== "string" || jobId === "") throw new IntercomResponseError("enqueueing an export job returned no job_identifier");
      return { kind: "enqueued", jobId, status: String(body["status"] ?? "pending") };
    },

    async status(jobId) {
      const answer = await send(http, { ...endpoints.status(jobId), method: "GET" });
      if (!answer.ok && answer.status === 404) return { kind: "not_found", message: errorDetail(answer.body) };
      const body = await json(answer, `checking export job ${jobId}`);
      return { kind: "status", status: String(body["status"] ?? "") };
    },

    async download(jobId) {
      const answer = await send(http, { ...endpoints.download(jobId), method: "GET", headers: { Accept: "application/octet-stream" }, rawBody: true });
      if (!answer.ok && (answer.status === 404 || answer.status === 410)) return { kind: "gone", status: answer.status };
      if (!answer.ok) throw new ExportHttpError(answer.status, `downloading export job ${jobId}`, errorDetail(answer.body));
      if (answer.response.body === null) throw new IntercomResponseError(`downloading export job ${jobId} returned no body`);
      return { kind: "body", body: answer.response.body as Readable };
    },
  };
}

/** The Reporting Data Export: status and download need the workspace's app_id (and status its client_id). */
export function httpExportApi(http: HttpRequester, ids: { appId: string | undefined; clientId: string | undefined }): ExportApi {
  const needIds = (what: string): { appId: string; clientId: string } => {
    if (!ids.appId || !ids.clientId) {
      throw new ConfigError(`${what} needs the "app_id" and "client_id" settings`);
    }
    return { appId: ids.appId, clientId: ids.clientId };
  };
  const jobs = jobExportApi(http, {
    enqueue: (datasetId, attributeIds, window) => ({
      path: "/export/reporting_data/enqueue",
      body: { dataset_id: datasetId, attribute_ids: attributeIds, start_time: window.start, end_time: window.end },
    }),
    status: (jobId) => {
      const { appId, clientId } = needIds("checking an export job");
      return { path: `/export/reporting_data/${encodeURIComponent(jobId)}`, query: { app_id: appId, client_id: clientId, job_identifier: jobId } };
    },
    download: (jobId) => {
      const { appId } = needIds("downloading an export");
      return { path: `/download/reporting_data/${encodeURIComponent(jobId)}`, query: { app_id: appId, job_identifier: jobId } };
    },
  });
  return {
    ...jobs,
    async listDatasets() {
      return parseDatasetList(await json(await send(http, { method: "GET", path: DATASETS_PATH }), "listing reporting datasets"));
    },
  };
}

/**
 * The content data export (2.14 yaml:9944-10089): a job per date range, whose days count whole
 * ("Date ranges are inclusive", 2.14 yaml:9972): the range ends at the window's last second.
 */
export function contentExportApi(http: HttpRequester): ExportJobApi {
  return jobExportApi(http, {
    enqueue: (_datasetId, _attributeIds, window) => ({ path: "/export/content/data", body: { created_at_after: window.start, created_at_before: window.end - 1 } }),
    status: (jobId) => ({ path: `/export/content/data/${encodeURIComponent(jobId)}` }),
    download: (jobId) => ({ path: `/download/content/data/${encodeURIComponent(jobId)}` }),
  });
}
