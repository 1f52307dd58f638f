import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRequest {
  readonly method: string;
  readonly url: string;
  /** The Authorization header as sent, or undefined. */
  readonly authorization: string | undefined;
  readonly body: string;
}

export interface FakeAnswer {
  readonly status: number;
  /** Sent as JSON, unless `headers` names another content type: then sent as text. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FakeServer {
  readonly url: string;
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

/** A tiny HTTP server on 127.0.0.1 for answers the emulator never gives (echoed secrets, odd statuses, scripted sequences). */
export async function startFakeServer(answer: (request: FakeRequest, index: number) => FakeAnswer | Promise<FakeAnswer>): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", async () => {
      const request = { method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body };
      requests.push(request);
      const { status, body: payload, headers = {} } = await answer(request, requests.length - 1);
      const json = !("content-type" in headers);
      const text = payload === undefined ? "" : json ? JSON.stringify(payload) : String(payload);
      res.writeHead(status, json ? { "content-type": "application/json", ...headers } : headers).end(text);
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
