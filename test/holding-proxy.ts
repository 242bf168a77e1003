/**
 * An HTTP proxy in front of the fixture server that can stop answering: once `holdWhen` matches a
 * request, that request and every later one are held open without a response. A tap behind it is
 * then provably in the middle of its run, waiting on the network, whatever the machine's speed.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface HoldingProxy {
  url: string;
  /** Resolves when the first request is held. */
  holding: Promise<void>;
  close(): Promise<void>;
}

export async function startHoldingProxy(upstream: string, holdWhen: (method: string, path: string, seen: number) => boolean): Promise<HoldingProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const counts = new Map<string, number>();
  let held = false;
  let resolveHolding: () => void = () => undefined;
  const holding = new Promise<void>((resolve) => (resolveHolding = resolve));

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const key = `${req.method ?? "GET"} ${(req.url ?? "/").split("?")[0] ?? "/"}`;
    const seen = (counts.get(key) ?? 0) + 1;
    counts.set(key, seen);
    if (held || holdWhen(req.method ?? "GET", (req.url ?? "/").split("?")[0] ?? "/", seen)) {
      held = true;
      resolveHolding();
      return; // never answered
    }
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    holding,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
