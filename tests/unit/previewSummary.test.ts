// The reviewer's summary, on engine events recorded from the real Pulumi CLI
// (tests/fixtures/recordEngineEvents.ts wrote them; nobody edits them by hand).
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { escapeMarkdown, MAX_SUMMARY_LENGTH, renderPreviewSummary } from "../../automation/summary/markdown";
import { summarisePlan, topLevelProperty, type PlanRow, type PlanSummary } from "../../automation/summary/plan";
import { CONNECTION_REMOVAL_REASON } from "../../automation/summary/policy";
import { resourceNameFromUrn, typeFromUrn } from "../../automation/events/diagnostics";
import { EXTERNAL_USER_MAPPING_TYPE, LAKEBASE_CONNECTION_TYPE } from "../../sdk";
import { STAND_INS } from "../support/recording";

// Sources stay where they are: the compiled test runs from dist/tests/unit.
const FIXTURES = path.resolve(__dirname, "../../../tests/fixtures/engine-events");
/** The secret the secret-change scenario rotates to: it must appear nowhere. */
const ROTATED_SECRET = "dose-rotated-secret-0123456789abcdef";

function fixtureText(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8");
}

/** Recorded events are plain JSON: exactly what the Automation API hands to onEvent. */
function loadEvents(name: string): EngineEvent[] {
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

/** The step metadata the engine sent before it acted on `name`. */
function preStep(events: readonly EngineEvent[], name: string) {
  const meta = events.find((event) => event.resourcePreEvent && resourceNameFromUrn(event.resourcePreEvent.metadata.urn) === name)?.resourcePreEvent?.metadata;
  assert.ok(meta?.new, `no step for ${name}`);
  return meta;
}

const value = (text: string) => ({ kind: "value", text }) as const;

describe("the reviewer's summary of a plan (recorded engine events)", () => {
  it("lists a creation with every input, the client secret masked, __provider hidden, and leaves out the engine's own stack and provider", () => {
    const events = loadEvents("create");
    const summary = summarisePlan(events);

    assert.deepEqual(summary.counts, { create: 4, update: 0, replace: 0, delete: 0, read: 0, import: 0, discard: 0 });
    assert.equal(summary.unchanged, 0);
    assert.deepEqual(rowNamed(summary, "lakebase"), {
      urn: `urn:pulumi:${STAND_INS.stackName}::immuta-lakebase-quickstart::${LAKEBASE_CONNECTION_TYPE}::lakebase`,
      name: "lakebase",
      type: LAKEBASE_CONNECTION_TYPE,
      typeLabel: "LakebaseConnection",
      action: "create",
      id: null,
      destructiveReason: null,
      failed: false,
      changes: [
        ["adopt", value("false")],
        ["clientId", value(`"${STAND_INS.clientId}"`)],
        ["clientSecret", { kind: "secret" }],
        ["database", value('"databricks_postgres"')],
        ["displayName", value('"lakebase_quickstart"')],
        ["hostname", value('"127.0.0.1"')],
        ["port", value(STAND_INS.lakebasePort)],
        ["preflight", value("true")],
        ["workspaceUrl", value(`"${STAND_INS.immutaUrl}"`)],
      ].map(([name, shown]) => ({ name, old: { kind: "absent" }, new: shown, forcesReplacement: false, secretChange: false })),
      unlistedKeys: {},
    });
    assert.deepEqual(
      rowNamed(summary, "username-mapping").changes.map((change) => [change.name, change.new]),
      [
        ["iamId", value('"bim"')],
        ["mode", value('"username"')],
        ["postgresUsername", value('"bob"')],
        ["userId", value('"bob@example.com"')],
      ],
    );

    const markdown = renderPreviewSummary(events, { title: "Pulumi preview: stack dev" });
    assert.ok(markdown.startsWith("## Pulumi preview: stack dev\n\n**Changes:** 4 create\n\n| Resource | Type | Action | Changes |\n"), markdown);
    assert.ok(tableLine(markdown, "lakebase").includes("| LakebaseConnection | **create** | adopt: false<br>"));
    assert.ok(tableLine(markdown, "lakebase").includes("clientSecret: [secret]<br>"));
    assert.ok(tableLine(markdown, "username-mapping").includes('postgresUsername: "bob"'));
    for (const absent of ["__provider", "exports.handler", "DESTRUCTIVE", "pulumi:pulumi:Stack", "pulumi:providers"]) assert.ok(!markdown.includes(absent), absent);
  });

  it("shows a connection's hostname change and a mapping's username change as old → new", () => {
    const events = loadEvents("update");
    const summary = summarisePlan(events);

    assert.deepEqual(
      summary.rows.map((row) => [row.name, row.action, row.changes]),
      [
        ["lakebase", "update", [{ name: "hostname", old: value('"127.0.0.1"'), new: value('"localhost"'), forcesReplacement: false, secretChange: false }]],
        ["username-mapping", "update", [{ name: "postgresUsername", old: value('"bob"'), new: value('"robert"'), forcesReplacement: false, secretChange: false }]],
      ],
    );
    const markdown = renderPreviewSummary(events);
    assert.ok(markdown.includes("**Changes:** 2 update · 2 unchanged"), markdown);
    assert.equal(tableLine(markdown, "lakebase"), '| lakebase | LakebaseConnection | **update** | hostname: "127.0.0.1" → "localhost" |');
    assert.equal(tableLine(markdown, "username-mapping"), '| username-mapping | ExternalUserMapping | **update** | postgresUsername: "bob" → "robert" |');
  });

  it("lists a map property's changed keys, each user of ExternalUserMappings old → new, not one cut-off value", () => {
    const events = loadEvents("mappings-update");
    const row = rowNamed(summarisePlan(events), "analysts");
    const absent = { kind: "absent" } as const;
    assert.deepEqual([row.typeLabel, row.action, row.unlistedKeys], ["ExternalUserMappings", "update", {}]);
    assert.deepEqual(
      row.changes,
      [
        ['users["alice@example.com"]', value('"alice_pg"'), value('"alice_analyst"')],
        ['users["dave@example.com"]', absent, value('{"mode":"none"}')],
        ['users["carol@example.com"]', value('{"mode":"unset"}'), absent],
      ].map(([name, old, shown]) => ({ name, old, new: shown, forcesReplacement: false, secretChange: false })),
    );
    assert.equal(
      tableLine(renderPreviewSummary(events), "analysts"),
      `| analysts | ExternalUserMappings | **update** | ${escapeMarkdown('users["alice@example.com"]: "alice_pg" → "alice_analyst"')}<br>` +
        `${escapeMarkdown('users["dave@example.com"]: — → {"mode":"none"}')}<br>${escapeMarkdown('users["carol@example.com"]: {"mode":"unset"} → —')} |`,
    );
  });

  it("lists the first 25 keys of a map property and counts the rest, so that one resource of thousands of users leaves room for the others", () => {
    const events = loadEvents("mappings-create");
    const row = rowNamed(summarisePlan(events), "everyone");
    const users = row.changes.filter((change) => change.name.startsWith("users["));
    assert.deepEqual([users.length, users[0], row.unlistedKeys], [25, { name: 'users["user00@example.com"]', old: { kind: "absent" }, new: value('"pg_user_0"'), forcesReplacement: false, secretChange: false }, { users: 5 }]);
    assert.ok(tableLine(renderPreviewSummary(events), "everyone").endsWith("<br>users: 5 more keys not listed |"));
  });

  it("keeps what the provider could only say in words, such as how many users exclusive: true will return to unset, which preview --diff leaves out", () => {
    const events = loadEvents("mappings-exclusive");
    const { notes, rows } = summarisePlan(events);
    assert.equal(notes.length, 1);
    assert.match(
      notes[0],
      /^ExternalUserMappings <bim\/mappings-1>: exclusive: true returns to unset 1 other user of IAM "bim" with a PostgreSQL username, as counted by the last pulumi up or refresh \(pulumi preview --refresh counts again\); the update acts on what Immuta holds then\.$/,
    );
    assert.deepEqual(rows.map((row) => [row.name, row.action, row.changes.map((change) => change.name)]), [["analysts", "update", ["exclusive"]]]);
    const markdown = renderPreviewSummary(events);
    assert.ok(markdown.includes(`### From the provider\n\n- ${escapeMarkdown(notes[0])}\n\n| Resource |`), markdown);
    assert.deepEqual(summarisePlan(loadEvents("update")).notes, [], "a preview in which the provider said nothing has no notes");
  });

  it("names a rotated client secret as the change, though the engine masks both values alike, and never shows it", () => {
    const text = fixtureText("secret-change");
    assert.ok(!text.includes(ROTATED_SECRET), "the engine itself leaked the rotated secret into its events");
    const events = loadEvents("secret-change");
    const summary = summarisePlan(events);

    assert.deepEqual(rowNamed(summary, "lakebase").changes, [{ name: "clientSecret", old: { kind: "secret" }, new: { kind: "secret" }, forcesReplacement: false, secretChange: true }]);
    assert.equal(
      tableLine(renderPreviewSummary(events), "lakebase"),
      "| lakebase | LakebaseConnection | **update** | clientSecret: [secret] → [secret] (no visible input changed, so this secret did) |",
    );
  });

  it("says so when an update changes only internal inputs such as __provider", () => {
    const events = loadEvents("update");
    const step = preStep(events, "username-mapping");
    assert.ok(step.old);
    step.new!.inputs["postgresUsername"] = step.old.inputs["postgresUsername"];

    assert.deepEqual(rowNamed(summarisePlan(events), "username-mapping").changes, []);
    assert.equal(tableLine(renderPreviewSummary(events), "username-mapping"), "| username-mapping | ExternalUserMapping | **update** | only internal properties changed |");
  });

  it("collapses a connection's create-replacement, replace and delete-replaced into one destructive row, with a warning at the top", () => {
    const events = loadEvents("replace-connection");
    const summary = summarisePlan(events);

    assert.deepEqual(summary.rows.map((row) => [row.name, row.action, row.destructiveReason]), [["lakebase", "replace", CONNECTION_REMOVAL_REASON]]);
    assert.equal(summary.unchanged, 3);
    assert.deepEqual(rowNamed(summary, "lakebase").changes, [
      { name: "displayName", old: value('"lakebase_quickstart"'), new: value('"lakebase_quickstart_v2"'), forcesReplacement: true, secretChange: false },
    ]);
    const lines = renderPreviewSummary(events).split("\n");
    assert.deepEqual(lines.slice(2, 4), [
      "> [!WARNING]",
      "> **DESTRUCTIVE:** this plan replaces or deletes lakebase (LakebaseConnection, replace). Review before merging: deregistering a connection removes its data sources from Immuta.",
    ]);
    assert.equal(
      tableLine(lines.join("\n"), "lakebase"),
      '| lakebase | LakebaseConnection | **replace** ⚠️ DESTRUCTIVE | displayName: "lakebase\\_quickstart" → "lakebase\\_quickstart\\_v2" (forces replacement) |',
    );
  });

  it("shows a mapping's userId change as a replacement that destroys nothing", () => {
    const markdown = renderPreviewSummary(loadEvents("replace-mapping"));
    assert.equal(
      tableLine(markdown, "username-mapping"),
      '| username-mapping | ExternalUserMapping | **replace** | userId: "bob@example.com" → "dave@example.com" (forces replacement) |',
    );
    assert.ok(!markdown.includes("DESTRUCTIVE"));
  });

  it("flags deleting the connection as destructive but not deleting the mappings", () => {
    const summary = summarisePlan(loadEvents("delete"));

    assert.deepEqual(summary.counts.delete, 4);
    assert.deepEqual(
      summary.rows.map((row) => [row.name, row.destructiveReason]).sort(),
      [
        ["lakebase", CONNECTION_REMOVAL_REASON],
        ["none-mapping", null],
        ["unset-mapping", null],
        ["username-mapping", null],
      ],
    );
    const markdown = renderPreviewSummary(loadEvents("delete"));
    assert.equal(tableLine(markdown, "lakebase"), "| lakebase | LakebaseConnection | **delete** ⚠️ DESTRUCTIVE | id: lakebase\\_quickstart |");
    assert.equal(tableLine(markdown, "username-mapping"), "| username-mapping | ExternalUserMapping | **delete** | id: bim/bob@example.com |");
  });

  it("says No changes when nothing changes", () => {
    const events = loadEvents("no-changes");
    assert.deepEqual(summarisePlan(events).rows, []);
    assert.equal(renderPreviewSummary(events), "## Pulumi preview\n\n**No changes.** 4 resources unchanged.\n");
  });

  it("lists check failures first, in our words, and does not claim there are no changes", () => {
    const events = loadEvents("preview-error");
    const summary = summarisePlan(events);
    const prefix = `${LAKEBASE_CONNECTION_TYPE} resource 'lakebase': property`;

    assert.deepEqual(summary.errors, [
      {
        resource: "lakebase",
        typeLabel: "LakebaseConnection",
        message: `${prefix} displayName value {lakebase.v2} has a problem: may contain only letters, digits, hyphens and underscores (no periods or spaces), because it becomes the Immuta connectionKey`,
      },
      { resource: "lakebase", typeLabel: "LakebaseConnection", message: `${prefix} port value {70000} has a problem: must be at most 65535` },
    ]);
    assert.equal(
      renderPreviewSummary(events),
      [
        "## Pulumi preview",
        "",
        "**No resource changes were recorded before the failure.**",
        "",
        "### Errors",
        "",
        `- **lakebase** (LakebaseConnection): ${escapeMarkdown(summary.errors[0]!.message)}`,
        `- **lakebase** (LakebaseConnection): ${escapeMarkdown(summary.errors[1]!.message)}`,
        "",
      ].join("\n"),
    );
  });

  it("marks the resource whose create failed, keeps our error (not the engine's generic one) and states the failure on top", () => {
    const events = loadEvents("up-failed");
    const summary = summarisePlan(events);

    assert.equal(rowNamed(summary, "lakebase").failed, true);
    assert.deepEqual(
      summary.errors.map((error) => error.message.split("\n", 2)[1]),
      [`- The service principal ${STAND_INS.lacksCreateRoleClientId} lacks CREATEROLE in database databricks_postgres at 127.0.0.1:<port>, which Immuta needs to manage users' roles.`],
    );
    const markdown = renderPreviewSummary(events, { title: "Pulumi up: stack dev", failure: "lakebase: Preflight failed" });
    assert.ok(markdown.startsWith("## Pulumi up: stack dev\n\n> [!CAUTION]\n> **The operation failed**, so the plan below may be incomplete: lakebase: Preflight failed\n"), markdown);
    assert.ok(tableLine(markdown, "lakebase").includes("**create** ❌ failed"));
  });

  it("masks secrets revealed inside an envelope, a nested clientSecret, and caller-known secrets in any value", () => {
    const events = loadEvents("create");
    const inputs = preStep(events, "lakebase").new!.inputs;
    inputs["clientSecret"] = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify("revealed-envelope-secret") };
    inputs["extra"] = { oauth: { clientSecret: "nested-plain-secret" }, note: "key is job-env-secret-1234" };

    const markdown = renderPreviewSummary(events, { knownSecrets: ["job-env-secret-1234"] });

    assert.ok(tableLine(markdown, "lakebase").includes("clientSecret: [secret]"));
    assert.ok(tableLine(markdown, "lakebase").includes('extra\\["oauth"\\]: {"clientSecret":"\\[secret\\]"}<br>extra\\["note"\\]: "key is \\[secret\\]"'), markdown);
    for (const secret of ["revealed-envelope-secret", "nested-plain-secret", "job-env-secret-1234"]) assert.ok(!markdown.includes(secret), `${secret} leaked`);
  });

  it("shows an input that is unknown until apply as [unknown]", () => {
    const events = loadEvents("create");
    preStep(events, "username-mapping").new!.inputs["postgresUsername"] = unknownValue;

    assert.deepEqual(rowNamed(summarisePlan(events), "username-mapping").changes.find((change) => change.name === "postgresUsername")?.new, { kind: "unknown" });
    assert.ok(tableLine(renderPreviewSummary(events), "username-mapping").includes("postgresUsername: [unknown]<br>"));
  });

  it("escapes pipes, backticks, newlines and Markdown syntax in names and values, and shortens long values", () => {
    const events = loadEvents("escaping");
    const summary = summarisePlan(events);
    const long = rowNamed(summary, "long").changes.find((change) => change.name === "userId")?.new;
    assert.ok(long?.kind === "value");
    assert.equal(Array.from(long.text).length, 80);
    assert.ok(long.text.endsWith("…"));

    const markdown = renderPreviewSummary(events, { title: "preview | `dev`\nstack" });
    assert.ok(markdown.startsWith("## preview \\| \\`dev\\`<br>stack\n"), markdown);
    const line = tableLine(markdown, "notes\\|\\`ops\\`");
    assert.ok(line.includes('postgresUsername: "line\\\\nbreak"<br>userId: "first \\| second \\`code\\` \\*bold\\* \\<b\\>x\\</b\\> \\[link\\](https://example.com)"'), line);
    for (const tableRow of markdown.split("\n").filter((l) => l.startsWith("| "))) assert.equal(unescapedPipes(tableRow), 5, tableRow);
    assert.equal(escapeMarkdown("a|b`c\r\nd*e_f<g>&h"), "a\\|b\\`c<br>d\\*e\\_f\\<g\\>\\&h");
  });

  it("stays within a pull-request comment's 65,536 characters, saying how many resources it left out", () => {
    // A plan of 2,000 mapping creations: the recorded one, under 2,000 names.
    const events = loadEvents("create");
    const template = preStep(events, "username-mapping");
    const many: EngineEvent[] = Array.from({ length: 2000 }, (_, i) => ({
      sequence: i,
      timestamp: 0,
      resourcePreEvent: { metadata: { ...template, urn: template.urn.replace(/::username-mapping$/, `::user-${i}`) } },
    }));

    const markdown = renderPreviewSummary(many);

    assert.ok(markdown.length <= MAX_SUMMARY_LENGTH, `${markdown.length} characters`);
    assert.ok(markdown.includes("**Changes:** 2000 create"));
    const shown = markdown.split("\n").filter((line) => line.startsWith("| user-")).length;
    assert.ok(shown > 100 && shown < 2000, `${shown} rows shown`);
    assert.ok(
      markdown.trimEnd().endsWith(`_${2000 - shown} more resources not shown: this summary is cut at 65,536 characters, the longest comment a pull request takes. The job's log has the whole plan._`),
      markdown.slice(-400),
    );
  });

  it("orders events by sequence number, whatever order they arrive in", () => {
    const events = loadEvents("replace-connection");
    assert.deepEqual(summarisePlan([...events].reverse()), summarisePlan(events));
  });

  it("reads names and types from URNs, a child's included, and top-level properties from diff paths", () => {
    const child = `urn:pulumi:dev::proj::my:index:Group$${LAKEBASE_CONNECTION_TYPE}::analytics`;
    assert.equal(resourceNameFromUrn(child), "analytics");
    assert.equal(typeFromUrn(child), LAKEBASE_CONNECTION_TYPE);
    assert.equal(typeFromUrn(`urn:pulumi:dev::proj::${EXTERNAL_USER_MAPPING_TYPE}::a::b`), EXTERNAL_USER_MAPPING_TYPE);
    assert.equal(topLevelProperty("tags.env"), "tags");
    assert.equal(topLevelProperty("grants[0].role"), "grants");
    assert.equal(topLevelProperty('["a.b"].c'), "a.b");
    assert.equal(topLevelProperty("hostname"), "hostname");
  });
});
