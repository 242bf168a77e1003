/**
 * Benchmark (not a test): a full sync of the `medium` fixture with 50 ms injected latency and a
 * rate limit of 1,000 requests per minute, enforced like Intercom in 10-second windows. Prints wall time divided by the floor the rate limit
 * allows (requests made / allowed rate); the target is at most 1.15.
 */
import { perMinuteRateLimit } from "../fixtures/src/index.js";
import { fullSync } from "./lib/full-sync.js";

const LIMIT = 1000;
const WINDOW_SECONDS = 60;

async function main(): Promise<void> {
  const { seconds: wallSeconds, messages, requests, rateLimited, retries } = await fullSync({ seed: 1, scale: "medium", rateLimit: perMinuteRateLimit(LIMIT), faults: { latencyMs: 50 } });
  const floorSeconds = requests / (LIMIT / WINDOW_SECONDS);
  const ratio = wallSeconds / floorSeconds;
  process.stdout.write(
    `tap-intercom full sync, medium fixture, 50 ms latency, ${LIMIT} requests/${WINDOW_SECONDS}s\n` +
      `  messages ${messages}, requests ${requests} (429s ${rateLimited}, retries ${retries})\n` +
      `  wall ${wallSeconds.toFixed(1)} s, floor ${floorSeconds.toFixed(1)} s, ratio ${ratio.toFixed(3)} (target <= 1.15)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
