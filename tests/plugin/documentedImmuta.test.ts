// LakebaseConnection through the real dynamic-provider host on an Immuta that behaves as documented
// (GET/PUT /data/connection/{key} refuse Lakebase connections): create, refresh, drift, update,
// adopt and delete, and the warning that says once what refresh cannot see.
import { strict as assert } from "node:assert";
import { startEmulator, type Emulator } from "../../emulator";
import { requestLog, resetEmulator } from "../support/emulator";
import { PluginRpcError, type PluginHost, type PropertyMap } from "../support/pluginHost";
import { checked, CONNECTION_TYPE, hostFor, lastSeq, providerTexts } from "../support/resourceHost";

const WARNING = "[pulumi-immuta-lakebase] warning: This Immuta does not show a Lakebase connection's settings";

describe("LakebaseConnection on an Immuta without GET/PUT /data/connection/{key} for Lakebase (real dynamic-provider host)", function () {
  this.timeout(60_000);
  let em: Emulator;
  let host: PluginHost;
  let provider: string;
  const urn = (name: string) => host.urn(CONNECTION_TYPE, name);
  const args = (displayName: string, overrides: PropertyMap = {}): PropertyMap => ({
    displayName,
    hostname: em.lakebase.hostname,
    port: em.lakebase.port,
    workspaceUrl: em.workspaceUrl,
    clientId: em.clientId,
    clientSecret: em.clientSecret,
    __provider: provider,
    ...overrides,
  });

  before(async () => {
    em = await startEmulator({ connectionApi: "documented" });
    provider = (await providerTexts()).connection;
  });

  beforeEach(async () => {
    await resetEmulator(em);
    // One host per test: one deployment each, so each may say its warning once.
    host = await hostFor(em);
  });

  afterEach(async () => {
    await host?.close();
  });

  after(async () => {
    await em?.stop();
  });

  async function created(name: string): Promise<{ inputs: PropertyMap; outputs: PropertyMap }> {
    const inputs = await checked(host, urn(name), args(name));
    return { inputs, outputs: (await host.create(urn(name), inputs)).properties };
  }

  it("creates, and refreshes without drift it cannot see, saying once per deployment what refresh cannot see", async () => {
    const sales = await created("sales");
    const finance = await created("finance");
    assert.deepEqual(
      [sales.outputs.registrationConfirmed, sales.outputs.state, sales.outputs.technology, sales.outputs.crawlState],
      [true, "active", "DatabricksLakebase", "completed"],
    );

    const refreshed = await host.read(urn("sales"), "sales", sales.outputs, sales.inputs);
    await host.read(urn("finance"), "finance", finance.outputs, finance.inputs);

    assert.equal(refreshed.id, "sales");
    assert.deepEqual(refreshed.properties, sales.outputs);
    const { __provider: _provider, ...declared } = sales.inputs;
    const { __provider: _read, ...readInputs } = refreshed.inputs ?? {};
    assert.deepEqual(readInputs, declared);
    assert.equal(host.output().split(WARNING).length - 1, 1, host.output());
  });

  it("fails an update of a setting before any change, naming the field and what to do", async () => {
    const { inputs, outputs } = await created("sales");
    const news = await checked(host, urn("sales"), args("sales", { hostname: "localhost" }));
    assert.equal((await host.diff(urn("sales"), "sales", outputs, news, inputs)).changes, "some");
    const since = await lastSeq(em);

    const error = await host.update(urn("sales"), "sales", outputs, news, inputs).then(() => undefined, (e: unknown) => e);

    assert.ok(error instanceof PluginRpcError);
    assert.match(error.details, /Cannot change hostname of connection "sales": this Immuta does not take a Lakebase connection's settings through its API/);
    assert.deepEqual((await requestLog(em, { since })).filter((entry) => entry.method !== "GET"), []);
  });

  it("adopts an existing connection by its key when adopt is set, and deletes it", async () => {
    await created("sales");
    const inputs = await checked(host, urn("again"), args("sales", { adopt: true }));
    const adopted = await host.create(urn("again"), inputs);
    assert.equal(adopted.id, "sales");
    assert.match(host.output(), /warning: Adopting the existing connection "sales" by its key alone/);

    await host.delete(urn("again"), "sales", adopted.properties);
    assert.equal((await host.read(urn("again"), "sales", adopted.properties, inputs)).id, "");
  });
});
