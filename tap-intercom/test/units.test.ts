import assert from "node:assert/strict";
import { Logger, parseState, SingerWriter } from "../../singer/src/index.js";
import { ConcurrencyLimit } from "../src/http/concurrency-limit.js";
import { RateLimitPacer, readRateLimit } from "../src/http/pacer.js";
import { backoffDelayMs, DEFAULT_RETRY_POLICY } from "../src/http/retry.js";
import { apiVersionAtLeast, resolveConfig } from "../src/settings.js";
import { progressFor, TtyProgress } from "../src/progress.js";
import { StateHolder } from "../src/state-holder.js";
import { Bookmark, savePosition } from "../src/streams/bookmark.js";
import { consumeConcurrentInOrder } from "../src/streams/concurrency.js";
import { SpillQueue } from "../src/streams/spill-queue.js";
import { planSlices, rangesOf, SlicedBookmark, storedSlices } from "../src/streams/slices.js";
import { VersionWindow } from "../src/streams/version-window.js";
import { customAttributesSchema } from "../src/streams/discover.js";
import { recordsAt } from "../src/streams/response-path.js";
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

    it("sends a window's requests without idling and waits only until the announced reset when none are left", async () => {
      // Intercom announces 10-second windows (1,000/min = 167 per window, reset 10 s ahead).
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
      pacer.release({ limit: 167, remaining: 166, resetAtMs: 10_000 });
      for (let i = 0; i < 166; i += 1) {
        await pacer.acquire();
        pacer.release(undefined);
      }
      assert.equal(now, 0, "the window's 167 requests leave at once: nothing waits for a later slot in the window");
      await pacer.acquire();
      assert.equal(now, 10_000, "the 168th request waits exactly until the announced reset, not to a minute boundary");
      pacer.release({ limit: 167, remaining: 166, resetAtMs: 20_000 });
      await pacer.acquire();
      assert.equal(now, 10_000, "the next window's budget is used at once");
      assert.ok(waits.every((ms) => ms >= 0 && now <= 20_000));
    });

    it("never sends more than a window allows while requests are in flight", async () => {
      let now = 0;
      const pacer = new RateLimitPacer(
        () => now,
        async (ms) => {
          now += ms;
        },
        0,
      );
      await pacer.acquire();
      pacer.release({ limit: 5, remaining: 4, resetAtMs: 10_000 });
      // Four requests go out and none has answered yet: a fifth must wait for the reset.
      for (let i = 0; i < 4; i += 1) await pacer.acquire();
      assert.equal(now, 0);
      const fifth = pacer.acquire();
      for (let i = 0; i < 4; i += 1) pacer.release({ limit: 5, remaining: 0, resetAtMs: 10_000 });
      await fifth;
      assert.ok(now >= 10_000, `the fifth request waits for the window to reset (at ${now})`);
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
    /** Writes a bookmark's position into the state, as SlicedBookmark.save does for each stream. */
    const save = (state: StateHolder, stream: string, bookmark: Bookmark): void => {
      const position = bookmark.position();
      if (position) savePosition(state, stream, "updated_at", position);
    };

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
      save(state, "contacts", bookmark);
      assert.deepEqual(state.value.bookmarks["contacts"], { updated_at: 101, boundary_keys: ['["a"]', '["b"]'] });
    });

    it("caps the bookmark at its ceiling, so records updated just before the read are read again, and skips the re-read ones by key and value", () => {
      const state = holder({ bookmarks: { companies: { updated_at: 100 } } });
      const bookmark = new Bookmark("companies", "updated_at", state, undefined, 0, 500);
      bookmark.advance(500, '["a"]');
      bookmark.advance(700, '["b"]');
      save(state, "companies", bookmark);
      assert.deepEqual(state.value.bookmarks["companies"], { updated_at: 500, boundary_keys: ['["a"]'], recent_keys: { '["b"]': 700 } });
      const next = new Bookmark("companies", "updated_at", state, undefined, 0, 900);
      assert.equal(next.lowerBound(), 500);
      assert.equal(next.wants(600, '["c"]'), true, "a record missing from the previous read is wanted");
      assert.equal(next.wants(700, '["b"]'), false, "a record processed above the ceiling is not wanted again");
      assert.equal(next.wants(800, '["b"]'), true, "unless it changed since");
      assert.equal(next.wants(500, '["a"]'), false);
      next.advance(700, '["b"]');
      save(state, "companies", next);
      assert.deepEqual(state.value.bookmarks["companies"], { updated_at: 700, boundary_keys: ['["b"]'] }, "no cap below the ceiling");
      const resumed = new Bookmark("companies", "updated_at", holder({ bookmarks: { companies: { updated_at: 500, recent_keys: { '["b"]': 700 } } } }), undefined, 0, 900);
      resumed.advance(600, '["c"]');
      save(state, "companies", resumed);
      assert.deepEqual(state.value.bookmarks["companies"], { updated_at: 600, boundary_keys: ['["c"]'], recent_keys: { '["b"]': 700 } }, "recent keys above the saved value are kept");
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

  describe("bounded memory", () => {
    it("hands concurrent results over in order, holding at most `limit` besides the one being consumed", async () => {
      const consumed: number[] = [];
      let held = 0;
      let maxHeld = 0;
      const items = Array.from({ length: 40 }, (_, i) => i);
      await consumeConcurrentInOrder(
        items,
        4,
        async (item) => {
          held += 1;
          maxHeld = Math.max(maxHeld, held);
          // Later items finish first, so results wait for those before them.
          await new Promise((resolve) => setTimeout(resolve, (40 - item) % 7));
          return item * 2;
        },
        async (result, item) => {
          held -= 1;
          assert.equal(result, item * 2);
          consumed.push(item);
        },
      );
      assert.deepEqual(consumed, items);
      assert.ok(maxHeld <= 5, `held ${maxHeld}`);
    });

    it("gives a free slot to an urgent request before the requests already waiting", async () => {
      const limit = new ConcurrencyLimit(1);
      const release = await limit.acquire();
      const order: string[] = [];
      const child = limit.acquire().then((r) => (order.push("child"), r));
      const page = limit.acquire(true).then((r) => (order.push("page"), r));
      release();
      (await page)();
      (await child)();
      assert.deepEqual(order, ["page", "child"]);
    });

    it("reads spilled records back in order, as often as asked, and nothing once closed", async () => {
      const queue = new SpillQueue<{ id: string; n: number }>();
      await queue.push([{ id: "a", n: 1 }, { id: "b", n: 2 }]);
      await queue.push([{ id: "c", n: 3 }]);
      for (let pass = 0; pass < 2; pass += 1) {
        const batches: string[][] = [];
        for await (const batch of queue.batches(2)) batches.push(batch.map((r) => r.id));
        assert.deepEqual(batches, [["a", "b"], ["c"]]);
      }
      await queue.close();
      const after: unknown[] = [];
      for await (const batch of queue.batches(2)) after.push(batch);
      assert.deepEqual(after, []);
    });

    it("forgets versions below a floor and keeps the rest", () => {
      const window = new VersionWindow();
      window.set("a", 10);
      window.set("b", 20);
      window.forgetBelow(15);
      assert.equal(window.has("a", 10), false);
      assert.equal(window.has("b", 20), true);
      assert.equal(window.has("b", 21), false);
      assert.equal(window.size, 1);
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

    it("finds the records at a declared path: an array's items, an object as one record only where declared, none where the path leads nowhere, else an error", () => {
      const parts = [{ id: "1" }, { id: "2" }];
      const list = { stream: "conversation_parts", request: "GET /conversations/9" };
      const statistics = { stream: "article_statistics", request: "GET /articles/9", objectIsRecord: true };
      assert.deepEqual(recordsAt({ conversation_parts: { type: "conversation_part.list", conversation_parts: parts } }, list, ["conversation_parts", "conversation_parts"]), parts);
      assert.deepEqual(recordsAt({ id: "9", statistics: { views: 3 } }, statistics, ["statistics"]), [{ views: 3 }]);
      for (const response of [{ id: "9" }, { statistics: null }, { conversation_parts: [{ id: "1" }] }]) {
        assert.deepEqual(recordsAt(response, statistics, ["statistics"]).concat(recordsAt(response, list, ["conversation_parts", "conversation_parts"])), [], JSON.stringify(response));
      }
      assert.throws(() => recordsAt({ statistics: 3 }, statistics, ["statistics"]), /stream "article_statistics": GET \/articles\/9: the response holds a number at "statistics", where a list of records belongs/);
      assert.throws(
        () => recordsAt({ conversation_parts: { conversation_parts: { id: "1", part_type: "note" } } }, list, ["conversation_parts", "conversation_parts"]),
        /stream "conversation_parts": GET \/conversations\/9: the response holds an object \(keys: id, part_type\) at "conversation_parts.conversation_parts", where a list of records belongs/,
      );
      // The first path that holds records wins (GET /contacts/{id}/companies: `data` in its example, `companies` in its schema).
      const companies = { stream: "contacts", request: "GET /contacts/1/companies" };
      assert.deepEqual(recordsAt({ companies: [{ id: "c" }] }, companies, ["data"], ["companies"]), [{ id: "c" }]);
      assert.deepEqual(recordsAt({ data: [{ id: "d" }], companies: [{ id: "c" }] }, companies, ["data"], ["companies"]), [{ id: "d" }]);
      assert.deepEqual(recordsAt({ data: { id: "d" }, companies: [{ id: "c" }] }, companies, ["data"], ["companies"]), [{ id: "c" }]);
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

  describe("time slices", () => {
    const holder = (value: unknown): StateHolder => new StateHolder(parseState(value), new SingerWriter(new PassThrough()));
    const DAY = 86400;

    it("cuts a backfill into at most max_concurrency slices of at least a page and a day each, the last one open, none above the ceiling", () => {
      const ranges = planSlices({ lower: 0, first: 100 * DAY, last: 200 * DAY, ceiling: 1000 * DAY }, 10_000, 50, 8);
      assert.equal(ranges.length, 8);
      assert.equal(ranges[0]?.from, 0, "the first slice starts at the bookmark");
      assert.equal(ranges[7]?.to, undefined, "the last slice is open");
      for (let i = 1; i < ranges.length; i += 1) assert.equal(ranges[i]?.from, ranges[i - 1]?.to, "consecutive");
      assert.equal(planSlices({ lower: 0, first: 100 * DAY, last: 200 * DAY, ceiling: 1000 * DAY }, 300, 50, 8).length, 6, "a page each");
      assert.equal(planSlices({ lower: 0, first: 100 * DAY, last: 102.5 * DAY, ceiling: 1000 * DAY }, 10_000, 50, 8).length, 2, "a day each");
      const capped = planSlices({ lower: 0, first: 100 * DAY, last: 300 * DAY, ceiling: 200 * DAY }, 10_000, 50, 4);
      assert.ok(capped.every((range) => range.to === undefined || range.to <= 200 * DAY), "boundaries at or below the ceiling");
    });

    it("saves the first open slice's position as the bookmark and the open slices beside it, passing a slice only once every earlier one is done", () => {
      const state = holder({ bookmarks: { contacts: { updated_at: 10, boundary_keys: ['["a"]'] } } });
      const sliced = new SlicedBookmark("contacts", "updated_at", new Bookmark("contacts", "updated_at", state, undefined, 0, 10_000), 10_000);
      sliced.slice([{ from: 10, to: 100 }, { from: 100, to: 200 }, { from: 200, to: undefined }], undefined);
      assert.equal(sliced.wants(0, 10, '["a"]'), false, "the stored boundary key is done");
      sliced.advance(0, 50, '["b"]');
      sliced.advance(1, 150, '["c"]');
      sliced.complete(1);
      sliced.save(state);
      assert.deepEqual(state.value.bookmarks["contacts"], {
        updated_at: 50,
        boundary_keys: ['["b"]'],
        slices: [
          { from: 10, to: 100, value: 50, boundary_keys: ['["b"]'] },
          { from: 100, to: 200, value: 150, boundary_keys: ['["c"]'], done: true },
          { from: 200, to: null },
        ],
      });
      // Resumed from that state: the done slice is skipped, the others go on from their positions.
      const again = new SlicedBookmark("contacts", "updated_at", new Bookmark("contacts", "updated_at", state, undefined, 0, 10_000), 10_000);
      again.slice(rangesOf([storedSlices(state, "contacts") ?? []]), storedSlices(state, "contacts"));
      assert.equal(again.isDone(1), true);
      assert.equal(again.wants(0, 50, '["b"]'), false);
      assert.equal(again.wants(0, 60, '["d"]'), true);
      assert.equal(again.lowerBound(2), 200);
      again.complete(0);
      again.save(state);
      assert.equal(state.value.bookmarks["contacts"]?.["updated_at"], 150, "past both done slices");
      again.advance(2, 250, '["e"]');
      again.complete(2);
      again.save(state);
      assert.deepEqual(state.value.bookmarks["contacts"], { updated_at: 250, boundary_keys: ['["e"]'] }, "no slices once all are done");
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
    const logger = new Logger("t", "info", () => assert.fail("no progress on a pipe"));
    assert.ok(progressFor(logger, tty) instanceof TtyProgress);
    const pipe = { isTTY: false, write: () => assert.fail("no progress on a pipe") } as unknown as NodeJS.WriteStream;
    const progress = progressFor(logger, pipe);
    progress.start("contacts");
    progress.add("contacts", 5);
  });

  it("never writes the token in logs", () => {
    const lines: string[] = [];
    const logger = new Logger("t", "debug", (line) => lines.push(line));
    logger.addSecret("secret-token-1");
    logger.error("request with Bearer secret-token-1 failed");
    assert.ok(!lines.join("\n").includes("secret-token-1"));
  });
});
