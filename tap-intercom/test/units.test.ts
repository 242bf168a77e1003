import assert from "node:assert/strict";
import { Logger, parseState, SingerWriter } from "../../singer/src/index.js";
import { RateLimitPacer, readRateLimit } from "../src/http/pacer.js";
import { backoffDelayMs, DEFAULT_RETRY_POLICY } from "../src/http/retry.js";
import { apiVersionAtLeast, resolveConfig } from "../src/settings.js";
import { progressFor, TtyProgress } from "../src/progress.js";
import { StateHolder } from "../src/state-holder.js";
import { Bookmark } from "../src/streams/bookmark.js";
import { customAttributesSchema } from "../src/streams/discover.js";
import { nextPageRequest, searchBody } from "../src/streams/sources.js";
import { PassThrough } from "node:stream";

function headers(values: Record<string, string>): { get(name: string): string | null } {
  return { get: (name) => values[name.toLowerCase()] ?? null };
}

describe("tap-intercom units", () => {
  describe("settings", () => {
    it("requires access_token, takes it from the environment, and resolves defaults", () => {
      assert.throws(() => resolveConfig({}, {}), /missing required setting "access_token"/);
      const config = resolveConfig({ region: "eu" }, { TAP_INTERCOM_ACCESS_TOKEN: "tok-123" });
      assert.equal(config.accessToken, "tok-123");
      assert.equal(config.baseUrl, "https://api.eu.intercom.io");
      assert.equal(config.pageSize, 150);
      assert.equal(config.startDate, undefined);
      assert.equal(resolveConfig({ access_token: "x", base_url: "http://h:1/", region: "au" }).baseUrl, "http://h:1");
      assert.equal(resolveConfig({ access_token: "x", start_date: "2024-01-02T00:00:00Z" }).startDate, 1704153600);
      assert.throws(() => resolveConfig({ access_token: "x", region: "mars" }), /region/);
      assert.throws(() => resolveConfig({ access_token: "x", page_size: 500 }), /page_size/);
    });

    it("compares API versions", () => {
      assert.ok(apiVersionAtLeast("2.16", "2.16"));
      assert.ok(apiVersionAtLeast("2.20", "2.16"));
      assert.ok(!apiVersionAtLeast("2.14", "2.16"));
      assert.ok(apiVersionAtLeast("Unstable", "2.16"));
    });
  });

  describe("rate-limit pacer", () => {
    it("reads X-RateLimit headers, reset as a Unix time", () => {
      const snapshot = readRateLimit(headers({ "x-ratelimit-remaining": "7", "x-ratelimit-reset": "2000000000", "x-ratelimit-limit": "10" }), 0);
      assert.deepEqual(snapshot, { limit: 10, remaining: 7, resetAtMs: 2_000_000_000_000 });
      assert.equal(readRateLimit(headers({}), 0), undefined);
    });

    it("spreads the remaining requests over the time left and waits for the reset when none are left", async () => {
      let now = 0;
      const waits: number[] = [];
      const pacer = new RateLimitPacer(
        () => now,
        async (ms) => {
          waits.push(ms);
          now += ms;
        },
        0,
      );
      await pacer.acquire();
      pacer.release({ limit: 4, remaining: 4, resetAtMs: 1000 });
      for (let i = 0; i < 4; i += 1) {
        await pacer.acquire();
        pacer.release(undefined);
      }
      // Four requests over one second: one every 250 ms, none before its slot.
      assert.ok(now >= 750 && now < 1000, `four paced requests end before the reset (at ${now})`);
      await pacer.acquire();
      assert.ok(now >= 1000, "the fifth request waits for the window to reset");
      assert.ok(waits.every((ms) => ms >= 0));
    });

    it("blocks every request until the reset after a 429", async () => {
      let now = 0;
      const pacer = new RateLimitPacer(
        () => now,
        async (ms) => {
          now += ms;
        },
        0,
      );
      pacer.blockUntil(5000);
      await pacer.acquire();
      assert.ok(now >= 5000);
    });

    it("backs off exponentially with jitter, bounded", () => {
      const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
      assert.equal(backoffDelayMs(policy, 1, () => 0), 50);
      assert.equal(backoffDelayMs(policy, 3, () => 1), 400);
      assert.equal(backoffDelayMs(policy, 10, () => 1), 1000);
    });
  });

  describe("bookmarks", () => {
    const holder = (value: unknown): StateHolder => new StateHolder(parseState(value), new SingerWriter(new PassThrough()));

    it("re-reads the boundary second but skips the keys already processed there", () => {
      const state = holder({ bookmarks: { contacts: { updated_at: 100, boundary_keys: ['["a"]'] } } });
      const bookmark = new Bookmark("contacts", "updated_at", state, undefined, 0);
      assert.equal(bookmark.lowerBound(), 100);
      assert.equal(bookmark.wants(100, '["a"]'), false);
      assert.equal(bookmark.wants(100, '["b"]'), true);
      assert.equal(bookmark.wants(99, '["c"]'), false);
      assert.equal(bookmark.wants(101, '["a"]'), true);
      bookmark.advance(101, '["a"]');
      bookmark.advance(101, '["b"]');
      bookmark.save(state);
      assert.deepEqual(state.value.bookmarks["contacts"], { updated_at: 101, boundary_keys: ['["a"]', '["b"]'], complete: false });
    });

    it("after a complete run, skips a changed parent's children older than the bookmark; never after an interrupted one", () => {
      const bookmark = new Bookmark("parts", "conversation_updated_at", holder({ bookmarks: { parts: { conversation_updated_at: 100, complete: true } } }), undefined, 0);
      assert.equal(bookmark.childRecordIsNew(150, 90), false);
      assert.equal(bookmark.childRecordIsNew(150, 120), true);
      assert.equal(bookmark.childRecordIsNew(100, 90), true);
      const interrupted = new Bookmark("parts", "conversation_updated_at", holder({ bookmarks: { parts: { conversation_updated_at: 100, complete: false } } }), undefined, 0);
      assert.equal(interrupted.childRecordIsNew(150, 90), true, "after an interrupted run, unprocessed parents have old children");
      assert.equal(new Bookmark("parts", "conversation_updated_at", holder(null), undefined, 0).childRecordIsNew(150, 1), true);
    });

    it("caps an unsorted source's bookmark at the time its read began, so records updated during the read are read again", () => {
      const state = holder({ bookmarks: { companies: { updated_at: 100 } } });
      const bookmark = new Bookmark("companies", "updated_at", state, undefined, 0);
      bookmark.advance(700, '["b"]');
      bookmark.save(state, true, 500);
      assert.deepEqual(state.value.bookmarks["companies"], { updated_at: 500, boundary_keys: [], complete: true });
      const next = new Bookmark("companies", "updated_at", state, undefined, 0);
      assert.equal(next.wants(600, '["a"]'), true, "a record updated after the read began is wanted again");
      bookmark.save(state, true, 900);
      assert.deepEqual(state.value.bookmarks["companies"], { updated_at: 700, boundary_keys: ['["b"]'], complete: true }, "no cap below the ceiling");
    });

    it("starts at start_date and moves back by the lookback window", () => {
      const fresh = new Bookmark("x", "updated_at", holder(null), 50, 10);
      assert.equal(fresh.lowerBound(), 50);
      assert.equal(fresh.wants(49, "k"), false);
      const withLookback = new Bookmark("x", "updated_at", holder({ bookmarks: { x: { updated_at: 100 } } }), 50, 10);
      assert.equal(withLookback.lowerBound(), 90);
      assert.equal(withLookback.wants(95, "k"), true);
    });
  });

  describe("pagination and search", () => {
    it("follows pages.next as a URL, a starting_after cursor, or a page number", () => {
      assert.deepEqual(nextPageRequest({ pages: { next: "https://x/admins/activity_logs?page=2" } }, "/p", { a: 1 }), {
        path: "https://x/admins/activity_logs?page=2",
        query: {},
      });
      assert.deepEqual(nextPageRequest({ pages: { next: { starting_after: "abc" } } }, "/p", { a: 1 }), { path: "/p", query: { a: 1, starting_after: "abc" } });
      assert.deepEqual(nextPageRequest({ pages: { page: 1, total_pages: 3 } }, "/p", {}), { path: "/p", query: { page: 2 } });
      assert.equal(nextPageRequest({ pages: { page: 3, total_pages: 3 } }, "/p", {}), undefined);
      assert.equal(nextPageRequest({}, "/p", {}), undefined);
    });

    it("searches at or after the lower bound, ascending", () => {
      assert.deepEqual(searchBody("updated_at", 86400, 150, "cur"), {
        query: {
          operator: "OR",
          value: [
            { field: "updated_at", operator: ">", value: 86400 },
            { field: "updated_at", operator: "=", value: 86400 },
          ],
        },
        sort: { field: "updated_at", order: "ascending" },
        pagination: { per_page: 150, starting_after: "cur" },
      });
    });
  });

  it("types custom attributes from data attributes", () => {
    const schema = customAttributesSchema([
      { name: "plan_tier", data_type: "string", custom: true },
      { name: "seats", data_type: "integer", custom: true },
      { name: "mrr", data_type: "float", custom: true },
      { name: "vip", data_type: "boolean", custom: true },
      { name: "renewal", data_type: "date", custom: true },
      { name: "email", data_type: "string", custom: false },
    ]);
    assert.deepEqual(Object.keys(schema.properties ?? {}), ["plan_tier", "seats", "mrr", "vip", "renewal"]);
    assert.deepEqual(schema.properties?.["mrr"], { type: ["null", "number"] });
    assert.equal(schema.additionalProperties, true);
  });

  it("shows progress only on a terminal (its lines: tap-intercom/test/settings-cli.test.ts)", () => {
    const tty = { isTTY: true, write: () => true } as unknown as NodeJS.WriteStream;
    assert.ok(progressFor(tty) instanceof TtyProgress);
    const pipe = { isTTY: false, write: () => assert.fail("no progress on a pipe") } as unknown as NodeJS.WriteStream;
    progressFor(pipe).start("contacts");
  });

  it("never writes the token in logs", () => {
    const lines: string[] = [];
    const logger = new Logger("t", "debug", (line) => lines.push(line));
    logger.addSecret("secret-token-1");
    logger.error("request with Bearer secret-token-1 failed");
    assert.ok(!lines.join("\n").includes("secret-token-1"));
  });
});
