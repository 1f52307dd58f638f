// ExternalUserMappings through the real Pulumi engine: a program that looks users up by email and
// maps them in one resource, through create, a reviewed change, its update and destroy.
import { strict as assert } from "node:assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { ImmutaConsole } from "../../automation/quickstart/immutaConsole";
import { createQuickstartStack, type QuickstartStack } from "../../automation/quickstart/stack";
import { renderPreviewSummary } from "../../automation/summary/markdown";
import { summarisePlan } from "../../automation/summary/plan";
import type { Emulator } from "../../emulator";
import { analystsProgram } from "../support/analystsProgram";
import { ExternalUserMappings } from "../../sdk";
import { clearFaults, requestLog, resetEmulator, setFaults, sharedEmulator } from "../support/emulator";
import { requirePulumiCli } from "../support/pulumiCli";
import { lastSeq } from "../support/resourceHost";

const USERS = ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com", "Frank@Example.com"];

describe("ExternalUserMappings through the real Pulumi engine (e2e)", function () {
  this.timeout(300_000);
  let emulator: Emulator;
  let quickstart: QuickstartStack;
  let immuta: ImmutaConsole;
  const rows = async () => Object.fromEntries(await Promise.all(USERS.map(async (userId) => [userId, await immuta.postgresUsername({ iamId: "bim", userId })])));

  let created: { rows: Record<string, unknown>; outputs: Record<string, unknown> };
  let preview: { stdout: string; events: EngineEvent[]; requests: string[] };
  let updated: Record<string, unknown>;
  let destroyed: Record<string, unknown>;

  before(async function () {
    const cli = await requirePulumiCli(this);
    emulator = await sharedEmulator();
    await resetEmulator(emulator);
    immuta = await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey);
    quickstart = await createQuickstartStack({ emulator, cli, prefix: "mappings-e2e", program: "inline", inlineProgram: analystsProgram });
    const { stack } = quickstart;

    const up = await stack.up();
    created = { rows: await rows(), outputs: up.outputs.effectiveUsernames?.value as Record<string, unknown> };

    await stack.setConfig("mappings", { value: "changed" });
    const events: EngineEvent[] = [];
    const since = await lastSeq(emulator);
    const { stdout } = await stack.preview({ diff: true, color: "never", onEvent: (event) => events.push(event) });
    const requests = (await requestLog(emulator, { since })).filter((entry) => entry.route !== "/bim/apikey/authenticate").map((entry) => `${entry.method} ${entry.route}`);
    preview = { stdout, events, requests };

    await stack.up();
    updated = await rows();
    await stack.destroy();
    destroyed = await rows();
  });

  after(async () => {
    assert.deepEqual((await quickstart?.dispose()) ?? [], []);
  });

  it("creates the mappings of the users found by email, keyed by userid", () => {
    assert.deepEqual(created, {
      rows: { "alice@example.com": "alice_pg", "bob@example.com": "bob", "carol@example.com": undefined, "dave@example.com": undefined, "Frank@Example.com": "frank" },
      outputs: { "alice@example.com": "alice_pg", "bob@example.com": "bob", "carol@example.com": "carol@example.com", "Frank@Example.com": "frank" },
    });
  });

  it("shows in pulumi preview --diff which users change, and the GitOps summary lists them, with only the program's own look-up reaching Immuta", () => {
    assert.match(preview.stdout, /~ alice@example\.com\s*: "alice_pg" => "alice_analyst"/);
    assert.match(preview.stdout, /- carol@example\.com\s*: \{\n\s*- mode: "unset"/);
    assert.match(preview.stdout, /\+ dave@example\.com\s*: \{\n\s*\+ mode: "none"/);
    assert.match(preview.stdout, /\n {12}bob@example\.com\s*: "bob"\n/, "an unchanged user is shown without a change marker");
    const row = summarisePlan(preview.events).rows.find((candidate) => candidate.name === "analysts");
    assert.deepEqual(row && [row.action, row.changes.map((change) => change.name)], ["update", ['users["alice@example.com"]', 'users["dave@example.com"]', 'users["carol@example.com"]']]);
    assert.match(renderPreviewSummary(preview.events), /users\\\["alice@example\.com"\\\]: "alice\\_pg" → "alice\\_analyst"/);
    assert.ok(preview.requests.length > 0 && preview.requests.every((request) => request === "GET /bim/user"), preview.requests.join(", "));
  });

  it("updates exactly the changed users", () => {
    assert.deepEqual(updated, { "alice@example.com": "alice_analyst", "bob@example.com": "bob", "carol@example.com": undefined, "dave@example.com": null, "Frank@Example.com": "frank" });
  });

  it("returns every user in it to unset on destroy", () => {
    assert.deepEqual(destroyed, { "alice@example.com": undefined, "bob@example.com": undefined, "carol@example.com": undefined, "dave@example.com": undefined, "Frank@Example.com": undefined });
  });

  describe("a failure part-way", () => {
    let partial: QuickstartStack;
    let failedUp: unknown;
    let recorded: unknown;
    let finishing: string[];
    let finished: Record<string, unknown>;

    before(async function () {
      const cli = await requirePulumiCli(this);
      await resetEmulator(emulator);
      immuta = await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey);
      const program = async () => {
        new ExternalUserMappings("analysts", { users: { "alice@example.com": "alice_pg", "carol@example.com": "carol_pg", "dave@example.com": { mode: "none" } } });
        return {};
      };
      partial = await createQuickstartStack({ emulator, cli, prefix: "mappings-partial-e2e", program: "inline", inlineProgram: program });
      await setFaults(emulator, { methods: ["PUT"], pathPrefix: "/bim/iam/bim/user/carol%40example.com/profile", rate5xx: 1, statuses5xx: [500] });
      failedUp = await partial.stack.up().then(() => undefined, (error: unknown) => error);
      await clearFaults(emulator);
      const { deployment } = (await partial.exportState()) as { deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] } };
      recorded = deployment.resources.find((resource) => resource.type.endsWith(":ExternalUserMappings"))?.outputs?.users;
      const since = await lastSeq(emulator);
      await partial.stack.up();
      finishing = (await requestLog(emulator, { since })).filter((entry) => entry.route !== "/bim/apikey/authenticate").map((entry) => `${entry.method} ${entry.url.split("?")[0]}`);
      finished = await rows();
      await partial.stack.destroy();
    });

    after(async () => {
      await clearFaults(emulator);
      assert.deepEqual((await partial?.dispose()) ?? [], []);
    });

    it("fails the up naming the user whose write failed, and the state records what Immuta holds", () => {
      assert.ok(failedUp instanceof Error && /Writing the mapping of user "carol@example\.com" failed/.test(failedUp.message), String(failedUp));
      assert.deepEqual(recorded, { "alice@example.com": "alice_pg", "carol@example.com": { mode: "none" }, "dave@example.com": { mode: "none" } });
    });

    it("is finished by the next up, which writes only the missing user", () => {
      assert.deepEqual(finishing, ["GET /bim/user", "GET /bim/iam/bim/user/carol%40example.com", "PUT /bim/iam/bim/user/carol%40example.com/profile"]);
      assert.deepEqual([finished["alice@example.com"], finished["carol@example.com"], finished["dave@example.com"]], ["alice_pg", "carol_pg", null]);
    });
  });
});
