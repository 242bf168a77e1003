/**
 * An offline Reporting Data Export API (get_datasets, enqueue, job status, download) with
 * deterministic rows and injectable faults, for the reporting tests and benchmark. Downloads are
 * generated and gzipped on the fly, so any size streams without being held in memory.
 */
import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

export interface ExportWindowRange {
  start: number;
  end: number;
}

export interface ExportFaults {
  /** Jobs for windows starting here fail this many times before succeeding (Infinity: always). */
  failJob?: Map<number, number>;
  /** Windows starting here answer status "no_data". */
  noData?: Set<number>;
  /** Downloads of windows starting here stop after this fraction of the gzip bytes. */
  truncate?: Map<number, number>;
  /** Downloads of windows starting here carry a row with one column too many after this many rows. */
  extraColumnAfter?: Map<number, number>;
  /** The first download of windows starting here answers 410: the file has expired. */
  expireDownloadOnce?: Set<number>;
  /** Jobs for windows starting here stay pending for ever. */
  neverComplete?: Set<number>;
  /** Enqueue answers 429 (too many pending jobs) this many times first. */
  busyEnqueues?: number;
}

export interface ExportServerOptions {
  token?: string;
  appId?: string;
  clientId?: string;
  /** Seconds between conversation rows; 5400 puts rows on every day boundary. */
  spacing?: number;
  /** Characters of text in each conversation row's `remark` (to make big exports). */
  remarkLength?: number;
  /** Serve this gzip file for every conversation download instead of generating one. */
  downloadFile?: string;
  /** Status polls a job answers "pending" before "complete". */
  pollsUntilComplete?: number;
  faults?: ExportFaults;
}

export interface ConversationRow {
  conversation_id: string;
  conversation_started_at: number;
  first_response_time: number | null;
  fin_participated: boolean;
  channel: string;
  remark: string;
}

const DATASETS = [
  {
    id: "conversation",
    name: "Conversation",
    description: "Conversation-level details.",
    default_time_attribute_id: "conversation_started_at",
    attributes: [
      { id: "conversation_id", qualified_id: "standard.conversation_id", name: "Conversation ID" },
      { id: "conversation_started_at", qualified_id: "timestamp.conversation_started_at", name: "Conversation started at" },
      { id: "first_response_time", qualified_id: "standard.first_response_time", name: "First response time", data_type: "integer" },
      { id: "fin_participated", qualified_id: "standard.fin_participated", name: "Fin participated", data_type: "boolean" },
      { id: "channel", qualified_id: "standard.channel", name: "Channel" },
      { id: "remark", qualified_id: "standard.remark", name: "Remark" },
    ],
  },
  {
    id: "consolidated_conversation_part",
    name: "Consolidated conversation part",
    default_time_attribute_id: "part_created_at",
    attributes: [
      { id: "conversation_part_id", qualified_id: "standard.conversation_part_id", name: "Conversation part ID" },
      { id: "conversation_id", qualified_id: "standard.conversation_id", name: "Conversation ID" },
      { id: "part_created_at", qualified_id: "timestamp.part_created_at", name: "Part created at" },
    ],
  },
];

const CHANNELS = ["chat", "email", "phone, callback", 'say "hi"', "multi\nline"];

/** The conversation rows with start <= time < end, in time order. */
export function conversationRows(range: ExportWindowRange, spacing: number, remarkLength = 0): ConversationRow[] {
  const rows: ConversationRow[] = [];
  for (const row of conversationRowIterator(range, spacing, remarkLength)) rows.push(row);
  return rows;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";

/** 1 MiB of seeded pseudo-random text: remarks cut from it barely compress, like real text would not repeat. */
const TEXT_POOL = (() => {
  let seed = 12345;
  const chars: string[] = [];
  for (let i = 0; i < 1 << 20; i += 1) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    chars.push(LETTERS[(seed >>> 16) % LETTERS.length] as string);
  }
  return chars.join("");
})();

function remarkOf(k: number, length: number): string {
  if (length === 0) return "";
  const offset = (k * 7919) % (TEXT_POOL.length - length);
  return TEXT_POOL.slice(offset, offset + length);
}

function* conversationRowIterator(range: ExportWindowRange, spacing: number, remarkLength: number): Generator<ConversationRow> {
  for (let t = Math.ceil(range.start / spacing) * spacing; t < range.end; t += spacing) {
    const k = t / spacing;
    yield {
      conversation_id: `c${t}`,
      conversation_started_at: t,
      first_response_time: k % 7 === 0 ? null : (k * 37) % 900,
      fin_participated: k % 2 === 0,
      channel: CHANNELS[k % CHANNELS.length] as string,
      remark: remarkOf(k, remarkLength),
    };
  }
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function formatDateTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
}

const CONVERSATION_CELLS: Record<string, (row: ConversationRow) => string> = {
  conversation_id: (row) => row.conversation_id,
  conversation_started_at: (row) => formatDateTime(row.conversation_started_at),
  first_response_time: (row) => (row.first_response_time === null ? "" : String(row.first_response_time)),
  fin_participated: (row) => String(row.fin_participated),
  channel: (row) => row.channel,
  remark: (row) => row.remark,
};

interface Job {
  id: string;
  datasetId: string;
  attributeIds: string[];
  range: ExportWindowRange;
  polls: number;
  status: "pending" | "complete" | "failed" | "no_data";
}

export interface ExportServer {
  url: string;
  token: string;
  appId: string;
  clientId: string;
  /** Every enqueue request received, in order. */
  enqueued: { datasetId: string; attributeIds: string[]; range: ExportWindowRange }[];
  /** Uncompressed CSV bytes generated for downloads so far. */
  csvBytes(): number;
  truth(range: ExportWindowRange): ConversationRow[];
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { type: "error.list", request_id: "fixture", errors: [{ code, message }] }, headers);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

export async function startExportServer(options: ExportServerOptions = {}): Promise<ExportServer> {
  const token = options.token ?? "fixture-token";
  const appId = options.appId ?? "fixture-app";
  const clientId = options.clientId ?? "fixture-client";
  const spacing = options.spacing ?? 5400;
  const remarkLength = options.remarkLength ?? 0;
  const pollsUntilComplete = options.pollsUntilComplete ?? 2;
  const faults = options.faults ?? {};
  const failuresLeft = new Map(faults.failJob ?? []);
  const expireLeft = new Set(faults.expireDownloadOnce ?? []);
  let busyLeft = faults.busyEnqueues ?? 0;
  const jobs = new Map<string, Job>();
  const enqueued: ExportServer["enqueued"] = [];
  let nextJob = 1;
  let csvBytes = 0;

  function advance(job: Job): void {
    if (job.status !== "pending") return;
    job.polls += 1;
    if (faults.neverComplete?.has(job.range.start) || job.polls < pollsUntilComplete) return;
    const failures = failuresLeft.get(job.range.start) ?? 0;
    if (failures > 0) {
      failuresLeft.set(job.range.start, failures - 1);
      job.status = "failed";
    } else {
      job.status = faults.noData?.has(job.range.start) ? "no_data" : "complete";
    }
  }

  async function download(job: Job, res: ServerResponse): Promise<void> {
    const attributes = (DATASETS.find((d) => d.id === job.datasetId)?.attributes ?? []).filter((a) =>
      job.attributeIds.some((id) => id === a.id || id === a.qualified_id),
    );
    const extraAfter = faults.extraColumnAfter?.get(job.range.start);
    async function* csv(): AsyncGenerator<string> {
      yield attributes.map((a) => csvCell(a.name)).join(",") + "\n";
      if (job.datasetId !== "conversation") return;
      let n = 0;
      let batch = "";
      for (const row of conversationRowIterator(job.range, spacing, remarkLength)) {
        n += 1;
        const cells = attributes.map((a) => csvCell((CONVERSATION_CELLS[a.id] as (r: ConversationRow) => string)(row)));
        if (extraAfter !== undefined && n === extraAfter + 1) cells.push("surplus");
        batch += cells.join(",") + "\n";
        if (batch.length >= 65536) {
          csvBytes += Buffer.byteLength(batch);
          yield batch;
          batch = "";
        }
      }
      csvBytes += Buffer.byteLength(batch);
      if (batch) yield batch;
    }
    res.writeHead(200, { "Content-Type": "application/octet-stream" });
    if (options.downloadFile !== undefined && job.datasetId === "conversation") {
      await pipeline(createReadStream(options.downloadFile), res);
      return;
    }
    const gzip = createGzip({ level: 1 });
    const cut = faults.truncate?.get(job.range.start);
    if (cut === undefined) {
      await pipeline(Readable.from(csv()), gzip, res);
      return;
    }
    // Gzip the whole file, then send only the first part of it: a truncated download.
    const chunks: Buffer[] = [];
    await pipeline(Readable.from(csv()), gzip, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    });
    const whole = Buffer.concat(chunks);
    res.end(whole.subarray(0, Math.floor(whole.length * cut)));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fixture");
    if (req.headers.authorization !== `Bearer ${token}`) return sendError(res, 401, "unauthorized", "Access Token Invalid");
    if (req.method === "GET" && url.pathname === "/export/reporting_data/get_datasets") {
      return sendJson(res, 200, { type: "list", data: DATASETS });
    }
    if (req.method === "POST" && url.pathname === "/export/reporting_data/enqueue") {
      const body = (await readBody(req)) as { dataset_id?: string; attribute_ids?: string[]; start_time?: number; end_time?: number };
      const dataset = DATASETS.find((d) => d.id === body.dataset_id);
      if (!dataset) return sendError(res, 400, "bad_request", `${String(body.dataset_id)} is not a valid dataset_id`);
      const ids = body.attribute_ids ?? [];
      if (ids.length === 0) return sendError(res, 400, "bad_request", "attribute_ids must contain at least one attribute_id");
      const unknown = ids.filter((id) => !dataset.attributes.some((a) => a.id === id || a.qualified_id === id));
      if (unknown.length > 0) return sendError(res, 400, "bad_request", `attribute_ids invalid for ${dataset.id} dataset: ${unknown.join(", ")}`);
      if (typeof body.start_time !== "number" || typeof body.end_time !== "number" || body.end_time <= body.start_time) {
        return sendError(res, 400, "bad_request", "start_time and end_time must be Unix seconds, start before end");
      }
      const pending = [...jobs.values()].filter((j) => j.status === "pending").length;
      if (busyLeft > 0 || pending >= 5) {
        busyLeft = Math.max(0, busyLeft - 1);
        return sendError(res, 429, "rate_limit_exceeded", "Exceeded rate limit of 5 pending reporting dataset export jobs", {
          // The API-wide limit is not what ran out: only the pending-jobs limit.
          "X-RateLimit-Remaining": "900",
          "X-RateLimit-Reset": String(Math.floor(Date.now() / 1000) + 60),
        });
      }
      const range = { start: body.start_time, end: body.end_time };
      enqueued.push({ datasetId: dataset.id, attributeIds: ids, range });
      const job: Job = { id: `job${nextJob++}`, datasetId: dataset.id, attributeIds: ids, range, polls: 0, status: "pending" };
      jobs.set(job.id, job);
      return sendJson(res, 200, { job_identifier: job.id, status: "pending", download_url: "", download_expires_at: "" });
    }
    const status = /^\/export\/reporting_data\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && status) {
      if (url.searchParams.get("app_id") !== appId || url.searchParams.get("client_id") !== clientId) {
        return sendError(res, 400, "bad_request", "app_id and client_id are required");
      }
      const job = jobs.get(decodeURIComponent(status[1] as string));
      if (!job) return sendError(res, 404, "not_found", `Export job not found for identifier: ${status[1]}`);
      advance(job);
      const done = job.status === "complete";
      return sendJson(res, 200, {
        job_identifier: job.id,
        status: job.status,
        download_url: done ? `${url.origin}/download/reporting_data/${job.id}` : "",
        download_expires_at: "",
      });
    }
    const file = /^\/download\/reporting_data\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && file) {
      if (req.headers.accept !== "application/octet-stream") return sendError(res, 406, "not_acceptable", "Accept: application/octet-stream required");
      if (url.searchParams.get("app_id") !== appId) return sendError(res, 400, "bad_request", "app_id is required");
      const job = jobs.get(decodeURIComponent(file[1] as string));
      if (!job || job.status !== "complete") return sendError(res, 404, "not_found", `Export job not found for identifier: ${file[1]}`);
      if (expireLeft.delete(job.range.start)) return sendError(res, 410, "gone", "The export file has expired");
      return download(job, res);
    }
    sendError(res, 404, "not_found", `no route for ${req.method} ${url.pathname}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    appId,
    clientId,
    enqueued,
    csvBytes: () => csvBytes,
    truth: (range) => conversationRows(range, spacing, remarkLength),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
