import assert from "node:assert/strict";
import { join } from "node:path";
import { streamLabel } from "../singer/src/index.js";
import { fixtureTapConfig } from "../scripts/lib/fixture-run.js";
import { runPipeline } from "../scripts/lib/pipeline.js";
import { discover, startWorld, syncedStreams, writeJson, type E2eWorld } from "./e2e-support.js";
import { TAP_BIN, TARGET_BIN } from "./helpers.js";

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A log line's message: what follows `LEVEL program: `, or undefined for other lines (METRIC, stack traces). */
function messageOf(line: string): string | undefined {
  return /^(?:DEBUG|INFO|WARN|ERROR) (?:tap-intercom|target-duckdb): (.*)$/s.exec(line)?.[1];
}

/** Why `message` names `stream` in another form than `stream "x"`, or undefined. */
function otherSpelling(message: string, stream: string): string | undefined {
  const id = escape(stream);
  if (new RegExp(`^(?:  - )?${id}:`).test(message)) return "starts with the bare name";
  if (new RegExp(`(?<!stream )"${id}":`).test(message)) return "a quoted name without `stream`";
  if (new RegExp(`stream ${id}\\b|stream '${id}'`).test(message)) return "`stream` and an unquoted name";
  return undefined;
}

describe("log lines name a stream one way (Logger.forStream)", function () {
  this.timeout(180_000);
  let world: E2eWorld;
  afterEach(async () => {
    await world?.close();
  });

  it("every stream-scoped line of a real tap | target run, retries and reporting windows included, spells the stream `stream \"x\"`", async () => {
    // Retries (HTTP errors) and broken export downloads make the tap log per-stream and per-window warnings.
    world = await startWorld({ faults: { errorRate: 0.05, errorStatuses: [503], truncateDownloadRate: 0.3 } });
    const tapConfig = await writeJson(join(world.dir, "tap.json"), fixtureTapConfig(world.server, { max_retries: 8 }));
    const catalog = await discover(["--config", tapConfig]);
    await writeJson(world.catalogPath, catalog);
    const logs: { source: string; line: string }[] = [];
    const result = await runPipeline({
      tap: { command: TAP_BIN, args: ["--config", tapConfig, "--catalog", world.catalogPath] },
      target: { command: TARGET_BIN, args: ["--config", world.targetConfig] },
      // Debug level: the target's per-stream commit lines too.
      env: { LOG_LEVEL: "debug" },
      timeoutMs: 150_000,
      onLog: (source, line) => logs.push({ source, line }),
    });
    const tail = logs.slice(-20).map((l) => `[${l.source}] ${l.line}`).join("\n");
    assert.ok(result.ok, `the pipeline ran: ${JSON.stringify(result)}\n${tail}`);

    const streams = catalog.streams.map((s) => s.tap_stream_id);
    const problems: string[] = [];
    for (const { source, line } of logs) {
      const message = messageOf(line);
      if (message === undefined) continue;
      for (const stream of streams) {
        const why = otherSpelling(message, stream);
        if (why) problems.push(`[${source}] ${why}: ${line}`);
      }
    }
    assert.deepEqual(problems, []);

    // The check above is not vacuous: each synced stream has lines in the one form, on both sides.
    const scoped = (source: string, stream: string) => logs.filter((l) => l.source === source && messageOf(l.line)?.startsWith(`${streamLabel(stream)}: `));
    for (const stream of syncedStreams(catalog)) {
      assert.ok(scoped("tap", stream).length > 0, `the tap logs ${streamLabel(stream)}: …`);
      assert.ok(scoped("target", stream).length > 0, `the target logs ${streamLabel(stream)}: …`);
    }
    assert.ok(
      logs.some((l) => /^WARN tap-intercom: stream "[a-z_]+": (?:HTTP 503 on|window \[)/.test(l.line)),
      "a retry or a broken download was logged with its stream",
    );
  });
});
