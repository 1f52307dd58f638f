// Two resources of one deployment that manage the same thing in Immuta, checked through the real
// dynamic-provider host as the engine checks a program: one host process, every resource in turn.
import { strict as assert } from "node:assert";
import type { Emulator } from "../../emulator";
import { RESOURCE_NAME_INPUT } from "../../provider/resources/resourceName";
import { requestLog, resetEmulator, sharedEmulator } from "../support/emulator";
import type { PluginHost, PropertyMap } from "../support/pluginHost";
import { checked, CONNECTION_TYPE, hostFor, lastSeq, MAPPING_TYPE, MAPPINGS_TYPE, providerTexts } from "../support/resourceHost";

describe("two resources that manage one thing, through the real dynamic-provider host", function () {
  let emulator: Emulator;
  let host: PluginHost;
  let texts: Awaited<ReturnType<typeof providerTexts>>;
  let since: number;

  before(async () => {
    emulator = await sharedEmulator();
    await resetEmulator(emulator);
    texts = await providerTexts();
    host = await hostFor(emulator);
    since = await lastSeq(emulator);
  });

  after(async () => {
    await host?.close();
  });

  /** Inputs as the SDK's classes send them: with the resource's Pulumi name. */
  const mapping = (name: string, args: PropertyMap) => ({ [RESOURCE_NAME_INPUT]: name, ...args, __provider: texts.mapping });
  const mappings = (name: string, args: PropertyMap) => ({ [RESOURCE_NAME_INPUT]: name, ...args, __provider: texts.mappings });
  const connection = (name: string, displayName: string) => ({
    [RESOURCE_NAME_INPUT]: name,
    displayName,
    hostname: emulator.lakebase.hostname,
    port: emulator.lakebase.port,
    workspaceUrl: emulator.workspaceUrl,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    __provider: texts.connection,
  });

  it("fails the Check of a second mapping of one user, naming both resources and the user, while re-checks and a replacement of the first pass", async () => {
    const alice = host.urn(MAPPING_TYPE, "alice");
    const inputs = await checked(host, alice, mapping("alice", { userId: "alice@example.com", mode: "none" }));
    assert.deepEqual(inputs, { userId: "alice@example.com", iamId: "bim", mode: "none", __provider: texts.mapping }, "the name stays out of the inputs");
    assert.deepEqual((await host.check(alice, inputs, mapping("alice", { userId: "alice@example.com", mode: "none" }))).failures, []);
    assert.deepEqual((await host.check(alice, inputs, mapping("alice", { userId: "carol@example.com", mode: "none" }))).failures, []);
    assert.deepEqual((await host.check(alice, inputs, mapping("alice", { userId: "alice@example.com", mode: "none" }))).failures, []);

    const { failures } = await host.check(host.urn(MAPPING_TYPE, "alice-again"), {}, mapping("alice-again", { userId: "alice@example.com", postgresUsername: "alice" }));
    assert.deepEqual(failures, [
      {
        property: "userId",
        reason:
          'ExternalUserMapping "alice-again" and ExternalUserMapping "alice" both manage the PostgreSQL mapping of user "alice@example.com" in IAM "bim": ' +
          "each would overwrite what the other sets, and deleting either returns the user to unset. Keep one of them. " +
          'To keep ExternalUserMapping "alice-again" in place of ExternalUserMapping "alice", remove ExternalUserMapping "alice" and give ExternalUserMapping "alice-again" aliases: [{ name: "alice" }], ' +
          'so that Pulumi renames ExternalUserMapping "alice" rather than deleting it',
      },
    ]);
  });

  it("fails the Check of a second connection whose key differs only in case, in the same host as the mappings", async () => {
    await checked(host, host.urn(CONNECTION_TYPE, "sales"), connection("sales", "sales"));
    const { failures } = await host.check(host.urn(CONNECTION_TYPE, "sales-copy"), {}, connection("sales-copy", "SALES"));
    assert.deepEqual(failures.map((f) => [f.property, f.reason.split(":")[0]]), [
      ["displayName", 'LakebaseConnection "sales-copy" and LakebaseConnection "sales" both manage the Immuta connection "SALES" (LakebaseConnection "sales" declares the Immuta connection "sales", the same to Immuta)'],
    ]);
  });

  it("fails the Check of a user declared both in an ExternalUserMappings and an ExternalUserMapping, naming both, whichever is checked second", async () => {
    const bothManage = (checked: string, other: string) =>
      `${checked} and ${other} both manage the PostgreSQL mapping of user "carol@example.com" in IAM "bim": each would overwrite what the other sets, ` +
      "and deleting either returns the user to unset. Keep one of them. Declare it in one place only: remove ";
    const analysts = host.urn(MAPPINGS_TYPE, "analysts");
    const users = { "carol@example.com": "carol", "dave@example.com": { mode: "none" } };
    const inputs = await checked(host, analysts, mappings("analysts", { users }));
    assert.deepEqual(inputs, { iamId: "bim", exclusive: false, users, __provider: texts.mappings }, "the name stays out of the inputs");

    const single = await host.check(host.urn(MAPPING_TYPE, "carol"), {}, mapping("carol", { userId: "carol@example.com", mode: "none" }));
    assert.deepEqual(single.failures, [
      { property: "userId", reason: `${bothManage('ExternalUserMapping "carol"', 'ExternalUserMappings "analysts"')}ExternalUserMapping "carol" or users["carol@example.com"] of ExternalUserMappings "analysts"` },
    ]);
    const again = await host.check(analysts, inputs, mappings("analysts", { users }));
    assert.deepEqual(again.failures, [
      { property: 'users["carol@example.com"]', reason: `${bothManage('ExternalUserMappings "analysts"', 'ExternalUserMapping "carol"')}users["carol@example.com"] of ExternalUserMappings "analysts" or ExternalUserMapping "carol"` },
    ]);
  });

  it("sent Immuta no request for any of these Checks", async () => {
    assert.deepEqual(await requestLog(emulator, { since }), []);
  });
});
