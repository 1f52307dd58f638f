import { strict as assert } from "node:assert";
import type { Emulator } from "../../emulator";
import { clearFaults, immutaApi, requestLog, resetEmulator, setFaults, sharedEmulator } from "../support/emulator";
import { PluginRpcError, unknown, type PluginHost, type PropertyMap } from "../support/pluginHost";
import { checked, CONNECTION_TYPE, hostFor, lastSeq, providerTexts } from "../support/resourceHost";

describe("LakebaseConnection through the real dynamic-provider host", function () {
  let em: Emulator;
  let host: PluginHost;
  let provider: string;
  const urn = (name: string) => host.urn(CONNECTION_TYPE, name);
  const args = (overrides: PropertyMap = {}): PropertyMap => ({
    displayName: "sales",
    hostname: em.lakebase.hostname,
    port: em.lakebase.port,
    workspaceUrl: em.workspaceUrl,
    clientId: em.clientId,
    clientSecret: em.clientSecret,
    __provider: provider,
    ...overrides,
  });

  before(async () => {
    em = await sharedEmulator();
    await resetEmulator(em);
    provider = (await providerTexts()).connection;
    host = await hostFor(em);
  });

  after(async () => {
    await host?.close();
  });

  describe("lifecycle", () => {
    let inputs: PropertyMap;
    let outputs: PropertyMap;

    it("creates: registers, waits for the crawl, and records every output", async () => {
      inputs = await checked(host, urn("sales"), args());
      assert.equal(inputs.database, "databricks_postgres");
      const created = await host.create(urn("sales"), inputs);
      assert.equal(created.id, "sales");
      outputs = created.properties;
      assert.equal(outputs.connectionKey, "sales");
      assert.equal(outputs.technology, "DatabricksLakebase");
      assert.equal(outputs.state, "active");
      assert.equal(outputs.crawlState, "completed");
      assert.ok(typeof outputs.objectCount === "number" && outputs.objectCount >= 8);
      assert.equal(outputs.clientSecret, em.clientSecret, "echoed under its input name, so the engine keeps it secret");
      assert.equal(outputs.__provider, provider);
    });

    it("shows no change on an unchanged second preview", async () => {
      const again = (await host.check(urn("sales"), inputs, args())).inputs;
      assert.equal((await host.diff(urn("sales"), "sales", outputs, again, inputs)).changes, "none");
    });

    it("updates a hostname change in place, keeping the id", async () => {
      const news = (await host.check(urn("sales"), inputs, args({ hostname: "LocalHost" }))).inputs;
      assert.equal(news.hostname, "localhost");
      const diff = await host.diff(urn("sales"), "sales", outputs, news, inputs);
      assert.deepEqual({ changes: diff.changes, replaces: diff.replaces }, { changes: "some", replaces: [] });
      outputs = (await host.update(urn("sales"), "sales", outputs, news, inputs)).properties;
      inputs = news;
      assert.equal(outputs.hostname, "localhost");
      assert.equal(outputs.connectionKey, "sales");
      const live = await (await immutaApi(em)).get("/data/connection/sales");
      assert.equal(live.data.connection.hostname, "localhost");
    });

    it("shows drift made outside Pulumi on Read, in props and inputs, and the next update heals it", async () => {
      const api = await immutaApi(em);
      const live = (await api.get("/data/connection/sales")).data;
      const drifted = `http://localhost:${new URL(em.workspaceUrl).port}`;
      await api.put("/data/connection/sales", { connection: { ...live.connection, workspaceUrl: drifted } });

      const read = await host.read(urn("sales"), "sales", outputs, inputs);
      assert.equal(read.id, "sales");
      assert.equal(read.properties.workspaceUrl, drifted);
      assert.equal(read.inputs?.workspaceUrl, drifted);
      assert.equal(read.properties.clientSecret, em.clientSecret, "the secret Immuta never returns is kept from state");

      const diff = await host.diff(urn("sales"), "sales", read.properties, inputs, read.inputs);
      assert.equal(diff.changes, "some");
      outputs = (await host.update(urn("sales"), "sales", read.properties, inputs, read.inputs)).properties;
      assert.equal((await api.get("/data/connection/sales")).data.connection.workspaceUrl, em.workspaceUrl);
    });

    it("replaces on a rename: the new connection is registered, then the old one deregistered", async () => {
      const news = (await host.check(urn("sales"), inputs, args({ displayName: "sales_v2", hostname: "localhost" }))).inputs;
      const diff = await host.diff(urn("sales"), "sales", outputs, news, inputs);
      assert.deepEqual({ changes: diff.changes, replaces: diff.replaces, deleteBeforeReplace: diff.deleteBeforeReplace }, { changes: "some", replaces: ["displayName"], deleteBeforeReplace: false });
      const replacement = await host.create(urn("sales"), news);
      assert.equal(replacement.id, "sales_v2");
      await host.delete(urn("sales"), "sales", outputs);
      assert.equal((await host.read(urn("sales"), "sales", outputs, inputs)).id, "");
      outputs = replacement.properties;
      inputs = news;
    });

    it("drops a connection deleted outside Pulumi: Read returns no id", async () => {
      await (await immutaApi(em)).delete("/data/object/sales_v2");
      const read = await host.read(urn("sales"), "sales_v2", outputs, inputs);
      assert.equal(read.id, "");
    });

    it("deletes: Delete deregisters and Read then finds nothing", async () => {
      const created = await host.create(urn("short_lived"), await checked(host, urn("short_lived"), args({ displayName: "short_lived" })));
      await host.delete(urn("short_lived"), created.id, created.properties);
      assert.equal((await host.read(urn("short_lived"), created.id, created.properties)).id, "");
      await host.delete(urn("short_lived"), created.id, created.properties);
    });
  });


  describe("single steps", () => {
    it("reports every bad property in one Check, without a single API call", async () => {
      const since = await lastSeq(em);
      const { failures } = await host.check(urn("bad"), {}, { displayName: "bad.name", hostname: "https://x/", port: 0, workspaceUrl: "ftp://x", clientId: "not-a-uuid", __provider: provider });
      assert.deepEqual([...new Set(failures.map((f) => f.property))].sort(), ["clientId", "clientSecret", "displayName", "hostname", "port", "workspaceUrl"]);
      assert.deepEqual(await requestLog(em, { since }), []);
    });

    it("refuses NUL characters and overlong values in one Check, without a single API call", async () => {
      const since = await lastSeq(em);
      const { failures } = await host.check(urn("nul"), {}, args({ displayName: "nul", database: "data\u0000base", clientSecret: `${em.clientSecret}\u0000`, hostname: "h".repeat(254), workspaceUrl: `https://${"w".repeat(2041)}` }));
      assert.deepEqual(failures, [
        { property: "hostname", reason: "must be at most 253 characters, the longest DNS name" },
        { property: "database", reason: "must not contain a NUL character" },
        { property: "workspaceUrl", reason: "must be at most 2048 characters" },
        { property: "clientSecret", reason: "must not contain a NUL character" },
      ]);
      assert.deepEqual(await requestLog(em, { since }), []);
    });

    it("registers with a clientId typed in upper case, sent in lower case (it was sent as typed and refused with invalid_client)", async () => {
      const typed = em.clientId.toUpperCase();
      const inputs = await checked(host, urn("shouted"), args({ displayName: "shouted", clientId: typed }));
      assert.equal(inputs.clientId, em.clientId);
      const created = await host.create(urn("shouted"), inputs);
      assert.equal(created.properties.clientId, em.clientId);
      assert.equal((await (await immutaApi(em)).get("/data/connection/shouted")).data.connection.oAuthClientConfig.clientId, em.clientId);
      const again = (await host.check(urn("shouted"), inputs, args({ displayName: "shouted", clientId: typed }))).inputs;
      assert.equal((await host.diff(urn("shouted"), "shouted", created.properties, again, inputs)).changes, "none");
      await host.delete(urn("shouted"), "shouted", created.properties);
    });

    it("passes preview's unknown values through Check and treats them as changes in Diff", async () => {
      const { inputs, failures } = await host.check(urn("preview"), {}, args({ displayName: "preview", hostname: unknown, clientSecret: unknown }));
      assert.deepEqual(failures, []);
      assert.equal(inputs.hostname, unknown);
      const olds = await checked(host, urn("preview"), args({ displayName: "preview" }));
      const diff = await host.diff(urn("preview"), "preview", olds, (await host.check(urn("preview"), olds, args({ displayName: unknown }))).inputs, olds);
      assert.deepEqual({ changes: diff.changes, replaces: diff.replaces }, { changes: "some", replaces: ["displayName"] });
    });

    it("serves five creates at once through one host process, sharing one token", async () => {
      await resetEmulator(em);
      const names = ["c1", "c2", "c3", "c4", "c5"];
      const created = await Promise.all(names.map(async (name) => host.create(urn(name), await checked(host, urn(name), args({ displayName: name })))));
      assert.deepEqual(created.map((c) => c.id), names);
      assert.equal((await requestLog(em, { route: "/bim/apikey/authenticate" })).length, 1, "one key exchange after the reset wiped the token");
      await Promise.all(created.map((c) => host.delete(urn(c.id), c.id, c.properties)));
    });

    it("fails a principal lacking CREATEROLE with the SQL that fixes it", async () => {
      const inputs = await checked(host, urn("refused"), args({ displayName: "refused", ...em.principals.lacksCreateRole }));
      const error = await host.create(urn("refused"), inputs).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof PluginRpcError);
      assert.match(error.details, /lacks CREATEROLE/);
      assert.match(error.details, new RegExp(`ALTER ROLE "${em.principals.lacksCreateRole.clientId}" CREATEROLE`));
      assert.equal(error.initFailure, undefined, "nothing was registered");
    });

    it("records a connection whose registration succeeded but whose crawl could not be followed, and the next up finishes it", async () => {
      const impatient = await hostFor(em, { "immuta:maxRetries": "0" });
      const inputs = await checked(impatient, urn("orphan"), args({ displayName: "orphan" }));
      let recorded: PropertyMap;
      try {
        await setFaults(em, { rate5xx: 1, statuses5xx: [503], pathPrefix: "/jobs" });
        const error = await impatient.create(urn("orphan"), inputs).then(() => undefined, (e: unknown) => e);
        assert.ok(error instanceof PluginRpcError);
        assert.equal(error.initFailure?.id, "orphan");
        assert.match(error.initFailure?.reasons[0] ?? "", /crawl/);
        recorded = error.initFailure?.properties ?? {};
        assert.equal(recorded.hostname, em.lakebase.hostname);
        assert.equal(recorded.__provider, provider, "refresh and destroy can load the provider from what was recorded");
      } finally {
        await clearFaults(em);
        await impatient.close();
      }
      assert.equal((await (await immutaApi(em)).get("/data/connection/orphan")).status, 200);

      const refreshed = await host.read(urn("orphan"), "orphan", recorded, inputs);
      assert.equal(refreshed.id, "orphan");
      // The engine updates a resource recorded with init errors on the next up: that crawls it again.
      const healed = await host.update(urn("orphan"), "orphan", refreshed.properties, inputs, refreshed.inputs);
      assert.equal(healed.properties.crawlState, "completed");
      assert.ok(typeof healed.properties.objectCount === "number" && healed.properties.objectCount >= 8);
      await host.delete(urn("orphan"), "orphan", healed.properties);
    });
  });

  describe("afterwards", () => {
    it("never lets a secret reach the host's output", async () => {
      const printed = host.output();
      for (const secret of [em.apiKey, em.clientSecret, em.principals.lacksCreateRole.clientSecret]) assert.ok(!printed.includes(secret));
    });
  });
});
