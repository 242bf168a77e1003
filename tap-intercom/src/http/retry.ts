/** When a failed request is tried again, and after how long: exponential backoff with full jitter, bounded. */

export interface RetryPolicy {
  /** Retries after the first attempt, for 5xx, timeouts and connection errors. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** 429s are waited out until the reset time; this bounds how many in a row. */
  maxRateLimitWaits: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxRateLimitWaits: 20 };

/** Delay before retry number `retry` (1-based): uniform in [0, min(max, base * 2^(retry-1))]. */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 423 || status >= 500;
}

const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ESOCKETTIMEDOUT", "EAI_AGAIN", "UND_ERR_SOCKET", "ERR_STREAM_PREMATURE_CLOSE"]);

/** A failure of the connection (reset, refused, timed out, closed early), by its code or as node-fetch reports one. */
export function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code ?? (error as { errno?: string }).errno;
  return (code !== undefined && RETRYABLE_CODES.has(String(code))) || error.name === "FetchError";
}

/** Network-level failures worth another try: resets, refused connections, timeouts, truncated bodies. */
export function isRetryableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "AbortError" || error.name === "TimeoutError") return true;
  if (isNetworkError(error)) return true;
  if (error instanceof SyntaxError) return true; // a 200 whose body is not JSON (cut short)
  return /premature close|socket hang up|terminated|invalid response body/i.test(error.message);
}
