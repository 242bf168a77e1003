/** One full sync of the tap, in process, against a fixture server started for it: every stream selected by default, its messages counted and dropped. */
import { Writable } from "node:stream";
import { startFixtureServer, type FixtureServerOptions } from "../../fixtures/src/index.js";
import { isStreamSelected, Logger, SingerWriter } from "../../singer/src/index.js";
import { IntercomClient } from "../../tap-intercom/src/http/client.js";
import { resolveConfig } from "../../tap-intercom/src/settings.js";
import { discover, sync } from "../../tap-intercom/src/tap.js";

export interface FullSyncResult {
  /** Wall time of the sync (discovery excluded). */
  seconds: number;
  /** Singer messages written. */
  messages: number;
  requests: number;
  rateLimited: number;
  retries: number;
}

/** `fixture`: the server's options; `settings`: tap settings beside the server's URL and token (default max_concurrency 8). */
export async function fullSync(fixture: FixtureServerOptions, settings: Record<string, unknown> = {}): Promise<FullSyncResult> {
  const server = await startFixtureServer(fixture);
  try {
    const config = resolveConfig({ access_token: server.token, base_url: server.url, max_concurrency: 8, ...settings });
    const logger = new Logger("bench", "warn");
    const catalog = await discover(config, logger);
    let messages = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const byte of chunk) if (byte === 10) messages += 1;
        callback();
      },
    });
    const client = new IntercomClient(config, logger);
    const started = Date.now();
    let seconds: number;
    try {
      await sync({ config, logger, writer: new SingerWriter(sink), state: { bookmarks: {} }, streams: catalog.streams.filter((stream) => isStreamSelected(stream)), client });
      seconds = (Date.now() - started) / 1000;
    } finally {
      client.close();
    }
    const { requests, rateLimited, retries } = client.stats;
    return { seconds, messages, requests, rateLimited, retries };
  } finally {
    await server.close();
  }
}
