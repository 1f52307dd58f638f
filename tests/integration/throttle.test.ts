// One throttle per Immuta, shared by every request of the process: on scripted answers, with
// Retry-After and backoffs in milliseconds.
import { strict as assert } from "node:assert";
import { z } from "zod";
import { type ProviderSettings } from "../../provider/config";
import { ImmutaClient } from "../../provider/immuta/client";
import { startFakeServer, type FakeAnswer, type FakeServer } from "../support/fakeHttp";

const settings = (url: string, overrides: Partial<ProviderSettings> = {}): ProviderSettings => ({
  url,
  apiKey: "imk_fake_key_0123456789",
  requestTimeoutMs: 5_000,
  maxRetries: 3,
  maxConcurrency: 4,
  crawlTimeoutMs: 5_000,
  retryBaseDelayMs: 1,
  ...overrides,
});

/** A fake Immuta that answers `answer` for /things/{n} and records when each request arrived. */
async function immuta(answer: (n: number, seen: number) => FakeAnswer): Promise<{ server: FakeServer; arrivals: { n: number; at: number }[] }> {
  const arrivals: { n: number; at: number }[] = [];
  const seen = new Map<number, number>();
  const server = await startFakeServer(({ url }) => {
    if (url === "/bim/apikey/authenticate") return { status: 200, body: { token: "t0123" } };
    const n = Number(/^\/things\/(\d+)/.exec(url)?.[1]);
    arrivals.push({ n, at: performance.now() });
    seen.set(n, (seen.get(n) ?? 0) + 1);
    return answer(n, seen.get(n) as number);
  });
  return { server, arrivals };
}

function get(client: ImmutaClient, n: number): Promise<unknown> {
  return client.request({ operation: `Reading thing ${n}`, method: "GET", path: `/things/${n}`, response: z.unknown() });
}

describe("the shared throttle", function () {
  this.timeout(20_000);
  let server: FakeServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("pauses every request to that Immuta until a 429's Retry-After has passed, not only the one that got it", async () => {
    let throttledAt = 0;
    const fake = await immuta((n, seen) => {
      if (n === 0 && seen === 1) {
        throttledAt = performance.now();
        return { status: 429, body: { message: "slow down" }, headers: { "retry-after": "0.4", "content-type": "application/json" } };
      }
      return { status: 200, body: {} };
    });
    server = fake.server;
    const client = new ImmutaClient(settings(server.url, { maxConcurrency: 1 }));

    await get(client, 0).then(() => undefined);
    const pausedOthers = Array.from({ length: 5 }, (_, i) => get(client, i + 1));
    await Promise.all(pausedOthers);

    const afterThrottle = fake.arrivals.filter((arrival) => arrival.at > throttledAt);
    assert.equal(afterThrottle.length, 6, "the throttled request again, and the five others");
    for (const arrival of afterThrottle) assert.ok(arrival.at - throttledAt >= 390, `thing ${arrival.n} was sent ${Math.round(arrival.at - throttledAt)} ms after the 429`);
  });

  it("pauses requests of another client of the same Immuta too (every resource of a host shares it)", async () => {
    let throttledAt = 0;
    const fake = await immuta((n, seen) => {
      if (n === 0 && seen === 1) {
        throttledAt = performance.now();
        return { status: 429, body: {}, headers: { "retry-after": "0.3", "content-type": "application/json" } };
      }
      return { status: 200, body: {} };
    });
    server = fake.server;
    const first = new ImmutaClient(settings(server.url));
    const second = new ImmutaClient(settings(server.url, { apiKey: "imk_another_key_0123456789" }));

    const throttled = get(first, 0);
    while (throttledAt === 0) await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([throttled, get(second, 1)]);

    const other = fake.arrivals.find((arrival) => arrival.n === 1);
    assert.ok(other && other.at - throttledAt >= 290, `the other client's request went ${Math.round((other?.at ?? 0) - throttledAt)} ms after the 429`);
  });

  it("lets a request waiting to retry free its slot: with one slot, another request goes during its backoff", async () => {
    const fake = await immuta((n, seen) => (n === 0 && seen === 1 ? { status: 503, body: { message: "busy" } } : { status: 200, body: {} }));
    server = fake.server;
    const client = new ImmutaClient(settings(server.url, { maxConcurrency: 1, retryBaseDelayMs: 300 }));

    await Promise.all([get(client, 0), new Promise((resolve) => setTimeout(resolve, 20)).then(() => get(client, 1))]);

    assert.deepEqual(fake.arrivals.map((arrival) => arrival.n), [0, 1, 0]);
  });

  it("keeps to immuta:maxRequestsPerSecond across concurrent requests", async () => {
    const fake = await immuta(() => ({ status: 200, body: {} }));
    server = fake.server;
    const client = new ImmutaClient(settings(server.url, { maxConcurrency: 8, maxRequestsPerSecond: 50 }));

    await Promise.all(Array.from({ length: 11 }, (_, i) => get(client, i)));

    const span = (fake.arrivals.at(-1)?.at ?? 0) - (fake.arrivals[0]?.at ?? 0);
    assert.ok(span >= 190, `11 requests at 50 per second took ${Math.round(span)} ms; at least 200 expected`);
  });
});
