/**
 * The HTTP client every stream uses: bearer auth, Intercom-Version, keep-alive connections,
 * rate-limit pacing, bounded retries with backoff, timeouts, and metric lines.
 */
import http from "node:http";
import https from "node:https";
import fetch, { type RequestInit, type Response } from "node-fetch";
import type { Logger } from "../../../singer/src/index.js";
import type { TapConfig } from "../settings.js";
import { ClientClosedError, httpAdvice, IntercomHttpError, requestOwner } from "./errors.js";
import { ConcurrencyLimit } from "./concurrency-limit.js";
import { RateLimitPacer, readRateLimit, sleep, type Sleep } from "./pacer.js";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryableError, isRetryableStatus, type RetryPolicy } from "./retry.js";

export interface IntercomRequest {
  method?: "GET" | "POST";
  /** A path below the base URL ("/contacts/search") or a full URL from a `pages.next` link. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** The stream the request serves, for logs, metrics and errors. */
  stream: string;
  /** Leave the body as sent, without Content-Encoding decoding (which would accept a truncated gzip). */
  rawBody?: boolean;
  /** Fail on a 429 instead of waiting it out, for callers that handle it themselves. */
  rateLimitToCaller?: boolean;
  /** Fail at once on a 5xx, timeout or network error instead of retrying: the request cannot be repeated (a scroll page). */
  noRetry?: boolean;
  /** A request the stream waits on before its next page (a page of its list, a contact's whole tag list): it takes a free slot before waiting child requests. */
  urgent?: boolean;
}

export interface ClientStats {
  requests: number;
  retries: number;
  rateLimited: number;
}

export interface ClientOptions {
  retry?: Partial<RetryPolicy>;
  pacer?: RateLimitPacer;
  sleep?: Sleep;
}

export class IntercomClient {
  readonly pacer: RateLimitPacer;
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0 };
  private readonly retry: RetryPolicy;
  private readonly agent: http.Agent;
  private readonly wait: Sleep;
  private readonly slots: ConcurrencyLimit;
  /** After close, no request leaves: streams still running after a failed one end at their next request. */
  private closed = false;

  constructor(
    private readonly config: Pick<TapConfig, "accessToken" | "baseUrl" | "apiVersion" | "requestTimeoutMs" | "maxConcurrency" | "maxRetries">,
    private readonly logger: Logger,
    options: ClientOptions = {},
  ) {
    logger.addSecret(config.accessToken);
    this.retry = { ...DEFAULT_RETRY_POLICY, maxRetries: config.maxRetries, ...options.retry };
    this.pacer = options.pacer ?? new RateLimitPacer();
    this.wait = options.sleep ?? sleep;
    this.slots = new ConcurrencyLimit(config.maxConcurrency);
    // An export download releases its slot once its headers arrive but keeps its socket while its
    // body streams: room for the 5 reporting and 1 content downloads that may run at once.
    const agentOptions = { keepAlive: true, maxSockets: Math.max(4, config.maxConcurrency + 2) + 6 };
    this.agent = config.baseUrl.startsWith("https:") ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** Sends a request, paced and retried; the body of the returned response is not consumed. */
  request(req: IntercomRequest): Promise<Response> {
    return this.send(req, async (response) => response);
  }

  getJson<T>(req: Omit<IntercomRequest, "method">): Promise<T> {
    return this.send({ ...req, method: "GET" }, (response) => response.json() as Promise<T>);
  }

  postJson<T>(req: Omit<IntercomRequest, "method">): Promise<T> {
    return this.send({ ...req, method: "POST" }, (response) => response.json() as Promise<T>);
  }

  /** Closes idle keep-alive connections so the process can exit. */
  close(): void {
    this.closed = true;
    this.agent.destroy();
  }

  url(req: Pick<IntercomRequest, "path" | "query">): URL {
    let url: URL;
    if (/^https?:\/\//.test(req.path)) {
      // A `pages.next` link: keep its path and query, but never send the token to another host.
      const link = new URL(req.path);
      url = new URL(this.config.baseUrl + link.pathname.replace(new URL(this.config.baseUrl).pathname.replace(/\/$/, ""), "") + link.search);
    } else {
      url = new URL(this.config.baseUrl + (req.path.startsWith("/") ? req.path : `/${req.path}`));
    }
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  /**
   * The attempt loop. `consume` runs inside an attempt, under its timeout, so a body cut short or
   * unparseable counts as a failed attempt and is retried.
   */
  private async send<T>(req: IntercomRequest, consume: (response: Response) => Promise<T>): Promise<T> {
    const method = req.method ?? "GET";
    let url = this.url(req);
    const label = `${method} ${url.pathname}${url.search}`;
    let failures = 0;
    let redirects = 0;
    let rateLimitWaits = 0;
    /** Why the last attempt failed, when the next one must back off first. */
    let retryAfter: string | undefined;
    for (;;) {
      if (this.closed) throw new ClientClosedError(`${requestOwner(req.stream)}: ${label}`);
      // A retry waits without holding a slot, so other requests go on meanwhile.
      if (retryAfter !== undefined) await this.backoff(req.stream, label, retryAfter, failures);
      retryAfter = undefined;
      const releaseSlot = await this.slots.acquire(req.urgent);
      try {
        await this.pacer.acquire();
        this.stats.requests += 1;
        const started = Date.now();
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), this.config.requestTimeoutMs);
        let response: Response | undefined;
        let released = false;
        const release = (r: Response | undefined): void => {
          if (released) return;
          released = true;
          this.pacer.release(r ? readRateLimit(r.headers, Date.now()) : undefined);
        };
        try {
          response = await fetch(url.href, this.init(req, method, controller.signal));
          release(response);
          this.timing(req.stream, url.pathname, response.status, started);
          const location = isRedirect(response.status) ? response.headers.get("location") : null;
          if (location !== null) {
            await response.arrayBuffer().catch(() => undefined);
            clearTimeout(timer);
            url = this.followable(req, label, response.status, new URL(location, url), (redirects += 1));
            continue;
          }
          if (response.ok) {
            const value = await consume(response);
            clearTimeout(timer);
            return value;
          }
          const body = await response.text().catch(() => "");
          clearTimeout(timer);
          if (response.status === 429) {
            this.stats.rateLimited += 1;
            rateLimitWaits += 1;
            if (req.rateLimitToCaller) throw this.failure(req, label, response.status, body, undefined);
            if (rateLimitWaits > this.retry.maxRateLimitWaits) throw this.failure(req, label, response.status, body, "rate limited too many times");
            // A reset time already past (our clock behind Intercom's) still waits a moment.
            const resetAt = Math.max(readRateLimit(response.headers, Date.now())?.resetAtMs ?? Date.now() + 10_000, Date.now() + 1000);
            this.logger.child(requestOwner(req.stream)).warn(`429 on ${label}; waiting ${Math.ceil((resetAt - Date.now()) / 1000)}s for the rate limit to reset`, { repeatInSummary: false });
            this.pacer.blockUntil(resetAt);
            continue;
          }
          if (isRetryableStatus(response.status) && failures < this.retry.maxRetries && !req.noRetry) {
            failures += 1;
            retryAfter = `HTTP ${response.status}`;
            continue;
          }
          throw this.failure(req, label, response.status, body, isRetryableStatus(response.status) ? `gave up after ${failures + 1} attempts` : undefined);
        } catch (error) {
          clearTimeout(timer);
          release(undefined);
          if (error instanceof IntercomHttpError) throw error;
          if (!response) this.timing(req.stream, url.pathname, 0, started);
          if (isRetryableError(error) && failures < this.retry.maxRetries && !req.noRetry) {
            failures += 1;
            retryAfter = describe(error);
            continue;
          }
          const where = response ? ` reading the body of HTTP ${response.status}` : "";
          throw this.failure(req, label, undefined, undefined, `${describe(error)}${where}${failures > 0 ? `, gave up after ${failures + 1} attempts` : ""}`);
        }
      } finally {
        releaseSlot();
      }
    }
  }

  private init(req: IntercomRequest, method: string, signal: AbortSignal): RequestInit {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.config.accessToken}`,
      Accept: "application/json",
      "Intercom-Version": this.config.apiVersion,
      ...req.headers,
    };
    let body: string | undefined;
    if (req.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(req.body);
    }
    if (req.rawBody) headers["Accept-Encoding"] = "identity";
    // Redirects are followed by `followable` only: node-fetch would send the token to another port of the same host.
    return { method, headers, body, agent: this.agent, signal, compress: !req.rawBody, redirect: "manual" };
  }

  /**
   * Where a redirect may be followed with the token: only within the configured origin (scheme,
   * host and port). A redirect elsewhere fails the request, so the token never leaves for another
   * server and a check answered by another server never passes.
   */
  private followable(req: IntercomRequest, label: string, status: number, target: URL, count: number): URL {
    const origin = new URL(this.config.baseUrl).origin;
    if (target.origin !== origin) {
      throw this.failure(
        req,
        label,
        status,
        undefined,
        `redirected to another server, ${target.origin}; the access token is only sent to ${origin}. ` +
          "Check base_url (or region): it must be the API host itself, with its scheme (https://api.intercom.io)",
      );
    }
    if (count > MAX_REDIRECTS) throw this.failure(req, label, status, undefined, `more than ${MAX_REDIRECTS} redirects`);
    return target;
  }

  private async backoff(stream: string, label: string, why: string, retry: number): Promise<void> {
    this.stats.retries += 1;
    const delay = backoffDelayMs(this.retry, retry);
    this.logger.child(requestOwner(stream)).warn(`${why} on ${label}; retry ${retry}/${this.retry.maxRetries} in ${delay} ms`, { repeatInSummary: false });
    await this.wait(delay);
  }

  private timing(stream: string, endpoint: string, status: number, started: number): void {
    this.logger.metric("timer", "http_request_duration", (Date.now() - started) / 1000, {
      stream,
      endpoint,
      http_status_code: status,
      status: status >= 200 && status < 300 ? "succeeded" : "failed",
    });
  }

  private failure(req: IntercomRequest, label: string, status: number | undefined, body: string | undefined, detail: string | undefined): IntercomHttpError {
    const snippet = body ? `: ${this.logger.redactAndCut(body.replace(/\s+/g, " "), 300)}` : "";
    const what = status === undefined ? "request failed" : `HTTP ${status}`;
    const advice = httpAdvice(status);
    const message = this.logger.redact(
      advice !== undefined
        ? `${advice} (${requestOwner(req.stream)}: ${label})`
        : `${requestOwner(req.stream)}: ${label} ${what}${detail ? ` (${detail})` : ""}${snippet}`,
    );
    return new IntercomHttpError(message, req.stream, label, status, body === undefined ? undefined : this.logger.redact(body));
  }
}

const MAX_REDIRECTS = 5;

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "AbortError") return "timed out";
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code}: ${error.message}` : error.message;
}
