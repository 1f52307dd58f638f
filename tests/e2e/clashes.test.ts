// Two resources of one program that manage the same thing, through the real Pulumi engine: the CLI
// checks every resource of the deployment in one dynamic-provider host, which refuses the second.
import { strict as assert } from "node:assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { engineErrors, resourceNameFromUrn } from "../../automation/events/diagnostics";
import { createQuickstartStack, type QuickstartStack } from "../../automation/quickstart/stack";
import type { Emulator } from "../../emulator";
import { ExternalUserMapping, EXTERNAL_USER_MAPPING_TYPE } from "../../sdk";
import { requestLog, resetEmulator, sharedEmulator } from "../support/emulator";
import { requirePulumiCli } from "../support/pulumiCli";
import { lastSeq } from "../support/resourceHost";

describe("two resources that manage one thing, through the real Pulumi engine (e2e)", function () {
  this.timeout(300_000);
  let emulator: Emulator;
  let quickstart: QuickstartStack;
  let errors: [string | null, string][];
  let requests: unknown[];

  before(async function () {
    const cli = await requirePulumiCli(this);
    emulator = await sharedEmulator();
    await resetEmulator(emulator);
    // The second depends on the first, so that the engine checks them in this order. (The engine
    // stops a preview at the first resource that fails its check: one clash per program is all a
    // test sees; the plugin tests show the connection's.)
    const program = async () => {
      const alice = new ExternalUserMapping("alice", { userId: "alice@example.com", mode: "none" });
      new ExternalUserMapping("alice-again", { userId: "alice@example.com", postgresUsername: "alice" }, { dependsOn: [alice] });
    };
    quickstart = await createQuickstartStack({ emulator, cli, prefix: "clashes-e2e", program: "inline", inlineProgram: program });
    const since = await lastSeq(emulator);
    const events: EngineEvent[] = [];
    await quickstart.stack.preview({ onEvent: (event) => events.push(event) }).then(
      () => assert.fail("the preview succeeded"),
      () => undefined,
    );
    errors = engineErrors(events).map((error): [string | null, string] => [error.urn && resourceNameFromUrn(error.urn), error.message]);
    requests = await requestLog(emulator, { since });
  });

  after(async () => {
    assert.deepEqual((await quickstart?.dispose()) ?? [], []);
  });

  it("fails pulumi preview at the second mapping of the user, naming both resources and the user", () => {
    assert.deepEqual(errors, [
      [
        "alice-again",
        `${EXTERNAL_USER_MAPPING_TYPE} resource 'alice-again': property userId value {alice@example.com} has a problem: ` +
          'ExternalUserMapping "alice-again" and ExternalUserMapping "alice" both manage the PostgreSQL mapping of user "alice@example.com" in IAM "bim": ' +
          "each would overwrite what the other sets, and deleting either returns the user to unset. Keep one of them. " +
          'To keep ExternalUserMapping "alice-again" in place of ExternalUserMapping "alice", remove ExternalUserMapping "alice" and give ExternalUserMapping "alice-again" aliases: [{ name: "alice" }], ' +
          'so that Pulumi renames ExternalUserMapping "alice" rather than deleting it',
      ],
    ]);
  });

  it("sends no request to Immuta", () => {
    assert.deepEqual(requests, []);
  });
});
