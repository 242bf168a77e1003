/**
 * A stand-in tap for testing the pipeline runner and `make sync`: prints the state it was given
 * on stderr, then RECORD and STATE lines. FAKE_TAP_MODE: `ok` (default), `fail` (exit 2 after the
 * first state), `hang` (stay alive after the first state until killed).
 */
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const stateIndex = args.indexOf("--state");
const given = stateIndex >= 0 ? (JSON.parse(readFileSync(args[stateIndex + 1] ?? "", "utf8")) as { bookmarks?: { s?: { n?: number } } }) : {};
const start = given.bookmarks?.s?.n ?? 0;
process.stderr.write(`fake tap: starting after ${start} with token ${process.env["TAP_INTERCOM_ACCESS_TOKEN"] ?? "none"}\n`);
const mode = process.env["FAKE_TAP_MODE"] ?? "ok";
const out = (message: unknown): void => {
  process.stdout.write(JSON.stringify(message) + "\n");
};
out({ type: "SCHEMA", stream: "s", schema: { type: "object", properties: { n: { type: "integer" } } }, key_properties: ["n"] });
for (let n = start + 1; n <= start + 2; n += 1) {
  out({ type: "RECORD", stream: "s", record: { n } });
  out({ type: "STATE", value: { bookmarks: { s: { n } } } });
  if (n === start + 1 && mode === "fail") process.exit(2);
  if (n === start + 1 && mode === "hang") setInterval(() => undefined, 1 << 30);
  if (mode === "hang") break;
}
