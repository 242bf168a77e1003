/**
 * A stand-in target: prints each STATE value on stdout, as a loader does after committing.
 * FAKE_TARGET_MODE=fail exits 3 at the first RECORD; FAKE_TARGET_MODE=noise also prints a line
 * that is not JSON; FAKE_TARGET_MODE=careless logs its config files' text (a target that leaks its token).
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const mode = process.env["FAKE_TARGET_MODE"] ?? "ok";
if (mode === "noise") process.stdout.write("not json\n");
if (mode === "careless") {
  process.stderr.write(`fake target: token from the environment ${process.env["TARGET_DUCKDB_TOKEN"] ?? ""}\n`);
  process.argv.forEach((arg, i) => {
    if (arg === "--config") process.stderr.write(`fake target: config ${readFileSync(process.argv[i + 1] ?? "", "utf8")}\n`);
  });
}
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const message = JSON.parse(line) as { type: string; value?: unknown };
  if (message.type === "RECORD" && mode === "fail") process.exit(3);
  if (message.type === "STATE") process.stdout.write(JSON.stringify(message.value) + "\n");
}
process.stderr.write("fake target: done\n");
