/**
 * No fragment of the access token reaches stdout or stderr, whatever the server answers, and the
 * token never leaves for another server: the tap CLI against hostile fixture behaviours.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startFixtureServer, type FixtureServer } from "../../fixtures/src/index.js";
import { tokenFragments } from "../../test/helpers.js";
import { runTap } from "./support.js";

const TOKEN = "dG9rOmF1ZGl0LXNlY3JldC10b2tlbi0xMjM0NTY3ODkwYWJjZGVm";

/** A second HTTP server, another origin than the fixture's, that records what it is sent and answers like /me. */
async function otherServer(host: string): Promise<{ server: Server; url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ type: "admin", email: "someone@elsewhere.example", app: { name: "elsewhere" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}`, seen };
}

describe("tap-intercom secrets", function () {
  this.timeout(120_000);
  let server: FixtureServer;
  before(async () => {
    server = await startFixtureServer({ seed: 1, scale: "tiny", token: TOKEN, log: () => undefined });
  });
  after(async () => {
    await server.close();
  });
  afterEach(() => server.setFaults({}));
  const config = { access_token: TOKEN, base_url: "" };

  it("an error body echoing the token prints no 8-character fragment of it, wherever the 300-character cut falls", async () => {
    // The cut is at character 300 of the body: the token starts well before it, across it, and just before it.
    for (const tokenAt of [100, 250, 270, 285, 291, 295]) {
      server.setFaults({ echoAuthorization: { routes: ["GET /me"], status: 400, tokenAt } });
      const run = await runTap({ ...config, base_url: server.url }, { args: ["--test"] });
      const output = run.stderr + JSON.stringify(run.messages);
      assert.equal(run.code, 1, output);
      assert.match(run.stderr, /GET \/me HTTP 400: \{"type":"error\.list"/);
      assert.match(run.stderr, /you sent Bearer \*\*\*/, `tokenAt ${tokenAt}: the echo is shown, redacted`);
      assert.deepEqual(tokenFragments(output, TOKEN), [], `tokenAt ${tokenAt}: ${run.stderr}`);
    }
  });

  it("the same on a stream's request during a sync", async () => {
    server.setFaults({ echoAuthorization: { routes: ["GET /teams"], status: 400, tokenAt: 290 } });
    const run = await runTap({ ...config, base_url: server.url });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /stream "teams": GET \/teams HTTP 400/);
    assert.deepEqual(tokenFragments(run.stderr + JSON.stringify(run.messages), TOKEN), []);
  });

  for (const host of ["127.0.0.1", "localhost"]) {
    it(`--test fails on a redirect to another server (${host}, another port) and never sends it the token`, async () => {
      const other = await otherServer(host);
      try {
        server.setFaults({ redirect: { route: "GET /me", location: other.url, status: 302 } });
        const run = await runTap({ ...config, base_url: server.url }, { args: ["--test"] });
        assert.equal(run.code, 1, run.stderr);
        assert.doesNotMatch(run.stderr, /connection ok/);
        assert.match(run.stderr, new RegExp(`GET /me HTTP 302 \\(redirected to another server, ${other.url.replace(/\./g, "\\.")}; the access token is only sent to`));
        assert.deepEqual(other.seen, [], "the other server was never asked");
        assert.deepEqual(tokenFragments(run.stderr, TOKEN), []);
      } finally {
        other.server.close();
      }
    });
  }

  it("a sync fails on a redirect to another server, which never sees the token", async () => {
    const other = await otherServer("127.0.0.1");
    try {
      server.setFaults({ redirect: { route: "GET /admins", location: other.url, status: 301 } });
      const run = await runTap({ ...config, base_url: server.url });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /stream "admins": GET \/admins HTTP 301 \(redirected to another server/);
      assert.ok(other.seen.every((headers) => headers.authorization === undefined));
      assert.equal(other.seen.length, 0);
    } finally {
      other.server.close();
    }
  });
});
