// Our imitation of the engine (tests/support/engine.ts and pluginHost.ts) against the engine itself:
// the gRPC traffic between the real Pulumi CLI and the dynamic-provider host over one lifecycle (up,
// a refresh after a change in Immuta, up, a rename and a userId change, destroy), recorded with
// PULUMI_DEBUG_GRPC by tests/fixtures/recordEngineEvents.ts.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { engineRequests, startPluginHost, type PluginHost, type PropertyMap } from "../support/pluginHost";
import { PROJECT_ROOT } from "../support/resourceHost";

interface RecordedCall {
  readonly method: string;
  readonly request: Record<string, unknown>;
  readonly response?: Record<string, unknown>;
  readonly errors?: readonly string[];
}

const CALLS = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../tests/fixtures/grpc/lifecycle.json"), "utf8")) as RecordedCall[];

/** Engine services the dynamic host never uses (it has no resource-status client). */
const NOT_IMITATED = new Set(["resourcestatusaddress", "resourcestatustoken"]);

function callsOf(rpc: string): RecordedCall[] {
  const calls = CALLS.filter((call) => call.method === `/pulumirpc.ResourceProvider/${rpc}`);
  assert.ok(calls.length > 0, `the recording holds no ${rpc}`);
  return calls;
}

/** The fields a request sets, as proto3 JSON names them (its debug log omits the unset ones), in lower case. */
function engineFields(request: Record<string, unknown>): string[] {
  return Object.keys(request)
    .map((key) => key.toLowerCase())
    .filter((key) => !NOT_IMITATED.has(key))
    .sort();
}

/** The same for a request our harness builds: google-protobuf's toObject() lists unset fields too, as defaults. */
function harnessFields(message: { toObject(): object }): string[] {
  return Object.entries(message.toObject())
    .filter(([, value]) => value !== undefined && value !== false && value !== "" && value !== 0 && !(Array.isArray(value) && value.length === 0))
    .map(([key]) => key.replace(/(List|Map)$/, "").toLowerCase())
    .sort();
}

const map = (value: unknown): PropertyMap => (value ?? {}) as PropertyMap;
const optionalMap = (value: unknown): PropertyMap | undefined => (value === undefined ? undefined : (value as PropertyMap));

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as PropertyMap)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** The stack config as Configure's args hold it: secrets in envelopes. */
function stackConfigOf(args: PropertyMap): Record<string, string | { secret: string }> {
  return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, isSecretEnvelope(value) ? { secret: String(value.value) } : String(value)]));
}

describe("our imitation of the engine, against the engine's recorded gRPC traffic", () => {
  it("builds each provider request with exactly the fields the engine set in each recorded call", () => {
    const rebuilt: Record<string, (r: Record<string, unknown>) => { toObject(): object }> = {
      Configure: (r) => engineRequests.configure("dev", "immuta-lakebase-quickstart", stackConfigOf(map(r.args))),
      Check: (r) => engineRequests.check(String(r.urn), map(r.olds), map(r.news), map(r.oldOutputs)),
      Diff: (r) => engineRequests.diff(String(r.urn), String(r.id), map(r.olds), map(r.news), optionalMap(r.oldInputs)),
      Create: (r) => engineRequests.create(String(r.urn), map(r.properties)),
      Read: (r) => engineRequests.read(String(r.urn), String(r.id), map(r.properties), optionalMap(r.inputs)),
      Update: (r) => engineRequests.update(String(r.urn), String(r.id), map(r.olds), map(r.news), optionalMap(r.oldInputs)),
      Delete: (r) => engineRequests.delete(String(r.urn), String(r.id), map(r.properties), optionalMap(r.oldInputs)),
    };
    for (const [rpc, rebuild] of Object.entries(rebuilt)) {
      for (const call of callsOf(rpc)) {
        assert.deepEqual(harnessFields(rebuild(call.request)), engineFields(call.request), `${rpc} of ${String(call.request.urn)}`);
      }
    }
  });

  it("configures the host with the stack config as the engine does: secrets in envelopes in args, in plain text in the legacy variables", () => {
    for (const call of callsOf("Configure")) {
      const args = map(call.request.args);
      const ours = engineRequests.configure("dev", "immuta-lakebase-quickstart", stackConfigOf(args));
      assert.deepEqual(ours.getArgs()?.toJavaScript(), args);
      assert.deepEqual(Object.fromEntries(ours.getVariablesMap().toArray()), call.request.variables);
      assert.ok(isSecretEnvelope(args["immuta:apiKey"]), "the engine sent immuta:apiKey without its envelope");
      assert.equal(args["immuta:url"], "http://127.0.0.1:7000");
      // The host answers that it does not take secrets, which is why the engine strips them from everything else.
      assert.deepEqual(call.response ?? {}, {});
    }
  });

  it("sees no secret envelope in any request but Configure, as the harness sends none", () => {
    const envelopes = CALLS.filter((call) => !call.method.endsWith("/Configure")).filter((call) => JSON.stringify(call.request).includes(pulumi.runtime.specialSecretSig));
    assert.deepEqual(envelopes.map((call) => call.method), []);
    const ours = engineRequests.create("urn:pulumi:dev::p::pulumi-nodejs:dynamic/immuta:LakebaseConnection::c", { clientSecret: { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: "s3cret" } });
    assert.deepEqual(ours.getProperties()?.toJavaScript(), { clientSecret: "s3cret" });
  });

  it("replaces in the order the provider asks for: the connection new-first, a mapping old-first", () => {
    const steps = CALLS.filter((call) => /\/(Create|Delete)$/.test(call.method)).map((call) => `${call.method.split("/").pop()} ${String(call.request.urn).split("::").pop()} ${String(call.request.id ?? "")}`.trim());
    const rename = steps.indexOf("Create lakebase", 1);
    assert.ok(rename > 0 && steps.indexOf("Delete lakebase lakebase_quickstart") > rename, steps.join("\n"));
    const userChange = steps.indexOf("Delete username-mapping bim/bob@example.com");
    assert.ok(userChange >= 0 && steps.indexOf("Create username-mapping", userChange) > userChange, steps.join("\n"));
    const replacements = callsOf("Diff").filter((call) => Array.isArray(call.response?.replaces));
    assert.deepEqual(
      replacements.map((call) => [String(call.request.urn).split("::").pop(), call.response?.replaces, call.response?.deleteBeforeReplace ?? false]),
      [
        ["lakebase", ["displayName"], false],
        ["username-mapping", ["userId"], true],
      ],
    );
  });

  describe("replayed through the real dynamic-provider host", function () {
    this.timeout(60_000);
    let host: PluginHost;

    before(async () => {
      host = await startPluginHost({ cwd: PROJECT_ROOT, stack: "dev", project: "immuta-lakebase-quickstart" });
      await host.configure(stackConfigOf(map(callsOf("Configure")[0]?.request.args)));
    });

    after(async () => {
      await host?.close();
    });

    it("answers each recorded Check as it answered the engine", async () => {
      for (const call of callsOf("Check")) {
        const { inputs, failures } = await host.check(String(call.request.urn), map(call.request.olds), map(call.request.news), map(call.request.oldOutputs));
        assert.deepEqual({ inputs, failures }, { inputs: call.response?.inputs, failures: call.response?.failures ?? [] }, String(call.request.urn));
      }
    });

    it("answers each recorded Diff as it answered the engine", async () => {
      const changesByName: Record<string, string> = { DIFF_UNKNOWN: "unknown", DIFF_NONE: "none", DIFF_SOME: "some" };
      for (const call of callsOf("Diff")) {
        const ours = await host.diff(String(call.request.urn), String(call.request.id), map(call.request.olds), map(call.request.news), optionalMap(call.request.oldInputs));
        assert.deepEqual(
          ours,
          {
            changes: changesByName[String(call.response?.changes ?? "DIFF_UNKNOWN")],
            replaces: call.response?.replaces ?? [],
            deleteBeforeReplace: call.response?.deleteBeforeReplace ?? false,
          },
          String(call.request.urn),
        );
      }
    });
  });
});
