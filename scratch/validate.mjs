import { startFixtureServer } from "/work/main/dist/fixtures/src/index.js";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import Ajv from "ajv";

const server = await startFixtureServer({ seed: 3, scale: process.argv[2] ?? "small", log: () => {} });
writeFileSync("/tmp/vc.json", JSON.stringify({ access_token: server.token, base_url: server.url, app_id: "a", client_id: "c", start_date: "2023-01-01T00:00:00Z" }));
const child = spawn("tap-intercom/bin/tap-intercom", ["--config", "/tmp/vc.json"], { stdio: ["ignore", "pipe", "inherit"] });
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });

const validators = {}; const problems = new Map();
for await (const line of createInterface({ input: child.stdout })) {
  const m = JSON.parse(line);
  if (m.type === "SCHEMA") validators[m.stream] = ajv.compile(m.schema);
  if (m.type === "RECORD") {
    const v = validators[m.stream];
    if (!v(m.record)) for (const e of v.errors) { const k = `${m.stream} ${e.instancePath.replace(/\/\d+/g, "/*")} ${e.message}`; if (!problems.has(k)) problems.set(k, JSON.stringify(e.data)?.slice(0, 150)); }
  }
}
for (const [k, v] of problems) console.log(k, "::", v);
await server.close();
