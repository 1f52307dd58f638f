import assert from "node:assert/strict";
import axios, { type AxiosInstance } from "axios";
import { clearFaults, requestLog, setFaults } from "../support/emulator";
import { assertBoom, httpClient, immutaClient, useSharedEmulator } from "./helpers";

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

  async function lastSeq(): Promise<number> {
    return Math.max(0, ...(await requestLog(emulator())).map((entry) => entry.seq));
  }

  it("answers 429 with Retry-After and a Boom body, before the handler runs", async () => {
    const profile = (await admin.get(ALICE_PROFILE)).data;
    await setFaults(emulator(), { rate429: 1, retryAfterSeconds: 7 });
    const response = await admin.put(ALICE_PROFILE, { ...profile, location: "Faulted" });
    assertBoom(response, 429);
    assert.equal(response.data.error, "Too Many Requests");
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
    assertBoom(await admin.get("/bim/iam"), 504);
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
});
