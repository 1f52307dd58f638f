// A registration whose every answer is lost, or that a gateway answers 502 to on every attempt, may
// have happened while the provider cannot tell: through the real dynamic-provider host, it must be
// recorded (never orphaned), finished by the next up, and dropped by a refresh if it never happened.
import { strict as assert } from "node:assert";
import type { Emulator } from "../../emulator";
import type { FaultConfig } from "../../emulator";
import { clearFaults, immutaApi, resetEmulator, setFaults, sharedEmulator } from "../support/emulator";
import { PluginRpcError, type PluginHost, type PropertyMap } from "../support/pluginHost";
import { checked, CONNECTION_TYPE, hostFor, providerTexts } from "../support/resourceHost";

describe("a LakebaseConnection whose registration may or may not have happened (real dynamic-provider host)", function () {
  this.timeout(60_000);
  let em: Emulator;
  let host: PluginHost;
  let impatient: PluginHost;
  let provider: string;
  const urn = (name: string) => host.urn(CONNECTION_TYPE, name);
  const args = (displayName: string): PropertyMap => ({
    displayName,
    hostname: em.lakebase.hostname,
    port: em.lakebase.port,
    workspaceUrl: em.workspaceUrl,
    clientId: em.clientId,
    clientSecret: em.clientSecret,
    __provider: provider,
  });

  before(async () => {
    em = await sharedEmulator();
    provider = (await providerTexts()).connection;
    host = await hostFor(em);
    // Few retries, so that a fault on every attempt ends the create quickly.
    impatient = await hostFor(em, { "immuta:maxRetries": "1" });
  });

  beforeEach(async () => {
    await resetEmulator(em);
  });

  after(async () => {
    await clearFaults(em);
    await host?.close();
    await impatient?.close();
  });

  /** Creates under `faults`, which must make the create fail; returns what the engine records. */
  async function createUnder(faults: FaultConfig, name: string): Promise<{ inputs: PropertyMap; recorded: PropertyMap; reason: string }> {
    const inputs = await checked(impatient, urn(name), args(name));
    await setFaults(em, faults);
    try {
      const error = await impatient.create(urn(name), inputs).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof PluginRpcError, `the create did not fail: ${String(error)}`);
      assert.equal(error.initFailure?.id, name, `not recorded: ${error.details}`);
      return { inputs, recorded: error.initFailure.properties, reason: error.initFailure.reasons.join("\n") };
    } finally {
      await clearFaults(em);
    }
  }

  async function connectionStatus(key: string): Promise<number> {
    return (await (await immutaApi(em)).get(`/data/object/${key}`, { validateStatus: () => true })).status;
  }

  it("regression: when every answer under /data/connection is lost, the create is recorded as unconfirmed instead of failing plainly, and the next up takes over its own registration", async () => {
    const { inputs, recorded, reason } = await createUnder({ rateLostAnswer: 1, pathPrefix: "/data/connection" }, "lost");

    assert.equal(recorded.registrationConfirmed, false);
    assert.equal(recorded.__provider, provider, "refresh and destroy can load the provider from what was recorded");
    assert.match(reason, /may have happened although Immuta's answer was lost.*next pulumi up finds out.*pulumi refresh drops it if it never happened/s);
    assert.equal(await connectionStatus("lost"), 200, "the lost attempt did register it");

    // The engine updates a resource recorded with init errors on the next up.
    const finished = await host.update(urn("lost"), "lost", recorded, inputs, inputs);
    assert.deepEqual(
      { registrationConfirmed: finished.properties.registrationConfirmed, crawlState: finished.properties.crawlState, state: finished.properties.state },
      { registrationConfirmed: true, crawlState: "completed", state: "active" },
    );
    assert.match(host.output(), /Adopting the existing connection "lost"/);
  });

  it("regression: when a gateway answers 502 to every attempt, the create is recorded as unconfirmed, and a refresh drops it as it never happened", async () => {
    const { inputs, recorded } = await createUnder({ rate5xx: 1, statuses5xx: [502], methods: ["POST"], pathPrefix: "/data/connection" }, "gateway");

    assert.equal(recorded.registrationConfirmed, false);
    assert.equal(await connectionStatus("gateway"), 404, "the gateway passed nothing on");
    const refreshed = await host.read(urn("gateway"), "gateway", recorded, inputs);
    assert.equal(refreshed.id, "", "a refresh drops a registration that never happened");
  });

  it("registers on the next up a connection whose unconfirmed registration never happened", async () => {
    const { inputs, recorded } = await createUnder({ rate5xx: 1, statuses5xx: [504], methods: ["POST"], pathPrefix: "/data/connection" }, "retried");

    const finished = await host.update(urn("retried"), "retried", recorded, inputs, inputs);

    assert.equal(finished.properties.registrationConfirmed, true);
    assert.equal(finished.properties.crawlState, "completed");
    assert.equal(await connectionStatus("retried"), 200);
  });

  it("fails plainly, recording nothing, when no attempt can have reached Immuta (each was throttled)", async () => {
    const inputs = await checked(impatient, urn("throttled"), args("throttled"));
    await setFaults(em, { rate429: 1, retryAfterSeconds: 0, methods: ["POST"], pathPrefix: "/data/connection" });
    try {
      const error = await impatient.create(urn("throttled"), inputs).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof PluginRpcError);
      assert.equal(error.initFailure, undefined);
      assert.match(error.details, /HTTP 429/);
    } finally {
      await clearFaults(em);
    }
  });
});
