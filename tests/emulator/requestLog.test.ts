import assert from "node:assert/strict";
import type { AxiosInstance } from "axios";
import { lastRequestSeq, requestLog } from "../support/emulator";
import { httpClient, immutaClient, useSharedEmulator } from "./helpers";

describe("emulator: the request log", () => {
  const { emulator } = useSharedEmulator();
  let admin: AxiosInstance;
  before(async () => {
    admin = await immutaClient(emulator());
  });

  it("records each request with its route pattern, status and time, and never the admin routes", async () => {
    const since = Math.max(0, ...(await requestLog(emulator())).map((entry) => entry.seq));
    await admin.get("/bim/iam/bim/user/alice@example.com");
    await admin.get("/bim/iam/bim/user/nobody@example.com");
    await httpClient(emulator()).get("/__emulator/health");
    const entries = await requestLog(emulator(), { since });
    assert.deepEqual(
      entries.map(({ method, url, route, status, fault }) => ({ method, url, route, status, fault })),
      [
        { method: "GET", url: "/bim/iam/bim/user/alice@example.com", route: "/bim/iam/:iamid/user/:userid", status: 200, fault: null },
        { method: "GET", url: "/bim/iam/bim/user/nobody@example.com", route: "/bim/iam/:iamid/user/:userid", status: 404, fault: null },
      ],
    );
    const [first, second] = entries;
    assert.ok(first !== undefined && second !== undefined && second.seq > first.seq);
    assert.ok(!Number.isNaN(Date.parse(first.at)));
  });

  it("filters by route, method and seq", async () => {
    await admin.get("/bim/iam");
    await admin.post("/data/object/search");
    const searches = await requestLog(emulator(), { route: "/data/object/search" });
    assert.ok(searches.length > 0);
    assert.ok(searches.every((entry) => entry.route === "/data/object/search"));
    const posts = await requestLog(emulator(), { method: "post" });
    assert.ok(posts.every((entry) => entry.method === "POST"));
    const last = Math.max(...(await requestLog(emulator())).map((entry) => entry.seq));
    assert.deepEqual(await requestLog(emulator(), { since: last }), []);
  });

  it("redacts secret-looking query values and logs no bodies", async () => {
    await httpClient(emulator()).post("/bim/apikey/authenticate", { apikey: emulator().apiKey });
    await admin.get("/jobs", { params: { bulkId: "b-1", access_token: "tok-123", client_secret: "sec-456" } });
    const entries = await requestLog(emulator());
    const jobs = entries.find((entry) => entry.route === "/jobs");
    assert.equal(jobs?.url, "/jobs?bulkId=b-1&access_token=[REDACTED]&client_secret=[REDACTED]");
    const text = JSON.stringify(entries);
    for (const secret of [emulator().apiKey, "tok-123", "sec-456"]) assert.equal(text.includes(secret), false);
  });

  it("regression: requests refused before routing (414, a malformed URL) were missing from the log, and answered in fastify's words", async () => {
    const since = await lastRequestSeq(emulator());
    const tooLong = await admin.get(`/data/connection/${"k".repeat(3000)}`);
    assert.deepEqual({ status: tooLong.status, body: tooLong.data }, { status: 414, body: { statusCode: 414, error: "URI Too Long", message: "URI Too Long" } });
    const malformed = await admin.get("/bim/iam/bim/user/%E0%A4%A");
    assert.deepEqual({ status: malformed.status, body: malformed.data }, { status: 400, body: { statusCode: 400, error: "Bad Request", message: "Invalid request path" } });
    const entries = await requestLog(emulator(), { since });
    assert.deepEqual(
      entries.map(({ method, url, route, status, fault }) => ({ method, url: url.slice(0, 30), route, status, fault })),
      [
        { method: "GET", url: `/data/connection/${"k".repeat(13)}`, route: null, status: 414, fault: null },
        { method: "GET", url: "/bim/iam/bim/user/%E0%A4%A", route: null, status: 400, fault: null },
      ],
    );
  });

  it("is cleared by DELETE", async () => {
    const controls = httpClient(emulator());
    assert.equal((await controls.delete("/__emulator/requests")).status, 200);
    assert.deepEqual(await requestLog(emulator()), []);
  });
});
