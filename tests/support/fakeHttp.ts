import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

export interface FakeAnswer {
  readonly status: number;
  readonly body?: unknown;
}

export interface FakeServer {
  readonly url: string;
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

/** A tiny HTTP server on 127.0.0.1 for answers the emulator never gives (echoed secrets, odd statuses). */
export async function startFakeServer(answer: (request: FakeRequest, index: number) => FakeAnswer): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const request = { method: req.method ?? "", url: req.url ?? "", body };
      requests.push(request);
      const { status, body: payload } = answer(request, requests.length - 1);
      res.writeHead(status, { "content-type": "application/json" }).end(payload === undefined ? "" : JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
