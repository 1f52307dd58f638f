import { strict as assert } from "node:assert";
import type { Emulator } from "../../emulator";
import { clearFaults, immutaApi, requestLog, resetEmulator, setFaults, setRateLimit, sharedEmulator } from "../support/emulator";
import type { PluginHost } from "../support/pluginHost";
import { checked, hostFor, lastSeq, MAPPING_TYPE, providerTexts } from "../support/resourceHost";

const COUNT = 200;

describe("200 ExternalUserMappings through one host while Immuta limits the rate to 100 requests/s and fails 10% of requests", function () {
  let em: Emulator;
  let host: PluginHost;
  let provider: string;
  const users = Array.from({ length: COUNT }, (_, i) => `scale${String(i).padStart(3, "0")}@example.com`);
  const urn = (userId: string) => host.urn(MAPPING_TYPE, userId);

  /** Requests per user by method, counting those the emulator failed on purpose (each was retried) apart. */
  async function callsPerUser(since: number): Promise<Map<string, { GET: number; PUT: number; failedPUT: number }>> {
    const counts = new Map<string, { GET: number; PUT: number; failedPUT: number }>();
    for (const entry of await requestLog(em, { since })) {
      const user = users.find((u) => entry.url.includes(encodeURIComponent(u)));
      if (!user) continue;
      const count = counts.get(user) ?? { GET: 0, PUT: 0, failedPUT: 0 };
      const failed = entry.fault !== null && entry.fault !== "latency";
      if (entry.method === "PUT" && failed) count.failedPUT += 1;
      else if ((entry.method === "GET" || entry.method === "PUT") && !failed) count[entry.method] += 1;
      counts.set(user, count);
    }
    return counts;
  }

  before(async () => {
    em = await sharedEmulator();
    await resetEmulator(em);
    provider = (await providerTexts()).mapping;
    const api = await immutaApi(em);
    for (const userId of users) await api.post("/bim/iam/bim/user", { iamid: "bim", userid: userId, profile: { name: userId, email: userId } });
    host = await hostFor(em);
    // A token bucket, as Immuta would limit, rather than random 429s: those would wear the throttle's
    // rate down (tests/unit/rateController.test.ts) and make this a test of waiting. Seeded, so that
    // the same requests fail on every run.
    await setRateLimit(em, { requestsPerSecond: 100, burst: 20 });
    await setFaults(em, { rate5xx: 0.1, statuses5xx: [503], seed: 11 });
  });

  after(async () => {
    await clearFaults(em);
    await setRateLimit(em, undefined);
    await host?.close();
  });

  it("creates all of them concurrently, with one read and one write each apart from retries, a failed write being retried by reading again", async () => {
    const since = await lastSeq(em);
    const created = await Promise.all(
      users.map(async (userId, i) => host.create(urn(userId), await checked(host, urn(userId), { userId, postgresUsername: `pg_user_${i}`, __provider: provider }))),
    );
    assert.equal(created.length, COUNT);
    created.forEach((c, i) => assert.equal(c.properties.postgresUsername, `pg_user_${i}`));
    const perUser = await callsPerUser(since);
    assert.equal(perUser.size, COUNT);
    const unexpected = [...perUser].filter(([, n]) => n.PUT !== 1 || n.GET !== 1 + n.failedPUT);
    assert.deepEqual(unexpected, []);
    const exchanges = (await requestLog(em, { since, route: "/bim/apikey/authenticate" })).filter((e) => e.status === 200);
    assert.equal(exchanges.length, 1);
    const refused = (await requestLog(em, { since })).filter((e) => e.fault === "rateLimit" || e.fault === "5xx");
    assert.ok(refused.some((e) => e.fault === "rateLimit") && refused.some((e) => e.fault === "5xx"), "both the limit and the faults were met");
  });

  it("reads all of them concurrently with one API call each apart from retries", async () => {
    const since = await lastSeq(em);
    const read = await Promise.all(users.map((userId, i) => host.read(urn(userId), `bim/${userId}`, { userId, iamId: "bim", mode: "username", postgresUsername: `pg_user_${i}`, effectiveUsername: `pg_user_${i}`, __provider: provider })));
    read.forEach((r, i) => assert.equal(r.properties.postgresUsername, `pg_user_${i}`));
    const perUser = await callsPerUser(since);
    assert.equal(perUser.size, COUNT);
    assert.deepEqual([...perUser].filter(([, n]) => n.GET !== 1 || n.PUT !== 0), []);
  });
});
