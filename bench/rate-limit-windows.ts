/**
 * Benchmark (not a test): a full sync of the `small` fixture at 1,000 requests per minute, as
 * Intercom enforces it (167 per 10-second window), against the same sync at 10,000 per minute.
 * Intercom spreads its per-minute limit over 10-second windows, so a pacer that uses each
 * window's budget and waits only for the announced reset needs about (requests / 167 - 1) × 10 s
 * at 1,000/min; one that spreads the budget or waits for a minute boundary needs more.
 */
import { perMinuteRateLimit } from "../fixtures/src/index.js";
import { fullSync } from "./lib/full-sync.js";

const atRate = (perMinute: number) => fullSync({ seed: 1, scale: "small", rateLimit: perMinuteRateLimit(perMinute), log: () => undefined });

async function main(): Promise<void> {
  const fast = await atRate(10_000);
  const slow = await atRate(1_000);
  const window = perMinuteRateLimit(1_000);
  const resets = Math.max(0, Math.ceil(slow.requests / window.limit) - 1);
  process.stdout.write(
    `tap-intercom full sync, small fixture, rate limit enforced in ${window.windowSeconds}-second windows\n` +
      `  10,000/min: ${fast.seconds.toFixed(1)} s, ${fast.requests} requests (429s ${fast.rateLimited})\n` +
      `   1,000/min: ${slow.seconds.toFixed(1)} s, ${slow.requests} requests (429s ${slow.rateLimited}); ` +
      `floor: ${resets} window resets at ${window.limit}/window, ${resets * window.windowSeconds} s less what was left of the first window\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
