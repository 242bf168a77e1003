import assert from "node:assert/strict";
import { formatLocation, Logger, streamLabel } from "../src/index.js";

function capture(level: "debug" | "info" | "warn" = "debug"): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger("tap-x", level, (line) => lines.push(line)), lines };
}

describe("Logger.child", () => {
  it("starts each line with the child's prefix, after the level and the program's name; children nest", () => {
    const { logger, lines } = capture();
    const contacts = logger.child("contacts");
    contacts.info("120 records in 1.0s");
    contacts.child("window 2024-01-01").warn("no data");
    logger.info("sync done");
    assert.deepEqual(lines, ["INFO tap-x: contacts: 120 records in 1.0s", "WARN tap-x: contacts: window 2024-01-01: no data", "INFO tap-x: sync done"]);
  });

  it("names a stream in a log line as errors name it: forStream's prefix is formatLocation's stream part", () => {
    const { logger, lines } = capture();
    logger.forStream("contacts").info("120 records in 1.0s");
    assert.deepEqual(lines, [`INFO tap-x: ${streamLabel("contacts")}: 120 records in 1.0s`]);
    assert.equal(lines[0], 'INFO tap-x: stream "contacts": 120 records in 1.0s');
    assert.equal(formatLocation({ lineNumber: 3, stream: "contacts" }), 'line 3, stream "contacts": ');
  });

  it("keeps a child's warnings, with its prefix, in the run's warnings", () => {
    const { logger } = capture();
    logger.child("tags").warn("skipped");
    logger.child("tags").warn("a retry", { repeatInSummary: false });
    assert.deepEqual(logger.warnings(), ["tags: skipped"]);
  });

  it("shares the level and the secrets: a secret added to either is redacted, and cut, in both", () => {
    const { logger, lines } = capture("info");
    const child = logger.child("admins");
    child.addSecret("dG9rZW4tc2VjcmV0LXZhbHVl");
    logger.info("token dG9rZW4tc2VjcmV0LXZhbHVl");
    child.debug("not shown at info level");
    child.warn(child.redactAndCut("Bearer dG9rZW4tc2VjcmV0LXZhbHVl", 20));
    assert.deepEqual(lines, ["INFO tap-x: token ***", "WARN tap-x: admins: Bearer ***"]);
  });

  it("writes METRIC lines without a prefix: their tags name the stream", () => {
    const { logger, lines } = capture();
    logger.child("tags").metric("counter", "record_count", 3, { endpoint: "tags" });
    assert.deepEqual(lines, ['INFO METRIC: {"type":"counter","metric":"record_count","value":3,"tags":{"endpoint":"tags"}}']);
  });
});
