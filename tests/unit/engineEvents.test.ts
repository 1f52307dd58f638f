// What the demo, the runner and the tests read from engine events besides the plan: the drift a
// refresh found, and why an operation failed. On events recorded from the real Pulumi CLI.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describeDrift, driftFromRefresh } from "../../automation/events/drift";
import { describeFailure } from "../../automation/events/failure";
import { STAND_INS } from "../support/recording";

const FIXTURES = path.resolve(__dirname, "../../../tests/fixtures/engine-events");

function loadEvents(name: string): EngineEvent[] {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")) as EngineEvent[];
}

/** How the Automation API reports a CLI that exited non-zero: the exit code sits on the error, out of its typings. */
function commandError(code: number): Error {
  return Object.assign(new Error(`code: ${code}\n stdout: \n stderr: error: something the CLI printed`), { name: "CommandError", commandResult: { code } });
}

describe("the drift a refresh found (recorded engine events)", () => {
  it("lists each drifted resource with the properties Immuta changed, before and after", () => {
    assert.deepEqual(driftFromRefresh(loadEvents("refresh-drift")), [
      { name: "lakebase", type: "LakebaseConnection", properties: [{ name: "hostname", before: '"127.0.0.1"', after: '"localhost"' }] },
      {
        name: "username-mapping",
        type: "ExternalUserMapping",
        properties: [
          { name: "effectiveUsername", before: '"bob"', after: "null" },
          { name: "mode", before: '"username"', after: '"none"' },
          { name: "postgresUsername", before: '"bob"', after: "null" },
        ],
      },
    ]);
  });

  it("says it in one line per resource, without known secrets", () => {
    assert.deepEqual(describeDrift(driftFromRefresh(loadEvents("refresh-drift")), ["localhost"]), [
      'lakebase (LakebaseConnection): hostname "127.0.0.1" → "[secret]"',
      'username-mapping (ExternalUserMapping): effectiveUsername "bob" → null, mode "username" → "none", postgresUsername "bob" → null',
    ]);
  });

  it("finds none in a preview, which records no refresh", () => {
    assert.deepEqual(driftFromRefresh(loadEvents("no-changes")), []);
  });
});

describe("why an operation failed (recorded engine events)", () => {
  it("gives the provider's own error for the resource that failed, not the engine's generic 'update failed'", () => {
    const reason = describeFailure(loadEvents("up-failed"), commandError(255), []);
    assert.equal(reason.split("\n", 2).join("\n"), `lakebase: Preflight failed for database databricks_postgres at 127.0.0.1:<port>:\n- The service principal ${STAND_INS.lacksCreateRoleClientId} lacks CREATEROLE in database databricks_postgres at 127.0.0.1:<port>, which Immuta needs to manage users' roles.`);
    assert.ok(!reason.includes("update failed"));
  });

  it("gives every check failure of a preview, one per line", () => {
    assert.deepEqual(
      describeFailure(loadEvents("preview-error"), commandError(255), []).split("\n").map((line) => line.replace(/ has a problem: .*/, "")),
      ["lakebase: pulumi-nodejs:dynamic/immuta:LakebaseConnection resource 'lakebase': property displayName value {lakebase.v2}", "lakebase: pulumi-nodejs:dynamic/immuta:LakebaseConnection resource 'lakebase': property port value {70000}"],
    );
  });

  it("scrubs known secrets from the engine's messages", () => {
    assert.ok(!describeFailure(loadEvents("up-failed"), commandError(255), [STAND_INS.lacksCreateRoleClientId]).includes(STAND_INS.lacksCreateRoleClientId));
  });

  it("says what kind of failure it was when the engine reported none, without reading the CLI's text", () => {
    assert.equal(describeFailure([], commandError(255), []), "the Pulumi CLI exited with code 255 before the engine reported an error; its output above says why");
    assert.equal(
      describeFailure([], Object.assign(new Error("code: 255\n stderr: the stack is currently locked by 1 lock(s)"), { name: "ConcurrentUpdateError" }), []),
      "another update of this stack is in progress (its lock is held); wait for it, or run `pulumi cancel` if it died",
    );
    assert.equal(describeFailure([], new Error("no Pulumi.yaml found\n    at stack"), []), "no Pulumi.yaml found");
  });
});
