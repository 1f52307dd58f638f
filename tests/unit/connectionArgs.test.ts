import { strict as assert } from "node:assert";
import { ExternalUserMappingProvider } from "../../provider/resources/externalUserMapping";
import { LakebaseConnectionProvider } from "../../provider/resources/lakebaseConnection";
import { DeploymentClaims } from "../../provider/resources/deploymentClaims";
import { UNKNOWN } from "../../provider/resources/inputs";
import { RESOURCE_NAME_INPUT } from "../../provider/resources/resourceName";

const provider = new LakebaseConnectionProvider(() => undefined);
const valid = {
  displayName: "sales_lakebase",
  hostname: "Instance-1.database.cloud.databricks.com",
  workspaceUrl: "https://DBC-1234.cloud.databricks.com/",
  clientId: "6f1c2d9e-0b7a-4c1e-9f53-2a7d8e4b1c00",
  clientSecret: "dose0123",
};

describe("LakebaseConnection check", () => {
  it("applies defaults and normalises host and workspace URL", async () => {
    const { inputs, failures } = await provider.check({}, { ...valid, __provider: "text" });
    assert.deepEqual(failures, []);
    assert.deepEqual(inputs, {
      ...valid,
      hostname: "instance-1.database.cloud.databricks.com",
      workspaceUrl: "https://dbc-1234.cloud.databricks.com",
      port: 5432,
      database: "databricks_postgres",
      preflight: true,
      adopt: false,
    });
  });

  it("reports every bad field at once, naming each", async () => {
    const { failures } = await provider.check({}, {
      displayName: "sales.lakebase",
      hostname: "postgres://host:5432/db",
      port: 70000,
      database: "x".repeat(64),
      workspaceUrl: "http://dbc-1234.cloud.databricks.com",
      clientId: "12345",
    });
    const byProperty = Object.fromEntries(failures.map((f) => [f.property, f.reason]));
    assert.deepEqual(Object.keys(byProperty).sort(), ["clientId", "clientSecret", "database", "displayName", "hostname", "port", "workspaceUrl"]);
    assert.match(byProperty.displayName, /letters, digits, hyphens and underscores/);
    assert.match(byProperty.hostname, /without a scheme/);
    assert.match(byProperty.port, /at most 65535/);
    assert.match(byProperty.database, /64 bytes long.*at most 63/);
    assert.match(byProperty.workspaceUrl, /use https:\/\//);
    assert.match(byProperty.clientId, /UUID/);
    assert.match(byProperty.clientSecret, /is required/);
  });

  for (const reserved of ["search", "Settings", "BULK"]) {
    it(`refuses the reserved name ${reserved}`, async () => {
      const { failures } = await provider.check({}, { ...valid, displayName: reserved });
      assert.equal(failures.length, 1);
      assert.equal(failures[0].property, "displayName");
      assert.match(failures[0].reason, /reserved/);
    });
  }

  it("refuses a host with a port and accepts an IP address", async () => {
    assert.match((await provider.check({}, { ...valid, hostname: "db.example.com:5432" })).failures[0].reason, /put the port in `port`/);
    assert.deepEqual((await provider.check({}, { ...valid, hostname: "10.0.0.5" })).failures, []);
  });

  it("refuses a NUL character in every string argument, once per field", async () => {
    const { failures } = await provider.check({}, {
      displayName: "sales\u0000",
      hostname: "instance-1.database.cloud.databricks.com\u0000",
      database: "data\u0000base",
      workspaceUrl: "https://dbc-1234.cloud.databricks.com\u0000",
      clientId: `${valid.clientId}\u0000`,
      clientSecret: "dose\u0000123",
    });
    const nul = "must not contain a NUL character";
    assert.deepEqual(failures, ["displayName", "hostname", "database", "workspaceUrl", "clientId", "clientSecret"].map((property) => ({ property, reason: nul })));
  });

  it("bounds hostname at 253 characters (DNS), workspaceUrl at 2048 and clientSecret at 1024", async () => {
    const label = "a".repeat(63);
    const longestHost = [label, label, label, "b".repeat(61)].join(".");
    assert.equal(longestHost.length, 253);
    assert.deepEqual((await provider.check({}, { ...valid, hostname: longestHost, clientSecret: "s".repeat(1024) })).failures, []);
    assert.deepEqual((await provider.check({}, { ...valid, hostname: `a${longestHost}`, workspaceUrl: `https://${"w".repeat(2041)}`, clientSecret: "s".repeat(1025) })).failures, [
      { property: "hostname", reason: "must be at most 253 characters, the longest DNS name" },
      { property: "workspaceUrl", reason: "must be at most 2048 characters" },
      { property: "clientSecret", reason: "must be at most 1024 characters" },
    ]);
  });

  it("stores a clientId typed in upper case in lower case, as Databricks issued it (it was sent as typed and refused with invalid_client)", async () => {
    const { inputs, failures } = await provider.check({}, { ...valid, clientId: valid.clientId.toUpperCase() });
    assert.deepEqual(failures, []);
    assert.equal(inputs.clientId, valid.clientId);
  });

  it("lets preview's unknown values through unvalidated", async () => {
    const { inputs, failures } = await provider.check({}, { ...valid, hostname: UNKNOWN, clientSecret: UNKNOWN });
    assert.deepEqual(failures, []);
    assert.equal(inputs.hostname, UNKNOWN);
    assert.equal(inputs.clientSecret, UNKNOWN);
  });
});

describe("LakebaseConnection diff", () => {
  const olds = { ...valid, hostname: "instance-1.database.cloud.databricks.com", workspaceUrl: "https://dbc-1234.cloud.databricks.com", port: 5432, database: "databricks_postgres", preflight: true, adopt: false, connectionKey: "sales_lakebase", state: "active", __provider: "old text" };
  const news = { ...olds, __provider: "new text" };
  delete (news as Record<string, unknown>).state;

  it("reports no change for the same inputs, whatever __provider holds", async () => {
    assert.deepEqual(await provider.diff("sales_lakebase", olds, news), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("replaces on displayName and updates on anything else", async () => {
    assert.deepEqual((await provider.diff("k", olds, { ...news, displayName: "other" })).replaces, ["displayName"]);
    const update = await provider.diff("k", olds, { ...news, hostname: "instance-2.database.cloud.databricks.com", clientSecret: "rotated" });
    assert.deepEqual(update, { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("replaces on a rename that differs only in case, deleting the old connection first", async () => {
    assert.deepEqual(await provider.diff("sales_lakebase", olds, { ...news, displayName: "Sales_Lakebase" }), { changes: true, replaces: ["displayName"], deleteBeforeReplace: true });
  });

  it("compares the database exactly", async () => {
    assert.equal((await provider.diff("k", olds, { ...news, database: "Databricks_Postgres" })).changes, true);
  });

  it("treats unknown values as changes", async () => {
    assert.equal((await provider.diff("k", olds, { ...news, clientId: UNKNOWN })).changes, true);
    assert.deepEqual((await provider.diff("k", olds, { ...news, displayName: UNKNOWN })).replaces, ["displayName"]);
  });

  it("shows no change when the state and the program differ in the case of clientId only", async () => {
    const stateInUpperCase = { ...olds, clientId: valid.clientId.toUpperCase() };
    for (const [state, typed] of [[olds, valid.clientId.toUpperCase()], [stateInUpperCase, valid.clientId], [stateInUpperCase, valid.clientId.toUpperCase()]] as const) {
      const { inputs } = await provider.check(state, { ...valid, clientId: typed });
      assert.deepEqual(await provider.diff("sales_lakebase", state, inputs), { changes: false, replaces: [], deleteBeforeReplace: false }, `${state.clientId} vs ${typed}`);
    }
  });

  it("compares host, URL and client id case-insensitively", async () => {
    const diff = await provider.diff("k", olds, { ...news, hostname: olds.hostname.toUpperCase(), clientId: valid.clientId.toUpperCase() });
    assert.equal(diff.changes, false);
  });
});

describe("LakebaseConnection check across one deployment", () => {
  let claims: DeploymentClaims;
  let connections: LakebaseConnectionProvider;
  beforeEach(() => {
    claims = new DeploymentClaims();
    connections = new LakebaseConnectionProvider(() => undefined, claims);
  });
  const declared = (name: string, overrides: Record<string, unknown> = {}) => ({ [RESOURCE_NAME_INPUT]: name, ...valid, ...overrides });
  const failuresOf = async (olds: Record<string, unknown>, news: Record<string, unknown>) => (await connections.check(olds, news)).failures;

  it("fails a second connection with the same key in any case, naming both resources and the connection (they silently fought, and destroying one deregistered the other's)", async () => {
    const first = await connections.check({}, declared("sales"));
    assert.deepEqual(first, { inputs: (await provider.check({}, valid)).inputs, failures: [] }, "the resource name is not an input");
    assert.deepEqual(await failuresOf({}, declared("sales-copy", { displayName: "Sales_Lakebase" })), [
      {
        property: "displayName",
        reason:
          'LakebaseConnection "sales-copy" and LakebaseConnection "sales" both manage the Immuta connection "Sales_Lakebase" (LakebaseConnection "sales" declares the Immuta connection "sales_lakebase", the same to Immuta): ' +
          "each would overwrite what the other sets, and deleting either deregisters it, with its data sources. Keep one of them. " +
          'To keep LakebaseConnection "sales-copy" in place of LakebaseConnection "sales", remove LakebaseConnection "sales" and give LakebaseConnection "sales-copy" aliases: [{ name: "sales" }], ' +
          'so that Pulumi renames LakebaseConnection "sales" rather than deleting it',
      },
    ]);
  });

  it("counts a re-check and a rename of the same resource as no clash, but fails a connection taking the key that a rename gives up", async () => {
    const { inputs } = await connections.check({}, declared("sales"));
    assert.deepEqual(await failuresOf(inputs, declared("sales")), []);
    assert.deepEqual(await failuresOf(inputs, declared("sales", { displayName: "sales_v2" })), []);
    assert.deepEqual(await failuresOf({}, declared("sales-old-key", { adopt: true })), [
      {
        property: "displayName",
        reason:
          'LakebaseConnection "sales" gives up the Immuta connection "sales_lakebase" in this deployment, which replaces it, while LakebaseConnection "sales-old-key" manages it: ' +
          'deleting the old LakebaseConnection deregisters it, with its data sources, undoing LakebaseConnection "sales-old-key". ' +
          'Make the two changes in separate deployments: first the one that replaces LakebaseConnection "sales", then the one that gives it to LakebaseConnection "sales-old-key"',
      },
    ]);
  });

  it("tells a connection and a mapping of the same Pulumi name apart, through claims both kinds share", async () => {
    const mappings = new ExternalUserMappingProvider(() => undefined, claims);
    assert.deepEqual((await mappings.check({}, { [RESOURCE_NAME_INPUT]: "sales", userId: "sales_lakebase", mode: "none" })).failures, []);
    assert.deepEqual(await failuresOf({}, declared("sales")), []);
    assert.deepEqual((await mappings.check({}, { [RESOURCE_NAME_INPUT]: "other", userId: "sales_lakebase", mode: "none" })).failures.map((f) => f.reason.split(":")[0]), [
      'ExternalUserMapping "other" and ExternalUserMapping "sales" both manage the PostgreSQL mapping of user "sales_lakebase" in IAM "bim"',
    ]);
  });

  it("claims nothing for a displayName unknown in preview", async () => {
    assert.deepEqual(await failuresOf({}, declared("later", { displayName: UNKNOWN })), []);
    assert.deepEqual(await failuresOf({}, declared("sales")), []);
  });
});
