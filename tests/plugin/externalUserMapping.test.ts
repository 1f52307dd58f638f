import { strict as assert } from "node:assert";
import type { AxiosInstance } from "axios";
import type { Emulator } from "../../emulator";
import { immutaApi, requestLog, resetEmulator, sharedEmulator } from "../support/emulator";
import { PluginRpcError, type PluginHost, type PropertyMap } from "../support/pluginHost";
import { checked, CONNECTION_TYPE, hostFor, lastSeq, MAPPING_TYPE, providerTexts } from "../support/resourceHost";

describe("ExternalUserMapping through the real dynamic-provider host", function () {
  let em: Emulator;
  let host: PluginHost;
  let provider: string;
  let api: AxiosInstance;
  const urn = (name: string) => host.urn(MAPPING_TYPE, name);
  const profileOf = async (userId: string) => (await api.get(`/bim/iam/bim/user/${encodeURIComponent(userId)}/profile`)).data;

  before(async () => {
    em = await sharedEmulator();
    await resetEmulator(em);
    provider = (await providerTexts()).mapping;
    host = await hostFor(em);
    api = await immutaApi(em);
  });

  after(async () => {
    await host?.close();
  });

  describe("lifecycle of alice's mapping", () => {
    let inputs: PropertyMap;
    let outputs: PropertyMap;
    const args = (overrides: PropertyMap = {}) => ({ userId: "alice@example.com", postgresUsername: "alice_pg", __provider: provider, ...overrides });

    it("creates: maps the user and reports the username Immuta will use", async () => {
      inputs = await checked(host, urn("alice"), args());
      const created = await host.create(urn("alice"), inputs);
      assert.equal(created.id, "bim/alice@example.com");
      outputs = created.properties;
      assert.deepEqual({ ...outputs, __provider: undefined }, { userId: "alice@example.com", iamId: "bim", mode: "username", postgresUsername: "alice_pg", effectiveUsername: "alice_pg", __provider: undefined });
      assert.equal((await profileOf("alice@example.com")).externalUserIds.postgresqlUser, "alice_pg");
    });

    it("shows no change on an unchanged second preview", async () => {
      const again = (await host.check(urn("alice"), inputs, args())).inputs;
      assert.equal((await host.diff(urn("alice"), "bim/alice@example.com", outputs, again, inputs)).changes, "none");
    });

    it("shows no change for a case-only difference, before and after a refresh", async () => {
      const shouted = (await host.check(urn("alice"), inputs, args({ postgresUsername: "ALICE_PG" }))).inputs;
      assert.equal((await host.diff(urn("alice"), "bim/alice@example.com", outputs, shouted, inputs)).changes, "none");
      await api.put("/bim/iam/bim/user/alice%40example.com/profile", { ...(await profileOf("alice@example.com")), externalUserIds: { databricksUser: "alice@example.com", snowflakeUser: "ALICE", postgresqlUser: "Alice_Pg" } });
      const read = await host.read(urn("alice"), "bim/alice@example.com", outputs, inputs);
      assert.equal(read.properties.postgresUsername, "alice_pg", "the declared spelling is kept");
      assert.equal((await host.diff(urn("alice"), "bim/alice@example.com", read.properties, shouted, read.inputs)).changes, "none");
    });

    it("updates a mode change in place", async () => {
      const news = (await host.check(urn("alice"), inputs, { userId: "alice@example.com", mode: "none", __provider: provider })).inputs;
      const diff = await host.diff(urn("alice"), "bim/alice@example.com", outputs, news, inputs);
      assert.deepEqual({ changes: diff.changes, replaces: diff.replaces }, { changes: "some", replaces: [] });
      outputs = (await host.update(urn("alice"), "bim/alice@example.com", outputs, news, inputs)).properties;
      inputs = news;
      assert.deepEqual([outputs.mode, outputs.postgresUsername, outputs.effectiveUsername], ["none", null, null]);
      assert.equal((await profileOf("alice@example.com")).externalUserIds.postgresqlUser, null);
    });

    it("replaces on a userId change", async () => {
      const news = (await host.check(urn("alice"), inputs, { userId: "frank@example.com", mode: "none", __provider: provider })).inputs;
      const diff = await host.diff(urn("alice"), "bim/alice@example.com", outputs, news, inputs);
      assert.deepEqual({ changes: diff.changes, replaces: diff.replaces }, { changes: "some", replaces: ["userId"] });
    });

    it("deletes: the user goes back to unset", async () => {
      await host.delete(urn("alice"), "bim/alice@example.com", outputs);
      assert.ok(!("postgresqlUser" in (await profileOf("alice@example.com")).externalUserIds));
      const read = await host.read(urn("alice"), "bim/alice@example.com", outputs, inputs);
      assert.deepEqual([read.id, read.properties.mode, read.properties.effectiveUsername], ["bim/alice@example.com", "unset", "alice@example.com"]);
    });
  });

  it("refuses dot segments, padded ids and a blank username in one Check, and no step sends a request for them (iamId \"..\" sent GET /bim/user/<userId>)", async () => {
    const since = await lastSeq(em);
    const news = { userId: "alice@example.com", iamId: "..", postgresUsername: "  ", __provider: provider };
    const { failures } = await host.check(urn("dots"), {}, news);
    assert.deepEqual(failures, [
      { property: "iamId", reason: 'must not be "..", which in a request path addresses another Immuta resource' },
      { property: "postgresUsername", reason: "must not be only whitespace" },
    ]);
    assert.deepEqual((await host.check(urn("padded"), {}, { userId: "alice@example.com\n", iamId: " bim", mode: "none", __provider: provider })).failures, [
      { property: "userId", reason: "must not contain a line break, tab or other control character" },
      { property: "iamId", reason: "must not begin or end with whitespace" },
    ]);
    const error = await host.create(urn("dots"), { ...news, postgresUsername: "alice_pg" }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof PluginRpcError);
    assert.match(error.details, /Invalid ExternalUserMapping arguments: iamId must not be "\.\."/);
    assert.deepEqual(await requestLog(em, { since }), []);
  });

  it("shows Immuta's automatic switch to none as drift, and the next update restores the declared username", async () => {
    const inputs = await checked(host, urn("erin"), { userId: "erin@example.com", postgresUsername: "erin_pg", __provider: provider });
    const created = await host.create(urn("erin"), inputs);

    // Immuta looks users up in PostgreSQL when it crawls a connection; erin_pg has no role there.
    await api.post("/data/connection", {
      connectionKey: "sync_source",
      connection: { technology: "DatabricksLakebase", hostname: em.lakebase.hostname, port: em.lakebase.port, database: em.lakebase.database, authenticationType: "oAuthM2M", workspaceUrl: em.workspaceUrl, oAuthClientConfig: { clientId: em.clientId, clientSecret: em.clientSecret, scope: "all-apis" } },
    });
    const { bulkId } = (await api.post("/data/crawl/sync_source")).data;
    for (let i = 0; i < 100 && !(await api.get("/jobs", { params: { bulkId } })).data.every((job: { state: string }) => job.state === "completed"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const read = await host.read(urn("erin"), created.id, created.properties, inputs);
    assert.deepEqual([read.properties.mode, read.properties.postgresUsername, read.inputs?.mode], ["none", null, "none"]);
    const diff = await host.diff(urn("erin"), created.id, read.properties, inputs, read.inputs);
    assert.equal(diff.changes, "some");
    const healed = await host.update(urn("erin"), created.id, read.properties, inputs, read.inputs);
    assert.deepEqual([healed.properties.mode, healed.properties.postgresUsername], ["username", "erin_pg"]);
    assert.equal((await profileOf("erin@example.com")).externalUserIds.postgresqlUser, "erin_pg");
  });

  it("drops the mapping of a user deleted outside Pulumi, and deleting it then succeeds", async () => {
    const inputs = await checked(host, urn("dave"), { userId: "dave@example.com", mode: "none", __provider: provider });
    const created = await host.create(urn("dave"), inputs);
    await api.delete("/bim/iam/bim/user/dave%40example.com");
    assert.equal((await host.read(urn("dave"), created.id, created.properties, inputs)).id, "");
    await host.delete(urn("dave"), created.id, created.properties);
  });

  it("can be destroyed for a user whose IAM sets the PostgreSQL username, leaving it to the IAM", async () => {
    const inputs = await checked(host, urn("oscar"), { userId: "oscar@corp.example.com", iamId: "okta", postgresUsername: "oscar", __provider: provider });
    const created = await host.create(urn("oscar"), inputs);
    assert.equal(created.id, "okta/oscar@corp.example.com");
    await host.delete(urn("oscar"), created.id, created.properties);
    assert.match(host.output(), /as IAM "okta" sets it/);
    const { data } = await api.get("/bim/iam/okta/user/oscar%40corp.example.com/profile");
    assert.equal(data.externalUserIds.postgresqlUser, "oscar");
  });

  it("fails to set a username that the user's IAM sets, saying where to change it", async () => {
    const inputs = await checked(host, urn("oscar2"), { userId: "oscar@corp.example.com", iamId: "okta", postgresUsername: "oscar_other", __provider: provider });
    const error = await host.create(urn("oscar2"), inputs).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof PluginRpcError);
    assert.match(error.details, /profile schema of IAM "okta".*Profile Schema/);
  });

  describe("sharing", () => {
    it("uses one client and one token for both resource types in a host process", async () => {
      const connectionProvider = (await providerTexts()).connection;
      await resetEmulator(em);
      const since = await lastSeq(em);
      const connectionUrn = host.urn(CONNECTION_TYPE, "shared");
      await Promise.all([
        host.create(connectionUrn, await checked(host, connectionUrn, { displayName: "shared", hostname: em.lakebase.hostname, port: em.lakebase.port, workspaceUrl: em.workspaceUrl, clientId: em.clientId, clientSecret: em.clientSecret, __provider: connectionProvider })),
        host.create(urn("bob"), await checked(host, urn("bob"), { userId: "bob@example.com", mode: "none", __provider: provider })),
      ]);
      const exchanges = await requestLog(em, { since, route: "/bim/apikey/authenticate" });
      assert.equal(exchanges.length, 1, "both resources' first calls found the old token refused and shared one new exchange");
      api = await immutaApi(em);
    });
  });
});
