import { strict as assert } from "node:assert";
import type { Emulator } from "../../emulator";
import { clearFaults, immutaApi, requestLog, resetEmulator, setFaults, sharedEmulator } from "../support/emulator";
import type { PluginHost } from "../support/pluginHost";
import { checked, hostFor, lastSeq, MAPPING_TYPE, providerTexts } from "../support/resourceHost";

const COUNT = 200;

describe("200 ExternalUserMappings through one host while Immuta throttles and fails 20% of requests", function () {
  let em: Emulator;
  let host: PluginHost;
  let provider: string;
  const users = Array.from({ length: COUNT }, (_, i) => `scale${String(i).padStart(3, "0")}@example.com`);
  const urn = (userId: string) => host.urn(MAPPING_TYPE, userId);

  /** Requests per user, not counting those the emulator failed on purpose (each of those was retried). */
  async function callsPerUser(since: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const entry of await requestLog(em, { since })) {
      if (entry.fault !== null && entry.fault !== "latency") continue;
      const user = users.find((u) => entry.url.includes(encodeURIComponent(u)));
      if (user) counts.set(user, (counts.get(user) ?? 0) + 1);
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
    await setFaults(em, { rate429: 0.1, retryAfterSeconds: 1, rate5xx: 0.1, statuses5xx: [503] });
  });

  after(async () => {
    await clearFaults(em);
    await host?.close();
  });

  it("creates all of them concurrently, with at most 2 API calls each apart from retries and one key exchange", async () => {
    const since = await lastSeq(em);
    const created = await Promise.all(
      users.map(async (userId, i) => host.create(urn(userId), await checked(host, urn(userId), { userId, postgresUsername: `pg_user_${i}`, __provider: provider }))),
    );
    assert.equal(created.length, COUNT);
    created.forEach((c, i) => assert.equal(c.properties.postgresUsername, `pg_user_${i}`));
    const perUser = await callsPerUser(since);
    assert.equal(perUser.size, COUNT);
    assert.ok([...perUser.values()].every((n) => n <= 2), JSON.stringify([...perUser].filter(([, n]) => n > 2)));
    const exchanges = (await requestLog(em, { since, route: "/bim/apikey/authenticate" })).filter((e) => e.status === 200);
    assert.equal(exchanges.length, 1);
    const faulted = (await requestLog(em, { since })).filter((e) => e.fault === "429" || e.fault === "5xx");
    assert.ok(faulted.length > COUNT / 10, `${faulted.length} faults injected`);
  });

  it("reads all of them concurrently with one API call each apart from retries", async () => {
    const since = await lastSeq(em);
    const read = await Promise.all(users.map((userId, i) => host.read(urn(userId), `bim/${userId}`, { userId, iamId: "bim", mode: "username", postgresUsername: `pg_user_${i}`, effectiveUsername: `pg_user_${i}`, __provider: provider })));
    read.forEach((r, i) => assert.equal(r.properties.postgresUsername, `pg_user_${i}`));
    const perUser = await callsPerUser(since);
    assert.ok([...perUser.values()].every((n) => n === 1));
    assert.equal(perUser.size, COUNT);
  });
});
