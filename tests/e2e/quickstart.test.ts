// The quickstart through the real Pulumi engine: the CLI, its plugin host and the dynamic-provider
// host, against the emulator, as a user's `pulumi preview`, `up`, `refresh` and `destroy` run it.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { EngineEvent, OpType, PreviewResult, UpResult } from "@pulumi/pulumi/automation";
import type { PulumiCli } from "../../automation/cli/locate";
import { engineErrors, resourceNameFromUrn } from "../../automation/events/diagnostics";
import { describeFailure } from "../../automation/events/failure";
import { ImmutaConsole, type Profile } from "../../automation/quickstart/immutaConsole";
import { heldValues, makeOutsideChange, plannedOutsideChange } from "../../automation/quickstart/outsideChange";
import { QUICKSTART_DEFAULTS } from "../../automation/quickstart/settings";
import { createQuickstartStack, PROJECT_DIR, type ProgramKind, type QuickstartStack } from "../../automation/quickstart/stack";
import { summarisePlan, type PlanAction } from "../../automation/summary/plan";
import { startEmulator, type Emulator } from "../../emulator";
import { EXTERNAL_USER_MAPPING_TYPE, LAKEBASE_CONNECTION_TYPE } from "../../sdk";
import { requestLog, resetEmulator, sharedEmulator } from "../support/emulator";
import { requirePulumiCli } from "../support/pulumiCli";
import { lastSeq } from "../support/resourceHost";

const QUICKSTART_RESOURCES = ["lakebase", "none-mapping", "unset-mapping", "username-mapping"];
const USERS = [QUICKSTART_DEFAULTS.usernameUser, QUICKSTART_DEFAULTS.unsetUser, QUICKSTART_DEFAULTS.noneUser];

/** `name action` for each of the quickstart's resources the operation changed, sorted. */
function changedResources(events: readonly EngineEvent[]): string[] {
  return summarisePlan(events)
    .rows.filter((row) => row.type === LAKEBASE_CONNECTION_TYPE || row.type === EXTERNAL_USER_MAPPING_TYPE)
    .map((row) => `${row.name} ${row.action}`)
    .sort();
}

function allOf(action: PlanAction): string[] {
  return QUICKSTART_RESOURCES.map((name) => `${name} ${action}`);
}

/** The engine's steps for one resource, in the order it took them. */
function stepsOf(events: readonly EngineEvent[], name: string): OpType[] {
  return [...events]
    .sort((a, b) => a.sequence - b.sequence)
    .map((event) => event.resourcePreEvent?.metadata)
    .filter((meta) => meta !== undefined && resourceNameFromUrn(meta.urn) === name)
    .map((meta) => (meta as NonNullable<typeof meta>).op);
}

/** For each resource a refresh changed: each input whose value changed, as [before, after]. */
function refreshedInputs(events: readonly EngineEvent[]): Record<string, Record<string, [unknown, unknown]>> {
  const changed: Record<string, Record<string, [unknown, unknown]>> = {};
  for (const meta of events.map((event) => event.resOutputsEvent?.metadata)) {
    if (meta?.op !== "update" || !meta.old || !meta.new) continue;
    const before = meta.old.inputs;
    const after = meta.new.inputs;
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
    changed[resourceNameFromUrn(meta.urn)] = Object.fromEntries(keys.sort().map((key) => [key, [before[key], after[key]]]));
  }
  return changed;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

async function recorded<T>(operation: (onEvent: (event: EngineEvent) => void) => Promise<T>): Promise<{ result: T; events: EngineEvent[] }> {
  const events: EngineEvent[] = [];
  const result = await operation((event) => events.push(event));
  return { result, events };
}

/** An operation that must fail: its error, its events and everything it printed. */
async function failing(operation: (options: { onEvent: (event: EngineEvent) => void; onOutput: (out: string) => void; onError: (err: string) => void }) => Promise<unknown>) {
  const events: EngineEvent[] = [];
  let output = "";
  const error = await operation({ onEvent: (event) => events.push(event), onOutput: (out) => (output += out), onError: (err) => (output += err) }).then(
    () => assert.fail("the operation succeeded"),
    (caught: unknown) => caught,
  );
  return { error, events, output };
}

describe("the quickstart through the real Pulumi engine (e2e)", function () {
  // Each operation runs the Pulumi CLI, the program and the dynamic-provider host for real.
  this.timeout(300_000);
  let cli: PulumiCli;
  let emulator: Emulator;
  const stacks: QuickstartStack[] = [];

  before(async function () {
    cli = await requirePulumiCli(this);
    emulator = await sharedEmulator();
  });

  after(async () => {
    const problems = (await Promise.all(stacks.map((stack) => stack.dispose()))).flat();
    assert.deepEqual(problems, []);
  });

  /** A new stack on an emulator reset to its seeds: each group of tests starts from nothing. */
  async function freshStack(program: ProgramKind = "inline"): Promise<QuickstartStack> {
    await resetEmulator(emulator);
    const stack = await createQuickstartStack({ emulator, cli, prefix: "quickstart-e2e", program });
    stacks.push(stack);
    return stack;
  }

  describe("pulumi up on a new stack", () => {
    let quickstart: QuickstartStack;
    let up: { result: UpResult; events: EngineEvent[] };

    before(async () => {
      quickstart = await freshStack();
      up = await recorded((onEvent) => quickstart.stack.up({ onEvent }));
    });

    it("registers the connection and sets the three mappings", async () => {
      assert.equal(up.result.summary.result, "succeeded");
      assert.deepEqual(changedResources(up.events), allOf("create"));
      const outputs = Object.fromEntries(Object.entries(up.result.outputs).map(([key, output]) => [key, output.value]));
      assert.deepEqual(outputs, {
        connectionKey: QUICKSTART_DEFAULTS.connectionName,
        state: "active",
        objectCount: outputs.objectCount,
        effectiveUsernames: { username: QUICKSTART_DEFAULTS.postgresUsername, unset: QUICKSTART_DEFAULTS.unsetUser, none: null },
      });
      assert.ok(typeof outputs.objectCount === "number" && outputs.objectCount > 0, `objectCount ${String(outputs.objectCount)}`);
      const immuta = await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey);
      assert.deepEqual(await heldValues(immuta, plannedOutsideChange(emulator)), plannedOutsideChange(emulator).declared);
      const mappings = await Promise.all(USERS.map((userId) => immuta.postgresUsername({ iamId: QUICKSTART_DEFAULTS.iamId, userId })));
      assert.deepEqual(mappings, [QUICKSTART_DEFAULTS.postgresUsername, undefined, null]);
    });

    it("previews no change right after", async () => {
      const preview = await quickstart.stack.preview();
      assert.deepEqual(preview.changeSummary, { same: 5 });
    });

    it("keeps the API key and the client secret out of `pulumi stack export` and the stack's files in plain text", async () => {
      const exported = JSON.stringify(await quickstart.exportState());
      const files = await filesUnder(quickstart.tempDir);
      assert.ok(files.some((file) => file.includes(`${path.sep}state${path.sep}`)), `no state file among ${files.join(", ")}`);
      const texts = [exported, ...(await Promise.all(files.map((file) => fs.readFile(file, "utf8"))))];
      for (const [name, credential] of Object.entries({ apiKey: emulator.apiKey, clientSecret: emulator.clientSecret })) {
        const holders = texts.filter((text) => text.includes(credential));
        assert.deepEqual(holders.length, 0, `${name} appears in plain text in ${holders.length} of the state and files`);
      }
      // They are there, encrypted: the connection's clientSecret is a ciphertext, and so is the config's API key.
      const { deployment } = (await quickstart.exportState()) as { deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] } };
      const connection = deployment.resources.find((resource) => resource.type === LAKEBASE_CONNECTION_TYPE);
      assert.ok(typeof (connection?.outputs?.clientSecret as { ciphertext?: unknown } | undefined)?.ciphertext === "string", JSON.stringify(connection?.outputs?.clientSecret));
      assert.equal((await quickstart.stack.getConfig("immuta:apiKey")).secret, true);
    });

    it("stores the small shim as __provider: no secret, no machine path, the same for every resource of a kind", async () => {
      const { deployment } = (await quickstart.exportState()) as { deployment: { resources: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] } };
      const dynamic = deployment.resources.filter((resource) => resource.type === LAKEBASE_CONNECTION_TYPE || resource.type === EXTERNAL_USER_MAPPING_TYPE);
      assert.equal(dynamic.length, 4);
      const texts = new Map<string, Set<unknown>>();
      for (const resource of dynamic) {
        const shim = resource.inputs?.__provider;
        assert.equal(resource.outputs?.__provider, shim, `${resource.type}: __provider differs between inputs and outputs`);
        assert.ok(typeof shim === "string" && shim.length <= 2048, `${resource.type}: __provider is ${typeof shim === "string" ? shim.length : typeof shim} characters`);
        assert.ok(shim.includes('"pulumi-immuta-lakebase/provider"'), shim);
        for (const forbidden of [PROJECT_DIR, emulator.apiKey, emulator.clientSecret, emulator.immutaUrl]) assert.ok(!shim.includes(forbidden), `__provider holds ${forbidden}`);
        texts.set(resource.type, (texts.get(resource.type) ?? new Set()).add(shim));
      }
      assert.deepEqual([...texts.values()].map((set) => set.size), [1, 1]);
    });
  });

  describe("a change made in Immuta outside Pulumi", () => {
    let quickstart: QuickstartStack;
    const change = () => plannedOutsideChange(emulator);
    let refresh: EngineEvent[];
    let previewOutput: string;
    let previewEvents: EngineEvent[];
    let heal: EngineEvent[];

    before(async () => {
      quickstart = await freshStack();
      await quickstart.stack.up();
      await makeOutsideChange(await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey), change());
      refresh = (await recorded((onEvent) => quickstart.stack.refresh({ onEvent }))).events;
      const preview = await recorded((onEvent) => quickstart.stack.preview({ onEvent, diff: true, color: "never" }));
      previewOutput = preview.result.stdout;
      previewEvents = preview.events;
      heal = (await recorded((onEvent) => quickstart.stack.up({ onEvent }))).events;
    });

    it("shows on refresh as an update of exactly the changed properties", () => {
      assert.deepEqual(refreshedInputs(refresh), {
        lakebase: { hostname: [change().declared.hostname, change().edited.hostname] },
        // Immuta's crawl switched the user to none: the mode changes, and a username no longer applies.
        "username-mapping": { mode: ["username", "none"], postgresUsername: [QUICKSTART_DEFAULTS.postgresUsername, undefined] },
      });
    });

    it("is named property by property by pulumi preview --diff", () => {
      assert.match(previewOutput, new RegExp(`~ hostname\\s*: "${change().edited.hostname}" => "${change().declared.hostname}"`));
      assert.match(previewOutput, /~ mode\s*: "none" => "username"/);
      assert.match(previewOutput, /\+ postgresUsername\s*: "bob"/);
      const rows = summarisePlan(previewEvents).rows.map((row) => [row.name, row.action, row.changes.map((c) => c.name)]);
      assert.deepEqual(rows, [
        ["lakebase", "update", ["hostname"]],
        ["username-mapping", "update", ["mode", "postgresUsername"]],
      ]);
    });

    it("is healed by the next up, after which a preview shows no change", async () => {
      assert.deepEqual(changedResources(heal), ["lakebase update", "username-mapping update"]);
      assert.deepEqual(await heldValues(await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey), change()), change().declared);
      assert.deepEqual((await quickstart.stack.preview()).changeSummary, { same: 5 });
    });
  });

  describe("replacements", () => {
    let rename: EngineEvent[];
    let renameRequests: string[];
    let userChange: EngineEvent[];

    before(async () => {
      const { stack } = await freshStack();
      await stack.up();
      await stack.setConfig("connectionName", { value: "lakebase_quickstart_v2" });
      const since = await lastSeq(emulator);
      rename = (await recorded((onEvent) => stack.up({ onEvent }))).events;
      renameRequests = (await requestLog(emulator, { since }))
        .filter((entry) => (entry.method === "POST" && entry.route === "/data/connection") || entry.method === "DELETE")
        .map((entry) => `${entry.method} ${entry.url}`);
      await stack.setConfig("usernameUser", { value: "dave@example.com" });
      userChange = (await recorded((onEvent) => stack.up({ onEvent }))).events;
    });

    it("registers a renamed connection before it deregisters the old one", async () => {
      assert.deepEqual(stepsOf(rename, "lakebase"), ["create-replacement", "replace", "delete-replaced"]);
      assert.deepEqual(renameRequests, ["POST /data/connection", "DELETE /data/object/lakebase_quickstart"]);
      const immuta = await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey);
      assert.equal(await immuta.connectionHostname("lakebase_quickstart_v2"), emulator.lakebase.hostname);
      await assert.rejects(immuta.connectionHostname("lakebase_quickstart"), /HTTP 404/);
    });

    it("deletes a mapping whose userId changed before it creates the new one", async () => {
      assert.deepEqual(stepsOf(userChange, "username-mapping"), ["delete-replaced", "replace", "create-replacement"]);
      const immuta = await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey);
      assert.equal(await immuta.postgresUsername({ iamId: "bim", userId: QUICKSTART_DEFAULTS.usernameUser }), undefined);
      assert.equal(await immuta.postgresUsername({ iamId: "bim", userId: "dave@example.com" }), QUICKSTART_DEFAULTS.postgresUsername);
    });
  });

  describe("a bad argument", () => {
    let failure: Awaited<ReturnType<typeof failing>>;
    let requests: unknown[];

    before(async () => {
      const { stack } = await freshStack();
      await stack.setAllConfig({ connectionName: { value: "lakebase.v2" }, lakebasePort: { value: "70000" } });
      const since = await lastSeq(emulator);
      failure = await failing((options) => stack.preview(options));
      requests = await requestLog(emulator, { since });
    });

    it("fails the preview with our message naming each bad argument", () => {
      assert.deepEqual(
        engineErrors(failure.events).map((error) => [error.urn && resourceNameFromUrn(error.urn), error.message]),
        [
          ["lakebase", `${LAKEBASE_CONNECTION_TYPE} resource 'lakebase': property displayName value {lakebase.v2} has a problem: may contain only letters, digits, hyphens and underscores (no periods or spaces), because it becomes the Immuta connectionKey`],
          ["lakebase", `${LAKEBASE_CONNECTION_TYPE} resource 'lakebase': property port value {70000} has a problem: must be at most 65535`],
        ],
      );
    });

    it("sends no request to Immuta", () => {
      assert.deepEqual(requests, []);
    });
  });

  describe("an up that fails (the service principal lacks CREATEROLE)", () => {
    let quickstart: QuickstartStack;
    let failure: Awaited<ReturnType<typeof failing>>;

    before(async () => {
      quickstart = await freshStack();
      const principal = emulator.principals.lacksCreateRole;
      await quickstart.stack.setAllConfig({ clientId: { value: principal.clientId }, clientSecret: { value: principal.clientSecret, secret: true } });
      failure = await failing((options) => quickstart.stack.up(options));
    });

    it("exits non-zero with our message and the SQL that fixes it", () => {
      const code = (failure.error as { commandResult?: { code?: number } }).commandResult?.code;
      assert.ok(code !== undefined && code !== 0, `exit code ${String(code)}`);
      const reason = describeFailure(failure.events, failure.error, []);
      const principal = emulator.principals.lacksCreateRole.clientId;
      assert.match(reason, new RegExp(`^lakebase: Preflight failed for database databricks_postgres at .*:\\n- The service principal ${principal} lacks CREATEROLE`));
      assert.ok(reason.includes(`Fix: ALTER ROLE "${principal}" CREATEROLE;`), reason);
    });

    it("shows no secret in anything it printed or reported", () => {
      const secrets = [emulator.apiKey, emulator.principals.lacksCreateRole.clientSecret, ...quickstart.secrets];
      for (const [where, text] of Object.entries({ output: failure.output, error: String(failure.error), events: JSON.stringify(failure.events) })) {
        for (const secret of secrets) assert.ok(!text.includes(secret), `a secret appears in the ${where}`);
      }
    });

    it("leaves no half-made resource in the state, and nothing in Immuta", async () => {
      const deployment = (await quickstart.stack.exportStack()).deployment as { resources?: { type: string }[] };
      assert.deepEqual((deployment.resources ?? []).map((resource) => resource.type).sort(), ["pulumi:providers:pulumi-nodejs", "pulumi:pulumi:Stack"]);
      await assert.rejects((await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey)).connectionHostname(QUICKSTART_DEFAULTS.connectionName), /HTTP 404/);
    });
  });

  describe("pulumi destroy", () => {
    let profilesBefore: Profile[];
    let destroy: EngineEvent[];

    const profiles = async (): Promise<Profile[]> => {
      const immuta = await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey);
      return Promise.all(USERS.map((userId) => immuta.profile({ iamId: QUICKSTART_DEFAULTS.iamId, userId })));
    };

    before(async () => {
      const { stack } = await freshStack();
      profilesBefore = await profiles();
      await stack.up();
      destroy = (await recorded((onEvent) => stack.destroy({ onEvent }))).events;
    });

    it("deregisters the connection and returns the users to unset, leaving the rest of their profiles as they were", async () => {
      assert.deepEqual(changedResources(destroy), allOf("delete"));
      await assert.rejects((await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey)).connectionHostname(QUICKSTART_DEFAULTS.connectionName), /HTTP 404/);
      // Writing a profile stamps it, so updatedAt moves on too.
      const withoutPostgres = ({ updatedAt: _stamp, ...profile }: Profile) => {
        const { postgresqlUser: _postgres, ...others } = profile.externalUserIds ?? {};
        return { ...profile, externalUserIds: others };
      };
      const after = await profiles();
      assert.deepEqual(
        after.map((profile) => Object.prototype.hasOwnProperty.call(profile.externalUserIds ?? {}, "postgresqlUser")),
        [false, false, false],
        "a user is not unset",
      );
      assert.deepEqual(after.map(withoutPostgres), profilesBefore.map(withoutPostgres));
    });
  });

  describe("on an Immuta without GET/PUT /data/connection/{key} for Lakebase, as documented", () => {
    let documented: Emulator;
    let quickstart: QuickstartStack;
    let up: EngineEvent[];
    let refreshOutput: string;
    let refresh: EngineEvent[];
    let destroy: EngineEvent[];

    before(async () => {
      documented = await startEmulator({ connectionApi: "documented" });
      quickstart = await createQuickstartStack({ emulator: documented, cli, prefix: "quickstart-e2e", program: "inline" });
      stacks.push(quickstart);
      up = (await recorded((onEvent) => quickstart.stack.up({ onEvent }))).events;
      const refreshed = await recorded((onEvent) => quickstart.stack.refresh({ onEvent, color: "never" }));
      refresh = refreshed.events;
      refreshOutput = refreshed.result.stdout;
      destroy = (await recorded((onEvent) => quickstart.stack.destroy({ onEvent }))).events;
    });

    after(async () => {
      await documented?.stop();
    });

    it("registers, refreshes without drift it cannot see while saying so once, and destroys", () => {
      assert.deepEqual(changedResources(up), allOf("create"));
      assert.deepEqual(refreshedInputs(refresh), {});
      const warnings = refresh.filter((event) => event.diagnosticEvent?.message.includes("warning: This Immuta does not show a Lakebase connection's settings"));
      assert.equal(warnings.length, 1, refreshOutput);
      assert.deepEqual(changedResources(destroy), allOf("delete"));
    });
  });

  describe("pulumi up in the repository root, through Pulumi.yaml", () => {
    let quickstart: QuickstartStack;
    let up: EngineEvent[];
    let preview: PreviewResult;
    let destroy: EngineEvent[];
    let stackFile: string;

    before(async function () {
      if (cli.languageHost.kind === "none") {
        console.log(`    skipped: a program folder needs a Node.js language host, and ${cli.languageHost.reason}`);
        this.skip();
      }
      quickstart = await freshStack("program-directory");
      stackFile = path.join(PROJECT_DIR, `Pulumi.${quickstart.name}.yaml`);
      up = (await recorded((onEvent) => quickstart.stack.up({ onEvent }))).events;
      preview = await quickstart.stack.preview();
      destroy = (await recorded((onEvent) => quickstart.stack.destroy({ onEvent }))).events;
    });

    it(`runs the program folder's quickstart through the Node.js language host: up, a no-change preview, destroy`, () => {
      assert.deepEqual(changedResources(up), allOf("create"));
      assert.deepEqual(preview.changeSummary, { same: 5 });
      assert.deepEqual(changedResources(destroy), allOf("delete"));
    });

    it("leaves no stack file in the repository once the stack is disposed of", async () => {
      await fs.access(stackFile);
      assert.deepEqual(await quickstart.dispose(), []);
      await assert.rejects(fs.access(stackFile), /ENOENT/);
    });
  });
});
