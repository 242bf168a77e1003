/**
 * Paces requests from Intercom's X-RateLimit-* headers so that a sync runs at the allowed rate
 * without 429s. Intercom enforces its per-minute limit in 10-second windows of a sixth of it
 * (1,000/min is 167 per window, `X-RateLimit-Reset` 10 s ahead: developers.intercom.com/docs/
 * references/2.17/rest-api/errors/rate-limiting), so spreading a window's budget over it gains
 * nothing: requests leave as long as the window has some left, counting those in flight, and
 * wait only until the announced reset once it is spent. Shared by every request of a run.
 */

export interface RateLimitSnapshot {
  limit: number | undefined;
  remaining: number;
  /** Epoch milliseconds at which the window resets. */
  resetAtMs: number;
}

export type Sleep = (ms: number) => Promise<void>;
export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Reads the rate-limit headers; undefined when the response has none. */
export function readRateLimit(headers: { get(name: string): string | null }, nowMs: number): RateLimitSnapshot | undefined {
  const remaining = Number(headers.get("x-ratelimit-remaining"));
  const reset = Number(headers.get("x-ratelimit-reset"));
  if (headers.get("x-ratelimit-remaining") === null || !Number.isFinite(remaining)) return undefined;
  const limitHeader = headers.get("x-ratelimit-limit");
  const limit = limitHeader === null ? undefined : Number(limitHeader);
  // X-RateLimit-Reset is a Unix time in seconds; a small value is read as seconds from now.
  const resetAtMs = !Number.isFinite(reset) || headers.get("x-ratelimit-reset") === null ? nowMs + 10_000 : reset > 1e9 ? reset * 1000 : nowMs + reset * 1000;
  return { limit: Number.isFinite(limit) ? limit : undefined, remaining, resetAtMs };
}

export class RateLimitPacer {
  private window: RateLimitSnapshot | undefined;
  /** Requests sent against the current window since its last snapshot. */
  private sentSinceSnapshot = 0;
  private inFlight = 0;
  private queue: Promise<void> = Promise.resolve();
  private blockedUntilMs = 0;
  /** The first request learns the window; concurrent streams would otherwise all leave before it is known. */
  private probing = true;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly wait: Sleep = sleep,
    /** Slack added after a reset time, for clock skew between us and the server. */
    private readonly resetMarginMs = 250,
  ) {}

  /** Resolves when a request may be sent; call `release` with its response headers afterwards. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.now();
      if (now < this.blockedUntilMs) {
        await this.wait(this.blockedUntilMs - now);
        continue;
      }
      const w = this.window;
      if (!w || now >= w.resetAtMs) {
        // Expired window: one request goes out to learn the new one; the others wait for its headers.
        if (w) {
          this.window = undefined;
          this.probing = true;
        }
        if (this.probing && this.inFlight > 0) {
          await this.wait(5);
          continue;
        }
        break;
      }
      const left = w.remaining - this.sentSinceSnapshot;
      if (left <= 0) {
        await this.wait(w.resetAtMs - now + this.resetMarginMs);
        continue;
      }
      break;
    }
    this.sentSinceSnapshot += 1;
    this.inFlight += 1;
  }

  /** Records a finished request and the rate-limit headers of its response, if any. */
  release(snapshot: RateLimitSnapshot | undefined): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (!snapshot) {
      if (this.inFlight === 0) this.probing = false;
      return;
    }
    this.probing = false;
    const current = this.window;
    // Requests still in flight may not be counted in this snapshot yet: count them as sent.
    if (current && Math.abs(snapshot.resetAtMs - current.resetAtMs) < 1000) {
      const leftNow = current.remaining - this.sentSinceSnapshot;
      if (snapshot.remaining - this.inFlight >= leftNow) return;
    }
    this.window = snapshot;
    this.sentSinceSnapshot = this.inFlight;
  }

  /** After a 429: no request leaves before the window resets. */
  blockUntil(resetAtMs: number): void {
    this.blockedUntilMs = Math.max(this.blockedUntilMs, resetAtMs + this.resetMarginMs);
    this.window = undefined;
    this.probing = true;
  }
}
