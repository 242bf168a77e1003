/**
 * What a person sees when a setting, a token or a file is wrong, and what the terminal shows on a
 * good run: the tap CLI against the fixture server.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFixtureServer, type FixtureServer } from "../../fixtures/src/index.js";
import { REPO_ROOT, runCommand, TAP_BIN } from "../../test/helpers.js";
import { Logger } from "../../singer/src/index.js";
import { IntercomClient } from "../src/http/client.js";
import { HTTP_STATUS_ADVICE } from "../src/http/errors.js";
import { ExportHttpError } from "../src/reporting/export-api.js";
import { parseStrictDateTime } from "../src/date-time.js";
import { resolveConfig } from "../src/settings.js";
import { progressFor, TtyProgress } from "../src/progress.js";
import { discoverCatalog, runTap, selectOnly, writeJson } from "./support.js";

describe("tap-intercom settings, token and terminal", function () {
  this.timeout(120_000);
  let server: FixtureServer;
  before(async () => {
    server = await startFixtureServer({ seed: 1, scale: "small" });
  });
  after(async () => {
    await server.close();
  });
  const configFor = (extra: Record<string, unknown> = {}) => ({ access_token: server.token, base_url: server.url, ...extra });

  describe("unknown settings", () => {
    it("rejects a misspelled setting, naming it and the closest known one", () => {
      assert.throws(() => resolveConfig({ access_token: "x", start_dat: "2024-01-01" }, {}), /unknown setting "start_dat" \(did you mean start_date\?\)/);
      assert.throws(() => resolveConfig({ access_token: "x", max_concurency: 4 }, {}), /unknown setting "max_concurency" \(did you mean max_concurrency\?\)/);
      // Reporting settings are declared in their own module and known all the same.
      assert.equal(resolveConfig({ access_token: "x", reporting_window_seconds: 3600 }, {}).raw["reporting_window_seconds"], 3600);
      assert.throws(() => resolveConfig({ access_token: "x", reporting_windw_seconds: 3600 }, {}), /did you mean reporting_window_seconds\?/);
    });

    it("ignores Meltano's own keys quietly", () => {
      assert.equal(resolveConfig({ access_token: "x", _select: ["*.*"], _load_schema: "tap_intercom" }, {}).accessToken, "x");
    });

    it("exits non-zero before any request on an unknown setting", async () => {
      server.resetStats();
      const run = await runTap(configFor({ start_dat: "2024-01-01" }), { args: ["--discover"] });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /unknown setting "start_dat" \(did you mean start_date\?\)/);
      assert.equal(server.stats().total, 0);
    });

    it("--about declares no additional properties", async () => {
      const run = await runCommand(TAP_BIN, ["--about", "--format", "json"]);
      const about = JSON.parse(run.stdout) as { settings: { additionalProperties?: unknown; properties: Record<string, unknown> } };
      assert.equal(about.settings.additionalProperties, false);
      assert.ok("metrics" in about.settings.properties);
    });
  });

  describe("strict parsing", () => {
    it("reads start_date as RFC 3339 / ISO 8601 only, a bare date at midnight UTC", () => {
      assert.equal(parseStrictDateTime("2024-01-02"), 1704153600);
      assert.equal(parseStrictDateTime("2024-01-02T00:00:00Z"), 1704153600);
      assert.equal(parseStrictDateTime("2024-01-02T02:00:00+02:00"), 1704153600);
      assert.equal(resolveConfig({ access_token: "x", start_date: "2024-01-02" }, {}).startDate, 1704153600);
      for (const bad of ["01/02/2024", "Jan 5 2024", "2024", "2024-01-01 00:00", "2024-02-30", "yesterday"]) {
        assert.throws(
          () => resolveConfig({ access_token: "x", start_date: bad }, {}),
          (error: Error) => error.message.includes(`setting "start_date" must be an RFC 3339 date-time such as 2024-01-05T00:00:00Z`) && error.message.includes(JSON.stringify(bad)),
          bad,
        );
      }
    });

    it("lists the allowed regions and says when base_url lacks its scheme", () => {
      assert.throws(() => resolveConfig({ access_token: "x", region: "europe" }, {}), /setting "region" must be one of us, eu, au \(got "europe"\)/);
      assert.throws(() => resolveConfig({ access_token: "x", base_url: "127.0.0.1:9" }, {}), /setting "base_url" must start with its scheme, https:\/\/ or http:\/\//);
      assert.throws(() => resolveConfig({ access_token: "x", base_url: "api.intercom.io" }, {}), /did you mean "https:\/\/api.intercom.io"/);
    });

    it("reads every setting from a TAP_INTERCOM_<SETTING> variable, which wins over the files", () => {
      const config = resolveConfig(
        { access_token: "from-file", page_size: 10 },
        {
          TAP_INTERCOM_BASE_URL: "http://127.0.0.1:9",
          TAP_INTERCOM_START_DATE: "2024-01-02",
          TAP_INTERCOM_PAGE_SIZE: "50",
          TAP_INTERCOM_METRICS: "true",
          TAP_INTERCOM_REPORTING_DATASETS: '["conversation"]',
        },
      );
      assert.equal(config.baseUrl, "http://127.0.0.1:9");
      assert.equal(config.startDate, 1704153600);
      assert.equal(config.pageSize, 50);
      assert.equal(config.metrics, true);
      assert.deepEqual(config.raw["reporting_datasets"], ["conversation"]);
      assert.throws(() => resolveConfig({ access_token: "x" }, { TAP_INTERCOM_START_DATE: "01/02/2024" }), /start_date/);
    });
  });

  describe("a wrong token", () => {
    it("--test says the token was rejected, without calling itself a stream", async () => {
      const run = await runTap(configFor({ access_token: "wrong-token" }), { args: ["--test"] });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /Intercom rejected the access token \(HTTP 401\)\. Check that access_token/);
      assert.doesNotMatch(run.stderr, /stream "test"/);
      assert.ok(!run.stderr.includes("wrong-token"));
    });

    it("--discover exits non-zero and prints no catalog", async () => {
      const run = await runTap(configFor({ access_token: "wrong-token" }), { args: ["--discover"] });
      assert.equal(run.code, 1);
      assert.equal(run.messages.length, 0);
      assert.match(run.stderr, /Intercom rejected the access token \(HTTP 401\)/);
    });

    it("a sync with a catalog says so before its first stream", async () => {
      const catalog = selectOnly(await discoverCatalog(configFor()), ["admins"]);
      const run = await runTap(configFor({ access_token: "wrong-token" }), { catalog });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /Intercom rejected the access token \(HTTP 401\)\. Check that access_token/);
      assert.equal(run.messages.length, 0, "no stream started");
    });

    it("a 401 on any stream's request, REST or reporting export, reads the same", async () => {
      const logger = new Logger("t", "error", () => undefined);
      const client = new IntercomClient(resolveConfig(configFor({ access_token: "wrong-token" }), {}), logger);
      try {
        await assert.rejects(client.getJson({ path: "/admins", stream: "admins" }), /^IntercomHttpError: Intercom rejected the access token \(HTTP 401\)\. .* \(stream "admins": GET \/admins\)$/);
      } finally {
        client.close();
      }
      assert.match(new ExportHttpError(401, "listing reporting datasets", "unauthorized").message, /^Intercom rejected the access token \(HTTP 401\)\. .*\(listing reporting datasets\)$/);
    });

    it("a 403 or 404 of the reporting export reads as the advice table says", () => {
      for (const status of [403, 404] as const) {
        const { problem, check } = HTTP_STATUS_ADVICE[status];
        assert.equal(new ExportHttpError(status, "listing reporting datasets", "detail").message, `${problem} (HTTP ${status}). ${check} (listing reporting datasets)`);
      }
    });

    it("a reporting stream says so too", async () => {
      const reporting = { app_id: server.truth().appId, client_id: "client", reporting_datasets: ["conversation"] };
      const catalog = selectOnly(await discoverCatalog(configFor(reporting)), ["report_conversation"]);
      const run = await runTap(configFor({ ...reporting, access_token: "wrong-token" }), { catalog });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /Intercom rejected the access token \(HTTP 401\)/);
    });
  });

  describe("first run and file checks", () => {
    it("reads a --state file that does not exist yet as an empty state, with one info line", async () => {
      const dir = await mkdtemp(join(tmpdir(), "tap-state-"));
      const statePath = join(dir, "state.json");
      const catalog = selectOnly(await discoverCatalog(configFor()), ["admins"]);
      const run = await runCommand(TAP_BIN, ["--config", await writeJson(configFor(), "c.json"), "--catalog", await writeJson(catalog, "cat.json"), "--state", statePath]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr.match(/does not exist yet: starting with an empty state/g)?.length, 1);
      assert.ok(run.stdout.includes('"type":"RECORD"'));
    });

    it("makes no request before the state file is checked", async () => {
      const dir = await mkdtemp(join(tmpdir(), "tap-state-"));
      const statePath = join(dir, "state.json");
      await writeFile(statePath, "[1, 2]");
      server.resetStats();
      const run = await runCommand(TAP_BIN, ["--config", await writeJson(configFor(), "c.json"), "--state", statePath]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /state must be a JSON object/);
      assert.equal(server.stats().total, 0);
    });
  });

  describe("a readable terminal", () => {
    it("writes no METRIC line per request by default; at debug level or with metrics: true it does", async () => {
      const catalog = selectOnly(await discoverCatalog(configFor()), ["admins", "tags"]);
      const quiet = await runTap(configFor(), { catalog });
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.doesNotMatch(quiet.stderr, /METRIC/);
      assert.match(quiet.stderr, /stream "admins": \d+ records in/);
      const loud = await runTap(configFor({ metrics: true }), { catalog });
      assert.match(loud.stderr, /^INFO METRIC: \{"type":"timer","metric":"http_request_duration","value":[\d.]+,"tags":\{"stream":"admins"/m);
    });

    it("never redraws a progress line in place on a terminal: whole lines only", () => {
      const written: string[] = [];
      let now = 0;
      const tty = { isTTY: true, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
      const logger = new Logger("tap-intercom", "info", (line) => tty.write(line + "\n"));
      assert.ok(progressFor(logger, tty) instanceof TtyProgress);
      const progress = new TtyProgress(logger, 10_000, () => now);
      progress.start("contacts");
      for (let i = 0; i < 30; i++) {
        now += 1000;
        progress.add("contacts", 5);
      }
      progress.finish("contacts");
      assert.ok(written.length >= 2, "a line every few seconds");
      for (const text of written) {
        assert.ok(!text.includes("\r") && !text.includes("\x1b"), JSON.stringify(text));
        assert.ok(text.endsWith("\n"));
        assert.match(text, /^INFO tap-intercom: stream "contacts": \d+ records so far/);
      }
    });

    it("the README documents LOG_LEVEL and its levels", async () => {
      const readme = await readFile(join(REPO_ROOT, "README.md"), "utf8");
      assert.match(readme, /`LOG_LEVEL` sets how much:\s+`debug` .*`info` \(the\s+default\), `warn` or `error`/s);
    });

    it("repeats the warnings that matter at the end of the run", async () => {
      const catalog = selectOnly(await discoverCatalog(configFor()), ["conversations", "conversation_parts"]);
      const run = await runTap(configFor(), { catalog });
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stderr.trim().split("\n");
      const truncation = lines.find((line) => /^WARN .*stream "conversation_parts": /.test(line));
      assert.ok(truncation, "the fixture truncates a conversation's parts");
      const summaryAt = lines.findIndex((line) => /this run had \d+ warnings? \(repeated from above\)/.test(line));
      assert.ok(summaryAt > lines.indexOf(truncation));
      assert.ok(lines.slice(summaryAt).some((line) => line.includes(truncation.replace(/^WARN tap-intercom: /, ""))));
    });
  });
});
