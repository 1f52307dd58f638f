import { strict as assert } from "node:assert";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { DEFAULT_PREVIEW_SUMMARY, parseRunnerArgs, type ParsedRunnerArgs, type RunnerArgs } from "../../examples/gitops/args";
import { describeFailure, EXIT_CODES, INSTALL_URL, missingCliMessage } from "../../examples/gitops/runner";
import {
  CONNECTION_REMOVAL_REASON,
  escapeMarkdown,
  EXTERNAL_USER_MAPPING_TYPE,
  LAKEBASE_CONNECTION_TYPE,
  renderPreviewSummary,
  resourceNameFromUrn,
  summarisePlan,
  topLevelProperty,
  typeFromUrn,
  type PlanRow,
  type PlanSummary,
} from "../../examples/gitops/summary";

// Sources stay where they are: the compiled test runs from dist/tests/unit.
const FIXTURES = path.resolve(__dirname, "../../../tests/fixtures/engine-events");
const RUNNER = path.resolve(__dirname, "../../examples/gitops/runner.js");
const LEGACY_PLAINTEXT_SECRET = "legacy-Plaintext-Secret-7Qm2";

function fixtureText(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8");
}

function loadEvents(name: string): EngineEvent[] {
  // Recorded events are plain JSON: exactly what the Automation API hands to onEvent after JSON.parse.
  return JSON.parse(fixtureText(name)) as EngineEvent[];
}

function rowNamed(summary: PlanSummary, name: string): PlanRow {
  const row = summary.rows.find((candidate) => candidate.name === name);
  assert.ok(row, `expected a row for ${name}, got ${summary.rows.map((r) => r.name).join(", ")}`);
  return row;
}

function tableLine(markdown: string, name: string): string {
  const line = markdown.split("\n").find((candidate) => candidate.startsWith(`| ${name} |`));
  assert.ok(line, `expected a table row for ${name} in:\n${markdown}`);
  return line;
}

/** Cell separators GitHub sees: pipes not escaped by a backslash. */
function unescapedPipes(line: string): number {
  return line.replace(/\\./g, "").split("|").length - 1;
}

describe("gitops preview summary", () => {
  it("lists the creation of both resource types with every input, the client secret masked and __provider hidden", () => {
    const events = loadEvents("create");
    const summary = summarisePlan(events);

    assert.equal(summary.counts.create, 3);
    assert.equal(summary.unchanged, 0);
    const connection = rowNamed(summary, "analytics");
    assert.equal(connection.typeLabel, "LakebaseConnection");
    assert.equal(connection.type, LAKEBASE_CONNECTION_TYPE);
    assert.equal(connection.action, "create");
    assert.equal(connection.destructiveReason, null);
    assert.deepEqual(
      connection.changes.map((change) => change.name),
      ["adopt", "clientId", "clientSecret", "database", "displayName", "hostname", "port", "preflight", "workspaceUrl"],
    );
    const byName = new Map(connection.changes.map((change) => [change.name, change]));
    assert.deepEqual(byName.get("hostname")?.new, { kind: "value", text: '"instance-4f2a.database.cloud.databricks.com"' });
    assert.deepEqual(byName.get("port")?.new, { kind: "value", text: "5432" });
    assert.deepEqual(byName.get("clientSecret")?.new, { kind: "secret" });
    assert.deepEqual(byName.get("displayName")?.old, { kind: "absent" });

    const mapping = rowNamed(summary, "alice-postgres");
    assert.equal(mapping.typeLabel, "ExternalUserMapping");
    assert.equal(mapping.type, EXTERNAL_USER_MAPPING_TYPE);
    assert.equal(mapping.action, "create");
    assert.deepEqual(
      mapping.changes.map((change) => [change.name, change.new]),
      [
        ["iamId", { kind: "value", text: '"bim"' }],
        ["mode", { kind: "value", text: '"username"' }],
        ["postgresUsername", { kind: "value", text: '"alice_pg"' }],
        ["userId", { kind: "value", text: '"alice@example.com"' }],
      ],
    );
    assert.equal(rowNamed(summary, "lakebase-gitops-dev").typeLabel, "pulumi:pulumi:Stack");

    const markdown = renderPreviewSummary(events, { title: "Pulumi preview: stack dev" });
    assert.ok(markdown.startsWith("## Pulumi preview: stack dev\n\n**Changes:** 3 create\n"), markdown);
    assert.ok(markdown.includes("| Resource | Type | Action | Changes |"));
    assert.ok(tableLine(markdown, "analytics").includes("| LakebaseConnection | **create** | adopt: false<br>"));
    assert.ok(tableLine(markdown, "analytics").includes("clientSecret: [secret]<br>"));
    assert.ok(tableLine(markdown, "alice-postgres").includes('postgresUsername: "alice\\_pg"'));
    assert.ok(!markdown.includes("__provider"));
    assert.ok(!markdown.includes("exports.handler"));
    assert.ok(!markdown.includes("DESTRUCTIVE"));
  });

  it("shows a connection's hostname change and a mapping's username change as old → new", () => {
    const events = loadEvents("update");
    const summary = summarisePlan(events);

    assert.equal(summary.counts.update, 2);
    assert.equal(summary.unchanged, 1);
    // The connection's step carries no property diff (dynamic-provider style), so the inputs are compared;
    // its __provider text changed too and must not show.
    const connection = rowNamed(summary, "analytics");
    assert.deepEqual(connection.changes, [
      {
        name: "hostname",
        old: { kind: "value", text: '"instance-4f2a.database.cloud.databricks.com"' },
        new: { kind: "value", text: '"instance-9b1c.database.cloud.databricks.com"' },
        forcesReplacement: false,
      },
    ]);
    assert.equal(connection.id, "analytics");
    const mapping = rowNamed(summary, "alice-postgres");
    assert.deepEqual(mapping.changes, [
      {
        name: "postgresUsername",
        old: { kind: "value", text: '"alice_pg"' },
        new: { kind: "value", text: '"alice_analyst"' },
        forcesReplacement: false,
      },
    ]);

    const markdown = renderPreviewSummary(events);
    assert.ok(markdown.includes("**Changes:** 2 update · 1 unchanged"), markdown);
    assert.equal(
      tableLine(markdown, "analytics"),
      '| analytics | LakebaseConnection | **update** | hostname: "instance-4f2a.database.cloud.databricks.com" → "instance-9b1c.database.cloud.databricks.com" |',
    );
    assert.equal(
      tableLine(markdown, "alice-postgres"),
      '| alice-postgres | ExternalUserMapping | **update** | postgresUsername: "alice\\_pg" → "alice\\_analyst" |',
    );
    assert.ok(!markdown.includes("__provider"));
  });

  it("says so when an update changes only internal inputs such as __provider", () => {
    const events = loadEvents("update");
    const connection = events.find((event) => event.resourcePreEvent?.metadata.type === LAKEBASE_CONNECTION_TYPE)?.resourcePreEvent?.metadata;
    assert.ok(connection?.old && connection.new);
    connection.new.inputs["hostname"] = connection.old.inputs["hostname"];

    assert.deepEqual(rowNamed(summarisePlan(events), "analytics").changes, []);
    assert.equal(tableLine(renderPreviewSummary(events), "analytics"), "| analytics | LakebaseConnection | **update** | only internal properties changed |");
  });

  it("collapses create-replacement, replace and delete-replaced into one destructive replace row with a warning at the top", () => {
    const events = loadEvents("replace-connection");
    assert.deepEqual(
      events.filter((event) => event.resourcePreEvent?.metadata.type === LAKEBASE_CONNECTION_TYPE).map((event) => event.resourcePreEvent?.metadata.op),
      ["create-replacement", "replace", "delete-replaced"],
    );
    const summary = summarisePlan(events);

    assert.equal(summary.rows.length, 1);
    assert.equal(summary.counts.replace, 1);
    assert.equal(summary.unchanged, 2);
    const [row] = summary.rows;
    assert.equal(row?.name, "analytics");
    assert.equal(row?.action, "replace");
    assert.equal(row?.destructiveReason, CONNECTION_REMOVAL_REASON);
    assert.deepEqual(row?.changes, [
      { name: "displayName", old: { kind: "value", text: '"analytics"' }, new: { kind: "value", text: '"analytics_v2"' }, forcesReplacement: true },
    ]);

    const markdown = renderPreviewSummary(events);
    const lines = markdown.split("\n");
    assert.equal(lines[2], "> [!WARNING]");
    assert.ok(lines[3]?.startsWith("> **DESTRUCTIVE:** this plan replaces or deletes analytics (LakebaseConnection, replace)"), lines[3]);
    assert.ok(lines[3]?.includes("deregistering a connection removes its data sources from Immuta"));
    assert.equal(
      tableLine(markdown, "analytics"),
      '| analytics | LakebaseConnection | **replace** ⚠️ DESTRUCTIVE | displayName: "analytics" → "analytics\\_v2" (forces replacement) |',
    );
  });

  it("flags deleting a connection as destructive but not deleting a user mapping", () => {
    const summary = summarisePlan(loadEvents("delete"));

    assert.equal(summary.counts.delete, 2);
    assert.equal(summary.unchanged, 2);
    assert.equal(rowNamed(summary, "sales").destructiveReason, CONNECTION_REMOVAL_REASON);
    assert.equal(rowNamed(summary, "bob-postgres").destructiveReason, null);

    const markdown = renderPreviewSummary(loadEvents("delete"));
    const warning = markdown.split("\n").find((line) => line.startsWith("> **DESTRUCTIVE:**"));
    assert.ok(warning?.includes("sales (LakebaseConnection, delete)"), markdown);
    assert.ok(!warning?.includes("bob-postgres"));
    assert.equal(tableLine(markdown, "sales"), "| sales | LakebaseConnection | **delete** ⚠️ DESTRUCTIVE | id: sales |");
    assert.equal(tableLine(markdown, "bob-postgres"), "| bob-postgres | ExternalUserMapping | **delete** | id: bim/bob@example.com |");
  });

  it("renders a clientSecret change as [secret] and never lets the plain-text value through", () => {
    const text = fixtureText("secret-change");
    assert.ok(text.includes(LEGACY_PLAINTEXT_SECRET), "the fixture's old state must hold the plain-text secret for this test to mean anything");
    const events = loadEvents("secret-change");
    const summary = summarisePlan(events);

    assert.deepEqual(rowNamed(summary, "analytics").changes, [
      { name: "clientSecret", old: { kind: "secret" }, new: { kind: "secret" }, forcesReplacement: false },
    ]);
    const markdown = renderPreviewSummary(events);
    assert.equal(tableLine(markdown, "analytics"), "| analytics | LakebaseConnection | **update** | clientSecret: [secret] → [secret] |");
    for (const output of [markdown, JSON.stringify(summary)]) {
      assert.ok(!output.includes(LEGACY_PLAINTEXT_SECRET));
      assert.ok(!output.includes(escapeMarkdown(LEGACY_PLAINTEXT_SECRET)));
    }
  });

  it("masks secrets revealed inside an envelope, a nested clientSecret, and caller-known secrets in any value", () => {
    const events = loadEvents("create");
    const connection = events.find((event) => event.resourcePreEvent?.metadata.type === LAKEBASE_CONNECTION_TYPE)?.resourcePreEvent?.metadata;
    assert.ok(connection?.new);
    connection.new.inputs["clientSecret"] = {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      plaintext: JSON.stringify("revealed-envelope-secret"),
    };
    connection.new.inputs["extra"] = { oauth: { clientSecret: "nested-plain-secret" }, note: "key is job-env-secret-1234" };

    const markdown = renderPreviewSummary(events, { knownSecrets: ["job-env-secret-1234"] });

    assert.ok(tableLine(markdown, "analytics").includes("clientSecret: [secret]"));
    assert.ok(tableLine(markdown, "analytics").includes('extra: {"oauth":{"clientSecret":"\\[secret\\]"},"note":"key is \\[secret\\]"}'), markdown);
    for (const secret of ["revealed-envelope-secret", "nested-plain-secret", "job-env-secret-1234"]) {
      assert.ok(!markdown.includes(secret), `${secret} leaked`);
    }
  });

  it("shows an input that is unknown until apply as [unknown]", () => {
    const events = loadEvents("create");
    const mapping = events.find((event) => event.resourcePreEvent?.metadata.type === EXTERNAL_USER_MAPPING_TYPE)?.resourcePreEvent?.metadata;
    assert.ok(mapping?.new);
    mapping.new.inputs["postgresUsername"] = unknownValue;

    const row = rowNamed(summarisePlan(events), "alice-postgres");
    assert.deepEqual(row.changes.find((change) => change.name === "postgresUsername")?.new, { kind: "unknown" });
    assert.ok(tableLine(renderPreviewSummary(events), "alice-postgres").includes("postgresUsername: [unknown]<br>"));
  });

  it("says No changes for a plan of same steps only", () => {
    const events = loadEvents("no-changes");
    const summary = summarisePlan(events);

    assert.deepEqual(summary.rows, []);
    assert.equal(summary.unchanged, 3);
    assert.deepEqual(Object.values(summary.counts), [0, 0, 0, 0, 0, 0, 0]);
    assert.equal(renderPreviewSummary(events), "## Pulumi preview\n\n**No changes.** 3 resources unchanged.\n");
  });

  it("escapes pipes, backticks, newlines and Markdown syntax, and shortens long values", () => {
    const events = loadEvents("escaping");
    const summary = summarisePlan(events);
    const row = rowNamed(summary, "notes|`ops`");
    assert.equal(row.typeLabel, "pulumi-nodejs:dynamic:Resource");
    const runbook = row.changes.find((change) => change.name === "runbook")?.new;
    assert.ok(runbook?.kind === "value");
    assert.equal(Array.from(runbook.text).length, 80);
    assert.ok(runbook.text.endsWith("…"));

    const markdown = renderPreviewSummary(events, { title: "preview | `dev`\nstack" });
    assert.ok(markdown.startsWith("## preview \\| \\`dev\\`<br>stack\n"), markdown);
    const line = tableLine(markdown, "notes\\|\\`ops\\`");
    assert.equal(unescapedPipes(line), 5, line);
    assert.ok(
      line.includes(
        'description: "first \\| second\\\\nthird \\`code\\` \\*bold\\* \\<b\\>x\\</b\\> \\[link\\](https://example.com)"',
      ),
      line,
    );
    assert.ok(line.includes('tags: {"cost-center":"42","owner":"data\\|platform"}'), line);
    for (const tableRow of markdown.split("\n").filter((l) => l.startsWith("| "))) {
      assert.equal(unescapedPipes(tableRow), 5, tableRow);
    }
    assert.equal(escapeMarkdown("a|b`c\r\nd*e_f<g>&h"), "a\\|b\\`c<br>d\\*e\\_f\\<g\\>\\&h");
  });

  it("lists error diagnostics without colour codes, ignores info and warnings, and does not claim no changes", () => {
    const events = loadEvents("preview-error");
    const summary = summarisePlan(events);

    assert.deepEqual(summary.errors, [
      {
        resource: "analytics",
        typeLabel: "LakebaseConnection",
        message:
          "pulumi-nodejs:dynamic/immuta:LakebaseConnection resource 'analytics' has a problem: displayName: must match ^[A-Za-z0-9_-]+$ and contain no periods (got \"analytics.v2\")",
      },
      { resource: "lakebase-gitops-dev", typeLabel: "pulumi:pulumi:Stack", message: "preview failed: 1 resource had check failures" },
    ]);
    const markdown = renderPreviewSummary(events);
    assert.ok(markdown.includes("### Errors\n\n- **analytics** (LakebaseConnection): pulumi-nodejs:dynamic/immuta:LakebaseConnection resource 'analytics' has a problem"));
    assert.ok(markdown.includes("**No resource changes were recorded before the failure.**"));
    assert.ok(!markdown.includes("No changes."));
    assert.ok(!markdown.includes("<{%"));
    assert.ok(!markdown.includes("preflight is disabled"));
  });

  it("marks a failed up operation, scrubs the secret its error echoed, and states the failure on top", () => {
    const events = loadEvents("up-failed");
    const summary = summarisePlan(events);

    assert.equal(rowNamed(summary, "analytics").failed, true);
    assert.equal(rowNamed(summary, "carol-postgres").failed, false);
    assert.ok(summary.errors[0]?.message.includes("OAuth client secret '[secret]' was rejected"), summary.errors[0]?.message);

    const markdown = renderPreviewSummary(events, { title: "Pulumi up: stack dev", failure: "error: update failed" });
    assert.ok(markdown.startsWith("## Pulumi up: stack dev\n\n> [!CAUTION]\n> **The operation failed**"), markdown);
    assert.ok(tableLine(markdown, "analytics").includes("**update** ❌ failed"));
    assert.ok(!markdown.includes(LEGACY_PLAINTEXT_SECRET));
  });

  it("orders events by sequence number, whatever order they arrive in", () => {
    const events = loadEvents("replace-connection");
    assert.deepEqual(summarisePlan([...events].reverse()), summarisePlan(events));
  });

  it("reads names and types from URNs and top-level properties from diff paths", () => {
    const child = "urn:pulumi:dev::proj::my:index:Group$pulumi-nodejs:dynamic/immuta:LakebaseConnection::analytics";
    assert.equal(resourceNameFromUrn(child), "analytics");
    assert.equal(typeFromUrn(child), LAKEBASE_CONNECTION_TYPE);
    assert.equal(topLevelProperty("tags.env"), "tags");
    assert.equal(topLevelProperty("grants[0].role"), "grants");
    assert.equal(topLevelProperty('["a.b"].c'), "a.b");
    assert.equal(topLevelProperty("hostname"), "hostname");
  });
});

describe("gitops runner arguments", () => {
  const cwd = path.resolve("/srv/checkout");

  function expectRun(parsed: ParsedRunnerArgs): RunnerArgs {
    assert.equal(parsed.kind, "run", JSON.stringify(parsed));
    return (parsed as Extract<ParsedRunnerArgs, { kind: "run" }>).args;
  }

  function expectProblems(parsed: ParsedRunnerArgs): readonly string[] {
    assert.equal(parsed.kind, "invalid", JSON.stringify(parsed));
    return (parsed as Extract<ParsedRunnerArgs, { kind: "invalid" }>).problems;
  }

  it("defaults the work dir to the current directory and the preview summary to pulumi-preview.md", () => {
    assert.deepEqual(expectRun(parseRunnerArgs(["preview", "--stack", "dev"], cwd)), {
      command: "preview",
      stackName: "dev",
      workDir: cwd,
      summaryPath: path.join(cwd, DEFAULT_PREVIEW_SUMMARY),
    });
  });

  it("resolves --work-dir and --summary against the current directory; up writes a summary only on request", () => {
    assert.deepEqual(expectRun(parseRunnerArgs(["up", "--stack", "acme/lakebase/prod", "--work-dir", "infra"], cwd)), {
      command: "up",
      stackName: "acme/lakebase/prod",
      workDir: path.join(cwd, "infra"),
      summaryPath: null,
    });
    assert.equal(expectRun(parseRunnerArgs(["up", "--stack", "prod", "--summary", "out/up.md"], cwd)).summaryPath, path.join(cwd, "out/up.md"));
    assert.equal(expectRun(parseRunnerArgs(["preview", "--stack=dev", "--summary", "/tmp/p.md"], cwd)).summaryPath, "/tmp/p.md");
  });

  it("reports every problem at once, naming the argument", () => {
    assert.deepEqual(expectProblems(parseRunnerArgs([], cwd)), [
      "the first argument must be the command: preview or up",
      "--stack is required: name the stack to preview or update, e.g. --stack dev",
    ]);
    assert.deepEqual(expectProblems(parseRunnerArgs(["destroy", "--stack", "dev"], cwd)), ["the first argument must be the command: preview or up"]);
    assert.match(expectProblems(parseRunnerArgs(["preview", "--stack", "my stack"], cwd))[0] ?? "", /^--stack must be a stack name/);
    assert.deepEqual(expectProblems(parseRunnerArgs(["preview", "up", "--stack", "dev"], cwd)), ["only one command is allowed: preview or up"]);
    assert.deepEqual(expectProblems(parseRunnerArgs(["preview", "--stack", "dev", "--summary", ""], cwd)), ["--summary must not be empty"]);
    assert.match(expectProblems(parseRunnerArgs(["preview", "--stak", "dev"], cwd))[0] ?? "", /Unknown option '--stak'/);
    assert.match(expectProblems(parseRunnerArgs(["preview", "--stack"], cwd))[0] ?? "", /--stack/);
  });

  it("recognises --help and -h", () => {
    assert.deepEqual(parseRunnerArgs(["--help"], cwd), { kind: "help" });
    assert.deepEqual(parseRunnerArgs(["preview", "-h"], cwd), { kind: "help" });
  });

  it("explains a missing CLI in one paragraph and keeps a non-ENOENT reason", () => {
    const missing = missingCliMessage(new Error("code: -2\n stdout: \n stderr: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT"));
    assert.equal(missing.trimEnd().split("\n").length, 1);
    assert.ok(missing.includes("the Pulumi CLI is required") && missing.includes(INSTALL_URL));
    assert.ok(!missing.includes("ENOENT"));
    const tooOld = missingCliMessage(new Error("Minimum version requirement failed. The minimum CLI version requirement is 3.2.0"));
    assert.ok(tooOld.includes("Minimum version requirement failed"));
  });

  it("describes a failure by the exit code and the CLI's error lines, or the first line of other errors, without known secrets", () => {
    // The shape of a CommandError for a CLI that exited non-zero: execa's message inside the result dump.
    const commandError = new Error(
      "code: -2\n stdout: \n stderr: Command failed with exit code 255: pulumi up --yes --stack dev\n" +
        "error: update failed for key s3cret-key-value\nUpdating (dev)\n err?: Error: Command failed with exit code 255\n",
    );
    assert.equal(describeFailure(commandError, ["s3cret-key-value"]), "exit code 255: error: update failed for key [secret]");
    assert.equal(describeFailure(new Error("no Pulumi.yaml found\n    at stack"), []), "no Pulumi.yaml found");
  });
});

describe("gitops runner process", () => {
  let scratch: string;

  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-runner-"));
  });

  afterEach(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  function runRunner(args: readonly string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, [RUNNER, ...args], { cwd: scratch, env, encoding: "utf8", timeout: 30_000 });
  }

  it("prints the install paragraph and exits 2 when PATH has no pulumi binary", () => {
    // PATH names only an empty folder, so no pulumi can be found whatever this machine has installed.
    const emptyBin = path.join(scratch, "empty-bin");
    fs.mkdirSync(emptyBin);
    const result = runRunner(["preview", "--stack", "dev"], { ...process.env, PATH: emptyBin });

    assert.equal(result.status, EXIT_CODES.cliMissing, result.stderr);
    assert.ok(result.stderr.includes("the Pulumi CLI is required"), result.stderr);
    assert.ok(result.stderr.includes(INSTALL_URL));
    assert.ok(!fs.existsSync(path.join(scratch, DEFAULT_PREVIEW_SUMMARY)));
  });

  it("prints the usage and exits 64 on invalid arguments", () => {
    const result = runRunner(["apply", "--stack", "dev"], process.env);

    assert.equal(result.status, EXIT_CODES.usage);
    assert.ok(result.stderr.includes("gitops runner: the first argument must be the command: preview or up"), result.stderr);
    assert.ok(result.stderr.includes("Usage: node dist/examples/gitops/runner.js <preview|up>"));
  });

  describe("through the Automation API, with a stand-in pulumi binary", () => {
    // The stand-in reports a CLI version older than 3.205 so that the Automation API takes events from the
    // --event-log file, which it fills from a recorded fixture; it logs every invocation for the assertions.
    const STAND_IN = `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STAND_IN_LOG, JSON.stringify(args) + "\\n");
if (args[0] === "version") { process.stdout.write("v3.200.0\\n"); process.exit(0); }
const at = args.indexOf("--event-log");
if (at >= 0) {
  const events = JSON.parse(fs.readFileSync(process.env.STAND_IN_EVENTS, "utf8"));
  fs.appendFileSync(args[at + 1], events.map((event) => JSON.stringify(event) + "\\n").join(""));
  process.stdout.write(args[0] + " (dev): engine output\\n");
}
if (process.env.STAND_IN_FAIL && args[0] === process.env.STAND_IN_FAIL) {
  process.stderr.write("error: update failed; IMMUTA_API_KEY was " + process.env.IMMUTA_API_KEY + "\\n");
  process.exit(255);
}
`;
    let env: NodeJS.ProcessEnv;
    let project: string;
    let standInLog: string;
    let stepSummary: string;

    beforeEach(() => {
      const bin = path.join(scratch, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, "pulumi"), STAND_IN, { mode: 0o755 });
      project = path.join(scratch, "project");
      fs.mkdirSync(project);
      fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: lakebase-gitops\nruntime: nodejs\n");
      standInLog = path.join(scratch, "invocations.log");
      stepSummary = path.join(scratch, "step-summary.md");
      fs.writeFileSync(stepSummary, "earlier step\n");
      env = {
        ...process.env,
        PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}`,
        STAND_IN_LOG: standInLog,
        GITHUB_STEP_SUMMARY: stepSummary,
        IMMUTA_API_KEY: "immuta-api-key-from-env-0042",
      };
    });

    function invocations(): string[][] {
      return fs
        .readFileSync(standInLog, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as string[]);
    }

    it("previews, writes the summary file and appends it to GITHUB_STEP_SUMMARY", () => {
      const result = runRunner(["preview", "--stack", "dev", "--work-dir", project], {
        ...env,
        STAND_IN_EVENTS: path.join(FIXTURES, "replace-connection.json"),
      });

      assert.equal(result.status, EXIT_CODES.ok, result.stderr);
      assert.ok(result.stdout.includes("preview (dev): engine output"), result.stdout);
      const preview = invocations().find((args) => args[0] === "preview");
      assert.ok(preview?.includes("--stack") && preview.includes("dev") && preview.includes("--non-interactive"), JSON.stringify(preview));
      const written = fs.readFileSync(path.join(scratch, DEFAULT_PREVIEW_SUMMARY), "utf8");
      assert.equal(written, renderPreviewSummary(loadEvents("replace-connection"), { title: "Pulumi preview: stack dev" }));
      assert.equal(fs.readFileSync(stepSummary, "utf8"), `earlier step\n${written}\n`);
    });

    it("exits 1 when up fails, says why without any secret, and still records what happened", () => {
      const summaryPath = path.join(scratch, "up.md");
      const result = runRunner(["up", "--stack", "dev", "--work-dir", project, "--summary", summaryPath], {
        ...env,
        STAND_IN_EVENTS: path.join(FIXTURES, "up-failed.json"),
        STAND_IN_FAIL: "up",
      });

      assert.equal(result.status, EXIT_CODES.failed, result.stderr);
      const up = invocations().find((args) => args[0] === "up");
      assert.ok(up?.includes("--yes") && up.includes("--skip-preview"), JSON.stringify(up));
      assert.ok(result.stderr.includes("gitops runner: pulumi up failed for stack dev: exit code 255: error: update failed; IMMUTA_API_KEY was [secret]"), result.stderr);
      const written = fs.readFileSync(summaryPath, "utf8");
      assert.ok(written.includes("**The operation failed**"), written);
      assert.ok(tableLine(written, "analytics").includes("❌ failed"));
      for (const output of [result.stdout, result.stderr, written, fs.readFileSync(stepSummary, "utf8")]) {
        assert.ok(!output.includes("immuta-api-key-from-env-0042"));
        assert.ok(!output.includes(LEGACY_PLAINTEXT_SECRET));
      }
    });

    it("refuses a work dir without Pulumi.yaml", () => {
      const result = runRunner(["preview", "--stack", "dev", "--work-dir", scratch], { ...env, STAND_IN_EVENTS: path.join(FIXTURES, "create.json") });

      assert.equal(result.status, EXIT_CODES.usage);
      assert.ok(result.stderr.includes(`no Pulumi.yaml in ${scratch}`), result.stderr);
      assert.ok(!invocations().some((args) => args[0] === "preview"));
    });
  });
});
