import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { startEmulator, type Emulator } from "../../emulator";
import { driftFromRefresh } from "../../examples/demo/drift";
import { ImmutaConsole } from "../../examples/demo/immutaConsole";
import { heldValues, makeOutsideChange, plannedOutsideChange, type OutsideChange } from "../../examples/demo/outsideChange";
import { findPulumiCli } from "../../examples/demo/pulumiCli";
import { createQuickstartStack, PROJECT_DIR, type QuickstartStack } from "../../examples/demo/quickstartStack";
import { EXTERNAL_USER_MAPPING_TYPE, LAKEBASE_CONNECTION_TYPE, summarisePlan, type PlanAction } from "../../examples/gitops/summary";
import { INSTALL_URL } from "../../examples/gitops/runner";
import { QUICKSTART_DEFAULTS } from "../../examples/quickstart/settings";

const DEMO = path.resolve(__dirname, "../../examples/demo/index.js");

/** `name action` for each of the quickstart's resources the operation changed, sorted. */
function changedResources(events: readonly EngineEvent[]): string[] {
  return summarisePlan(events)
    .rows.filter((row) => row.type === LAKEBASE_CONNECTION_TYPE || row.type === EXTERNAL_USER_MAPPING_TYPE)
    .map((row) => `${row.name} ${row.action}`)
    .sort();
}

function allOf(action: PlanAction): string[] {
  return ["lakebase", "none-mapping", "unset-mapping", "username-mapping"].map((name) => `${name} ${action}`);
}

describe("the quickstart through the Automation API (e2e)", function () {
  // Each step runs the Pulumi CLI, the program and the provider host for real.
  this.timeout(300_000);
  let emulator: Emulator | undefined;
  let quickstart: QuickstartStack;
  let immuta: ImmutaConsole;
  let change: OutsideChange;

  before(async function () {
    const cli = await findPulumiCli();
    if (!cli.found) {
      console.log(`    e2e skipped: no pulumi CLI on PATH (install from ${INSTALL_URL}); ${cli.reason}`);
      this.skip();
    }
    emulator = await startEmulator();
    quickstart = await createQuickstartStack(emulator, cli.command, "quickstart-e2e");
    immuta = await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey);
    change = plannedOutsideChange(emulator);
  });

  after(async () => {
    if (emulator === undefined) return;
    const problems = await quickstart?.dispose();
    await emulator.stop();
    assert.deepEqual(problems ?? [], []);
  });

  async function run<T>(operation: (onEvent: (event: EngineEvent) => void) => Promise<T>): Promise<{ result: T; events: EngineEvent[] }> {
    const events: EngineEvent[] = [];
    const result = await operation((event) => events.push(event));
    return { result, events };
  }

  it("up registers the connection and sets the three mappings", async () => {
    const { result, events } = await run((onEvent) => quickstart.stack.up({ onEvent }));
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(changedResources(events), allOf("create"));
    const outputs = Object.fromEntries(Object.entries(result.outputs).map(([key, output]) => [key, output.value]));
    assert.equal(outputs.connectionKey, QUICKSTART_DEFAULTS.connectionName);
    assert.equal(outputs.state, "active");
    assert.ok(typeof outputs.objectCount === "number" && outputs.objectCount > 0, `objectCount ${String(outputs.objectCount)}`);
    assert.deepEqual(outputs.effectiveUsernames, { username: QUICKSTART_DEFAULTS.postgresUsername, unset: QUICKSTART_DEFAULTS.unsetUser, none: null });
    assert.deepEqual(await heldValues(immuta, change), change.declared);
  });

  it("keeps the credentials out of the state in plain text", async () => {
    const state = JSON.stringify(await quickstart.stack.exportStack());
    for (const credential of [emulator?.apiKey, emulator?.clientSecret]) {
      assert.ok(credential !== undefined && !state.includes(credential), "a credential is in the state in plain text");
    }
  });

  it("previews no changes right after up", async () => {
    const result = await quickstart.stack.preview({ expectNoChanges: true });
    const changed = Object.entries(result.changeSummary).filter(([op, count]) => op !== "same" && (count ?? 0) > 0);
    assert.deepEqual(changed, []);
  });

  it("refresh records a change made in Immuta outside Pulumi as drift", async () => {
    await makeOutsideChange(immuta, change);
    const { result, events } = await run((onEvent) => quickstart.stack.refresh({ onEvent }));
    assert.equal(result.summary.resourceChanges?.update, 2);
    const drift = driftFromRefresh(events);
    const hostname = drift.find((resource) => resource.name === "lakebase")?.properties.find((property) => property.name === "hostname");
    assert.deepEqual(hostname && [hostname.before, hostname.after], [JSON.stringify(change.declared.hostname), JSON.stringify(change.edited.hostname)]);
    const mode = drift.find((resource) => resource.name === "username-mapping")?.properties.find((property) => property.name === "mode");
    assert.deepEqual(mode && [mode.before, mode.after], ['"username"', '"none"']);
  });

  it("up puts the declared values back, and a preview then shows no changes", async () => {
    const { events } = await run((onEvent) => quickstart.stack.up({ onEvent }));
    assert.deepEqual(changedResources(events), ["lakebase update", "username-mapping update"]);
    assert.deepEqual(await heldValues(immuta, change), change.declared);
    await quickstart.stack.preview({ expectNoChanges: true });
  });

  it("destroy deregisters the connection and returns the users to unset", async () => {
    const { events } = await run((onEvent) => quickstart.stack.destroy({ onEvent }));
    assert.deepEqual(changedResources(events), allOf("delete"));
    await assert.rejects(immuta.connectionHostname(change.connectionKey), /HTTP 404/);
    for (const userId of [QUICKSTART_DEFAULTS.usernameUser, QUICKSTART_DEFAULTS.unsetUser, QUICKSTART_DEFAULTS.noneUser]) {
      assert.equal(await immuta.postgresUsername({ iamId: QUICKSTART_DEFAULTS.iamId, userId }), undefined, userId);
    }
  });
});

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the compiled demo in its own process group, as a terminal runs a foreground job. */
function startDemo(env: NodeJS.ProcessEnv): { readonly pid: number; readonly output: () => string; readonly done: Promise<DemoRun> } {
  const child = spawn(process.execPath, [DEMO], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<DemoRun>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  assert.ok(child.pid !== undefined, "the demo did not start");
  return { pid: child.pid, output: () => stdout, done };
}

async function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

function postgresServingPort(port: number): boolean {
  const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  return processes.split("\n").some((line) => /\bpostgres -D /.test(line) && line.includes(` -p ${port} `));
}

function leftovers(): string[] {
  const stackConfigs = fs.readdirSync(PROJECT_DIR).filter((file) => /^Pulumi\.quickstart-demo-.*\.yaml$/.test(file));
  const tempDirs = fs.readdirSync(os.tmpdir()).filter((file) => file.startsWith("quickstart-demo-"));
  return [...stackConfigs, ...tempDirs];
}

describe("npm run demo", function () {
  this.timeout(120_000);

  it("without a pulumi CLI: says how to install it in one paragraph, exits non-zero and starts nothing", async () => {
    const emptyPath = fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
    try {
      const { code, stdout, stderr } = await startDemo({ ...process.env, PATH: emptyPath }).done;
      assert.equal(code, 2);
      assert.equal(stdout, "", "the demo started something");
      const paragraph = stderr.trim();
      assert.ok(!paragraph.includes("\n"), `more than one paragraph:\n${stderr}`);
      assert.match(paragraph, /no `pulumi` binary is on PATH/);
      assert.ok(paragraph.includes(INSTALL_URL));
      assert.match(paragraph, /`npm test` still covers the provider/);
    } finally {
      fs.rmSync(emptyPath, { recursive: true, force: true });
    }
  });

  it("on Ctrl-C: stops its emulator, removes its temporary stack and exits 130", async () => {
    const fakeCli = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    const calledMarker = path.join(fakeCli, "called");
    // Answers `pulumi version` like the real CLI, then blocks on the first stack command as a
    // long operation would, until Ctrl-C reaches it.
    fs.writeFileSync(
      path.join(fakeCli, "pulumi"),
      `#!/bin/sh\nif [ "$1" = version ]; then echo v3.200.0; exit 0; fi\ntouch '${calledMarker}'\nexec sleep 300\n`,
      { mode: 0o755 },
    );
    const before = leftovers();
    try {
      const demo = startDemo({ ...process.env, PATH: `${fakeCli}${path.delimiter}${process.env.PATH ?? ""}` });
      while (!fs.existsSync(calledMarker)) {
        const exited = await Promise.race([demo.done, delay(100).then(() => undefined)]);
        assert.equal(exited, undefined, `the demo ended before it reached the Pulumi CLI: ${JSON.stringify(exited)}`);
      }
      const started = /Immuta\s+\(emulated\)\s+at\s+(http:\/\/127\.0\.0\.1:(\d+));\s+Lakebase\s+\(PostgreSQL\)\s+at\s+[\w.]+:(\d+)/.exec(demo.output());
      assert.ok(started, `the demo did not say where its emulator runs:\n${demo.output()}`);
      const [immutaPort, postgresPort] = [Number(started[2]), Number(started[3])];
      assert.ok(postgresServingPort(postgresPort), "the emulator's PostgreSQL is not running before Ctrl-C");

      process.kill(-demo.pid, "SIGINT");
      const { code, stdout } = await demo.done;

      assert.equal(code, 130, stdout);
      assert.match(stdout, /Interrupted: stopping the emulator/);
      assert.ok(await refusesConnections(immutaPort), "the emulated Immuta still answers");
      assert.ok(!postgresServingPort(postgresPort), "the emulator's PostgreSQL still runs");
      assert.deepEqual(leftovers().filter((file) => !before.includes(file)), []);
    } finally {
      fs.rmSync(fakeCli, { recursive: true, force: true });
    }
  });
});
