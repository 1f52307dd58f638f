import assert from "node:assert/strict";
import axios from "axios";
import { RateLimiter } from "../../emulator/http/rateLimiter";
import { startEmulator, type Emulator } from "../../emulator";
import { lastRequestSeq, requestLog } from "../support/emulator";
import { httpClient, immutaClient, useSharedEmulator } from "./helpers";

describe("emulator: the rate limiter", () => {
  describe("a token bucket per API key (unit, with a scripted clock)", () => {
    let nowMs: number;
    let limiter: RateLimiter;
    beforeEach(() => {
      nowMs = 0;
      limiter = new RateLimiter(() => nowMs);
      limiter.configure({ requestsPerSecond: 2, burst: 3 });
    });

    it("lets a burst through, then refuses with the seconds until the next token", () => {
      const answers = Array.from({ length: 4 }, () => limiter.take("key-a", "bim/a"));
      assert.deepEqual(answers, [null, null, null, { retryAfterSeconds: 1 }]);
    });

    it("refills at the configured rate, never beyond the burst", () => {
      for (let i = 0; i < 3; i++) limiter.take("key-a", "bim/a");
      nowMs = 500; // one token back
      assert.equal(limiter.take("key-a", "bim/a"), null);
      assert.deepEqual(limiter.take("key-a", "bim/a"), { retryAfterSeconds: 1 });
      nowMs = 60_000; // a long quiet spell refills to the burst, not more
      assert.deepEqual(Array.from({ length: 4 }, () => limiter.take("key-a", "bim/a")), [null, null, null, { retryAfterSeconds: 1 }]);
    });

    it("computes Retry-After from the bucket, rounding up to whole seconds", () => {
      limiter.configure({ requestsPerSecond: 0.25, burst: 1 });
      assert.equal(limiter.take("key-a", "bim/a"), null);
      nowMs = 1000; // a quarter of a token back: three quarters missing at 0.25/s
      assert.deepEqual(limiter.take("key-a", "bim/a"), { retryAfterSeconds: 3 });
    });

    it("keeps one bucket per key and counts what it allowed and refused", () => {
      limiter.configure({ requestsPerSecond: 1, burst: 1 });
      limiter.take("key-a", "bim/a");
      limiter.take("key-a", "bim/a");
      limiter.take("key-b", "bim/b");
      assert.deepEqual(limiter.status(), {
        requestsPerSecond: 1,
        burst: 1,
        buckets: [
          { user: "bim/a", allowed: 1, limited: 1 },
          { user: "bim/b", allowed: 1, limited: 0 },
        ],
      });
      limiter.configure(undefined);
      assert.equal(limiter.take("key-a", "bim/a"), null);
      assert.deepEqual(limiter.status(), {});
    });
  });

  describe("PUT|GET|DELETE /__emulator/rate-limit", () => {
    const { emulator } = useSharedEmulator();
    const controls = () => httpClient(emulator());
    afterEach(async () => {
      await controls().delete("/__emulator/rate-limit");
    });

    it("refuses a key over its limit with 429 and the bucket's Retry-After, counts it, and leaves other keys alone", async () => {
      const admin = await immutaClient(emulator());
      const viewer = await immutaClient(emulator(), emulator().noPermissionApiKey);
      // 0.001 tokens per second: nothing refills during the test, so the numbers are exact.
      assert.deepEqual((await controls().put("/__emulator/rate-limit", { requestsPerSecond: 0.001, burst: 2 })).data, { requestsPerSecond: 0.001, burst: 2, buckets: [] });
      const since = await lastRequestSeq(emulator());
      assert.equal((await admin.get("/bim/iam")).status, 200);
      assert.equal((await admin.get("/bim/iam")).status, 200);
      const refused = await admin.get("/bim/iam");
      assert.deepEqual({ status: refused.status, retryAfter: refused.headers["retry-after"], body: refused.data }, {
        status: 429,
        retryAfter: "1000",
        body: { statusCode: 429, error: "Too Many Requests", message: "Rate limit exceeded" },
      });
      assert.equal((await viewer.get("/bim/iam")).status, 200);
      // The raw key and the key exchange draw on the same key's bucket.
      assert.equal((await httpClient(emulator(), { authorization: emulator().apiKey }).get("/bim/iam")).status, 429);
      assert.equal((await httpClient(emulator()).post("/bim/apikey/authenticate", { apikey: emulator().apiKey })).status, 429);
      assert.deepEqual((await controls().get("/__emulator/rate-limit")).data, {
        requestsPerSecond: 0.001,
        burst: 2,
        buckets: [
          { user: "bim/admin@example.com", allowed: 2, limited: 3 },
          { user: "bim/viewer@example.com", allowed: 1, limited: 0 },
        ],
      });
      assert.deepEqual(
        (await requestLog(emulator(), { since })).map(({ status, fault }) => `${status} ${fault}`),
        ["200 null", "200 null", "429 rateLimit", "200 null", "429 rateLimit", "429 rateLimit"],
      );
      assert.deepEqual((await controls().delete("/__emulator/rate-limit")).data, {});
      assert.equal((await admin.get("/bim/iam")).status, 200);
    });

    it("validates the settings", async () => {
      assert.deepEqual((await controls().put("/__emulator/rate-limit", { requestsPerSecond: 0, burst: 1 })).data, {
        statusCode: 400,
        error: "Bad Request",
        message: '"requestsPerSecond" must be greater than 0',
      });
      assert.equal((await controls().put("/__emulator/rate-limit", { requestsPerSecond: 1 })).data.message, '"burst" is required');
    });
  });

  describe("the rateLimit option", () => {
    let limited: Emulator | undefined;
    after(async () => {
      await limited?.stop();
    });

    it("limits from the start, and a reset returns to it", async () => {
      limited = await startEmulator({ rateLimit: { requestsPerSecond: 0.001, burst: 1 } });
      const client = axios.create({ baseURL: limited.immutaUrl, proxy: false, validateStatus: () => true, headers: { authorization: limited.apiKey } });
      assert.deepEqual([(await client.get("/bim/iam")).status, (await client.get("/bim/iam")).status], [200, 429]);
      await axios.put(`${limited.immutaUrl}/__emulator/rate-limit`, { requestsPerSecond: 1000, burst: 1000 }, { proxy: false });
      assert.equal((await client.get("/bim/iam")).status, 200);
      await axios.post(`${limited.immutaUrl}/__emulator/reset`, undefined, { proxy: false });
      assert.deepEqual((await axios.get(`${limited.immutaUrl}/__emulator/rate-limit`, { proxy: false })).data, { requestsPerSecond: 0.001, burst: 1, buckets: [] });
    });
  });
});
