/**
 * Benchmark (not a test): a full sync of the `medium` fixture with 50 ms injected latency and a
 * rate limit of 1,000 requests per minute, enforced like Intercom in 10-second windows. Prints wall time divided by the floor the rate limit
 * allows (requests made / allowed rate); the target is at most 1.15.
 */
import { Writable } from "node:stream";
import { perMinuteRateLimit, startFixtureServer } from "../fixtures/src/index.js";
import { isStreamSelected, Logger, SingerWriter } from "../singer/src/index.js";
import { IntercomClient } from "../tap-intercom/src/http/client.js";
import { resolveConfig } from "../tap-intercom/src/settings.js";
import { discover, sync } from "../tap-intercom/src/tap.js";

const LIMIT = 1000;
const WINDOW_SECONDS = 60;

async function main(): Promise<void> {
  const server = await startFixtureServer({ seed: 1, scale: "medium", rateLimit: perMinuteRateLimit(LIMIT), faults: { latencyMs: 50 } });
  try {
    const config = resolveConfig({ access_token: server.token, base_url: server.url, max_concurrency: 8 });
    const logger = new Logger("bench", "warn");
    const catalog = await discover(config, logger);
    let records = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const byte of chunk) if (byte === 10) records += 1;
        callback();
      },
    });
    const client = new IntercomClient(config, logger);
    const started = Date.now();
    await sync({ config, logger, writer: new SingerWriter(sink), state: { bookmarks: {} }, streams: catalog.streams.filter((stream) => isStreamSelected(stream)), client });
    const wallSeconds = (Date.now() - started) / 1000;
    client.close();
    const { requests, rateLimited, retries } = client.stats;
    const floorSeconds = requests / (LIMIT / WINDOW_SECONDS);
    const ratio = wallSeconds / floorSeconds;
    process.stdout.write(
      `tap-intercom full sync, medium fixture, 50 ms latency, ${LIMIT} requests/${WINDOW_SECONDS}s\n` +
        `  messages ${records}, requests ${requests} (429s ${rateLimited}, retries ${retries})\n` +
        `  wall ${wallSeconds.toFixed(1)} s, floor ${floorSeconds.toFixed(1)} s, ratio ${ratio.toFixed(3)} (target <= 1.15)\n`,
    );
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
