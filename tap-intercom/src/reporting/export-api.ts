/** The four Reporting Data Export endpoints, over the tap's HTTP client. */
import type { Readable } from "node:stream";
import type { Response } from "node-fetch";
import { DATASETS_PATH, parseDatasetList, type ReportingDataset } from "./datasets.js";
import type { ExportWindow } from "./windows.js";

export interface HttpRequest {
  method?: string;
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  stream?: boolean;
}

/** What this module needs of the tap's HTTP client: one paced, retried request, body unread. */
export interface HttpRequester {
  request(request: HttpRequest): Promise<Response>;
}

export type EnqueueResult = { kind: "enqueued"; jobId: string; status: string } | { kind: "busy"; message: string };
export type StatusResult = { kind: "status"; status: string } | { kind: "not_found" };
export type DownloadResult = { kind: "body"; body: Readable } | { kind: "gone"; status: number };

export interface ExportApi {
  listDatasets(): Promise<ReportingDataset[]>;
  enqueue(datasetId: string, attributeIds: string[], window: ExportWindow): Promise<EnqueueResult>;
  status(jobId: string): Promise<StatusResult>;
  download(jobId: string): Promise<DownloadResult>;
}

/** A non-2xx answer the export cannot work around. */
export class ExportHttpError extends Error {
  constructor(
    readonly status: number,
    what: string,
    detail: string,
  ) {
    super(`${what} answered HTTP ${status}${detail ? `: ${detail}` : ""}`);
    this.name = "ExportHttpError";
  }
}

async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(": ");
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200);
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  if (!response.ok) throw new ExportHttpError(response.status, what, await errorDetail(response));
  return (await response.json()) as Record<string, unknown>;
}

export function httpExportApi(http: HttpRequester, ids: { appId: string | undefined; clientId: string | undefined }): ExportApi {
  const needIds = (what: string): { appId: string; clientId: string } => {
    if (!ids.appId || !ids.clientId) {
      throw new Error(`${what} needs the "app_id" and "client_id" settings`);
    }
    return { appId: ids.appId, clientId: ids.clientId };
  };
  return {
    async listDatasets() {
      const response = await http.request({ method: "GET", path: DATASETS_PATH });
      return parseDatasetList(await json(response, "listing reporting datasets"));
    },

    async enqueue(datasetId, attributeIds, window) {
      const response = await http.request({
        method: "POST",
        path: "/export/reporting_data/enqueue",
        body: { dataset_id: datasetId, attribute_ids: attributeIds, start_time: window.start, end_time: window.end },
      });
      if (response.status === 429) return { kind: "busy", message: await errorDetail(response) };
      const body = await json(response, "enqueueing an export job");
      const jobId = body["job_identifier"];
      if (typeof jobId !== "string" || jobId === "") throw new Error("enqueueing an export job returned no job_identifier");
      return { kind: "enqueued", jobId, status: String(body["status"] ?? "pending") };
    },

    async status(jobId) {
      const { appId, clientId } = needIds("checking an export job");
      const response = await http.request({
        method: "GET",
        path: `/export/reporting_data/${encodeURIComponent(jobId)}`,
        query: { app_id: appId, client_id: clientId, job_identifier: jobId },
      });
      if (response.status === 404) {
        await response.text().catch(() => "");
        return { kind: "not_found" };
      }
      const body = await json(response, `checking export job ${jobId}`);
      return { kind: "status", status: String(body["status"] ?? "") };
    },

    async download(jobId) {
      const { appId } = needIds("downloading an export");
      const response = await http.request({
        method: "GET",
        path: `/download/reporting_data/${encodeURIComponent(jobId)}`,
        query: { app_id: appId, job_identifier: jobId },
        headers: { Accept: "application/octet-stream" },
        stream: true,
      });
      if (response.status === 404 || response.status === 410) {
        await response.text().catch(() => "");
        return { kind: "gone", status: response.status };
      }
      if (!response.ok || response.body === null) {
        throw new ExportHttpError(response.status, `downloading export job ${jobId}`, await errorDetail(response));
      }
      return { kind: "body", body: response.body as Readable };
    },
  };
}
