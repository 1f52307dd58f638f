import assert from "node:assert/strict";
import axios, { type AxiosInstance } from "axios";
import { FaultInjector } from "../../emulator/http/faults";
import { clearFaults, lastRequestSeq, requestLog, setFaults } from "../support/emulator";
import { assertBoom, bearerToken, eventually, httpClient, immutaClient, useSharedEmulator } from "./helpers";

const ALICE_PROFILE = "/bim/iam/bim/user/alice@example.com/profile";

describe("emulator: fault injection", () => {
  const { emulator } = useSharedEmulator();
  let admin: AxiosInstance;
  before(async () => {
    admin = await immutaClient(emulator());
  });
  afterEach(async () => {
    await clearFaults(emulator());
  });

  const lastSeq = () => lastRequestSeq(emulator());

  it("answers 429 with Retry-After and a Boom body, before the handler runs", async () => {
    const profile = (await admin.get(ALICE_PROFILE)).data;
    await setFaults(emulator(), { rate429: 1, retryAfterSeconds: 7 });
    const response = await admin.put(ALICE_PROFILE, { ...profile, location: "Faulted" });
    assert.deepEqual(response.data, { statusCode: 429, error: "Too Many Requests", message: "Rate limit exceeded" });
    assert.equal(response.headers["retry-after"], "7");
    await clearFaults(emulator());
    assert.equal((await admin.get(ALICE_PROFILE)).data.location, profile.location, "a faulted request has no effect");
  });

  it("defaults Retry-After to 1 second", async () => {
    await setFaults(emulator(), { rate429: 1 });
    assert.equal((await admin.get("/bim/iam")).headers["retry-after"], "1");
  });

  it("answers one of the configured 5xx statuses", async () => {
    await setFaults(emulator(), { rate5xx: 1, statuses5xx: [504] });
    assert.deepEqual((await admin.get("/bim/iam")).data, { statusCode: 504, error: "Gateway Timeout", message: "Gateway Timeout" });
    await setFaults(emulator(), { rate5xx: 1 });
    const status = (await admin.get("/bim/iam")).status;
    assert.ok(status === 502 || status === 503, String(status));
  });

  it("drops the connection without a response", async () => {
    await setFaults(emulator(), { rateDrop: 1, pathPrefix: "/bim/iam" });
    const since = await lastSeq();
    const client = axios.create({ baseURL: emulator().immutaUrl, proxy: false });
    await assert.rejects(client.get("/bim/iam"), (error: unknown) => axios.isAxiosError(error) && error.response === undefined);
    const logged = await requestLog(emulator(), { since });
    assert.deepEqual(
      logged.map(({ status, fault }) => ({ status, fault })),
      [{ status: null, fault: "drop" }],
    );
  });

  it("delays requests and records the latency fault", async () => {
    await setFaults(emulator(), { latencyMs: 50 });
    const since = await lastSeq();
    assert.equal((await admin.get("/bim/iam")).status, 200);
    const [entry] = await requestLog(emulator(), { since });
    assert.equal(entry?.status, 200);
    assert.equal(entry?.fault, "latency");
  });

  it("scopes faults by path prefix and method", async () => {
    await setFaults(emulator(), { rate5xx: 1, pathPrefix: "/data" });
    assert.equal((await admin.get("/bim/iam")).status, 200);
    const faulted = await admin.post("/data/object/search");
    assert.ok([502, 503].includes(faulted.status), String(faulted.status));
    await setFaults(emulator(), { rate429: 1, methods: ["put"] });
    assert.equal((await admin.get(ALICE_PROFILE)).status, 200);
    assertBoom(await admin.put(ALICE_PROFILE, (await admin.get(ALICE_PROFILE)).data), 429);
  });

  it("never faults the admin routes", async () => {
    await setFaults(emulator(), { rate5xx: 1, rateDrop: 1 });
    const health = await httpClient(emulator()).get("/__emulator/health");
    assert.equal(health.status, 200);
    assert.deepEqual(health.data, { ok: true });
  });

  it("validates, returns and clears the fault configuration", async () => {
    const controls = httpClient(emulator());
    assertBoom(await controls.put("/__emulator/faults", { rate429: 2 }), 400, /rate429/);
    assertBoom(await controls.put("/__emulator/faults", { rateDrop: -0.5 }), 400, /rateDrop/);
    assertBoom(await controls.put("/__emulator/faults", { statuses5xx: [404] }), 400, /statuses5xx/);
    assertBoom(await controls.put("/__emulator/faults", { explode: true }), 400, /explode/);
    const config = { rate5xx: 0.5, statuses5xx: [500], pathPrefix: "/data", methods: ["GET"] };
    assert.deepEqual((await controls.put("/__emulator/faults", config)).data, config);
    assert.deepEqual((await controls.get("/__emulator/faults")).data, config);
    assert.deepEqual((await controls.delete("/__emulator/faults")).data, {});
    assert.deepEqual((await controls.get("/__emulator/faults")).data, {});
  });

  it("makes its random choices repeatable with a seed", async () => {
    const statuses = async (): Promise<number[]> => {
      await setFaults(emulator(), { seed: 20261202, rate5xx: 0.5, statuses5xx: [502, 503, 504], rate429: 0.2, pathPrefix: "/bim/iam" });
      const seen: number[] = [];
      for (let i = 0; i < 24; i++) seen.push((await admin.get("/bim/iam")).status);
      return seen;
    };
    const first = await statuses();
    assert.deepEqual(await statuses(), first);
    for (const status of [200, 429, 502, 503, 504]) assert.ok(first.includes(status), `${status} in ${first.join(",")}`);
    assert.deepEqual((await httpClient(emulator()).get("/__emulator/faults")).data.seed, 20261202);
  });

  it("draws the same faults from the same seed, whoever asks (unit)", () => {
    const decisions = (seed: number) => {
      const injector = new FaultInjector();
      injector.replace({ seed, rateDrop: 0.25, rate5xx: 0.5, statuses5xx: [502, 503] });
      return Array.from({ length: 12 }, () => injector.decide("GET", "/x")?.outcome ?? null);
    };
    assert.deepEqual(decisions(7), decisions(7));
    assert.notDeepEqual(decisions(7), decisions(8));
    assert.deepEqual(decisions(1).slice(0, 6), [null, null, null, { kind: "drop" }, { kind: "drop" }, null]);
  });

  it("regression: a request whose client gave up during the latency was carried out anyway and left out of the log", async () => {
    const profile = (await admin.get(ALICE_PROFILE)).data;
    const impatient = axios.create({ baseURL: emulator().immutaUrl, proxy: false, timeout: 100, headers: { authorization: `Bearer ${await bearerToken(emulator())}` } });
    await setFaults(emulator(), { latencyMs: 2000, methods: ["PUT"] });
    const since = await lastSeq();
    await assert.rejects(impatient.put(ALICE_PROFILE, { ...profile, location: "Gave up" }), (error: unknown) => axios.isAxiosError(error) && error.code === "ECONNABORTED");
    const [entry] = await eventually(async () => {
      const entries = await requestLog(emulator(), { since });
      return entries.length > 0 ? entries : undefined;
    }, "the abandoned request in the log");
    assert.deepEqual(entry && { method: entry.method, route: entry.route, status: entry.status, fault: entry.fault }, {
      method: "PUT",
      route: "/bim/iam/:iamid/user/:userid/profile",
      status: null,
      fault: "latency",
    });
    await clearFaults(emulator());
    assert.equal((await admin.get(ALICE_PROFILE)).data.location, profile.location, "the abandoned request had no effect");
  });

  it("carries out a late answer after its client timed out, so a 'timed out but happened' path can be tested", async () => {
    const profile = (await admin.get(ALICE_PROFILE)).data;
    const impatient = axios.create({ baseURL: emulator().immutaUrl, proxy: false, timeout: 50, headers: { authorization: `Bearer ${await bearerToken(emulator())}` } });
    await setFaults(emulator(), { rateLateAnswer: 1, lateAnswerMs: 300, methods: ["PUT"] });
    const since = await lastSeq();
    await assert.rejects(impatient.put(ALICE_PROFILE, { ...profile, location: "Late but done" }), (error: unknown) => axios.isAxiosError(error) && error.code === "ECONNABORTED");
    const [entry] = await eventually(async () => {
      const entries = await requestLog(emulator(), { since });
      return entries.length > 0 ? entries : undefined;
    }, "the late request in the log");
    assert.deepEqual(entry && { method: entry.method, status: entry.status, fault: entry.fault }, { method: "PUT", status: 200, fault: "lateAnswer" });
    await clearFaults(emulator());
    assert.equal((await admin.get(ALICE_PROFILE)).data.location, "Late but done", "the request took effect although its client gave up");
  });
});
