// One ExternalUserMappings for a thousand users through the real dynamic-provider host: Immuta's
// user list is read in pages (three here, of 500), never one GET per user unless that user changes.
import { strict as assert } from "node:assert";
import pLimit from "p-limit";
import type { Emulator } from "../../emulator";
import { immutaApi, requestLog, resetEmulator, sharedEmulator } from "../support/emulator";
import type { PluginHost, PropertyMap } from "../support/pluginHost";
import { checked, hostFor, lastSeq, MAPPINGS_TYPE, providerTexts } from "../support/resourceHost";

const COUNT = 1000;

describe(`one ExternalUserMappings for ${COUNT.toLocaleString("en-US")} users through the real dynamic-provider host`, function () {
  let emulator: Emulator;
  let host: PluginHost;
  let inputs: PropertyMap;
  const userIds = Array.from({ length: COUNT }, (_, i) => `bulk${String(i).padStart(4, "0")}@example.com`);
  const users = Object.fromEntries(userIds.map((userId, i) => [userId, i % 10 === 0 ? { mode: "none" } : `pg_bulk_${i}`]));
  const resource = () => host.urn(MAPPINGS_TYPE, "everyone");

  /** Requests since `since` by route, leaving out the token exchange. */
  async function requestsByRoute(since: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const entry of await requestLog(emulator, { since })) {
      if (entry.route === "/bim/apikey/authenticate" || entry.status === 401) continue;
      const key = `${entry.method} ${entry.route}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  before(async () => {
    emulator = await sharedEmulator();
    await resetEmulator(emulator);
    const api = await immutaApi(emulator);
    const limit = pLimit(8);
    await Promise.all(userIds.map((userid) => limit(() => api.post("/bim/iam/bim/user", { iamid: "bim", userid, profile: { name: userid, email: userid } }))));
    host = await hostFor(emulator);
    inputs = await checked(host, resource(), { users, __provider: (await providerTexts()).mappings });
  });

  after(async () => {
    await host?.close();
  });

  it("creates them with one sweep of three pages and a read and a write per user, refreshes them with the three pages alone, and then writes only the users that change", async () => {
    const creating = await lastSeq(emulator);
    const { id, properties: outputs } = await host.create(resource(), inputs);
    assert.deepEqual(outputs.users, users);
    assert.equal(Object.keys(outputs.effectiveUsernames as object).length, COUNT);
    assert.deepEqual(await requestsByRoute(creating), { "GET /bim/user": 3, "GET /bim/iam/:iamid/user/:userid": COUNT, "PUT /bim/iam/:iamid/user/:userid/profile": COUNT }, "create");

    const refreshing = await lastSeq(emulator);
    const read = await host.read(resource(), id, outputs, inputs);
    assert.deepEqual(await requestsByRoute(refreshing), { "GET /bim/user": 3 }, "refresh");
    assert.deepEqual(read.properties, outputs);
    assert.equal((await host.diff(resource(), id, read.properties, inputs, read.inputs)).changes, "none");

    const changed = { ...users, [userIds[1]]: "renamed_1", [userIds[2]]: { mode: "unset" } };
    const news = (await host.check(resource(), inputs, { ...inputs, users: changed })).inputs;
    const updating = await lastSeq(emulator);
    const updated = await host.update(resource(), id, read.properties, news, read.inputs);
    assert.deepEqual(updated.properties.users, changed);
    assert.deepEqual(await requestsByRoute(updating), { "GET /bim/user": 3, "GET /bim/iam/:iamid/user/:userid": 2, "PUT /bim/iam/:iamid/user/:userid/profile": 2 }, "update");
  });
});
