import assert from "node:assert/strict";
import type { AxiosInstance } from "axios";
import { clearFaults, requestLog, setFaults } from "../support/emulator";
import { assertBoom, finishedJob, immutaClient, registerConnection, registrationBody, useSharedEmulator } from "./helpers";

describe("emulator: Lakebase connections", () => {
  const { emulator } = useSharedEmulator();
  let admin: AxiosInstance;
  before(async () => {
    admin = await immutaClient(emulator());
  });

  describe("registration validation", () => {
    const invalidKeys: Array<[string, string, RegExp | string]> = [
      ["an empty key", "", /connectionKey/],
      ["a period", "lake.base", '"connectionKey" fails to match the required pattern: /^[A-Za-z0-9_-]+$/'],
      ["a space", "lake base", '"connectionKey" fails to match the required pattern: /^[A-Za-z0-9_-]+$/'],
      ["a reserved word", "search", '"connectionKey" contains an invalid value'],
      ["a reserved word in another case", "UpGrade", '"connectionKey" contains an invalid value'],
      ["256 characters", "k".repeat(256), /connectionKey/],
    ];
    for (const [what, key, message] of invalidKeys) {
      it(`rejects a connectionKey with ${what}`, async () => {
        assertBoom(await admin.post("/data/connection", registrationBody(emulator(), key)), 400, message);
      });
    }

    it("accepts a 255-character key made of letters, digits, hyphens and underscores", async () => {
      const key = `Lake_base-1${"x".repeat(244)}`;
      const response = await admin.post("/data/connection", registrationBody(emulator(), key));
      assert.equal(response.status, 200, JSON.stringify(response.data));
      assert.equal((await finishedJob(admin, response.data.bulkId)).state, "completed");
    });

    const invalidConnections: Array<[string, (connection: Record<string, unknown>) => void, RegExp]> = [
      ["another technology", (c) => (c.technology = "Snowflake"), /connection\.technology/],
      ["an empty hostname", (c) => (c.hostname = ""), /connection\.hostname/],
      ["a port out of range", (c) => (c.port = 70000), /connection\.port/],
      ["a fractional port", (c) => (c.port = 5432.5), /connection\.port/],
      ["an empty database", (c) => (c.database = ""), /connection\.database/],
      ["another authentication type", (c) => (c.authenticationType = "userPassword"), /connection\.authenticationType/],
      ["a workspace URL that is not http(s)", (c) => (c.workspaceUrl = "ftp://example.com"), /connection\.workspaceUrl/],
      ["an empty client id", (c) => ((c.oAuthClientConfig as Record<string, unknown>).clientId = ""), /connection\.oAuthClientConfig\.clientId/],
      ["no client secret", (c) => delete (c.oAuthClientConfig as Record<string, unknown>).clientSecret, /connection\.oAuthClientConfig\.clientSecret/],
      ["an unknown field", (c) => (c.warehouse = "w"), /warehouse/],
    ];
    for (const [what, spoil, message] of invalidConnections) {
      it(`rejects ${what}, naming the field`, async () => {
        const body = registrationBody(emulator(), "invalid");
        spoil(body.connection as unknown as Record<string, unknown>);
        assertBoom(await admin.post("/data/connection", body), 400, message);
      });
    }
  });

  it("registers with the good principal, crawls, and lists the crawled objects", async () => {
    const response = await admin.post("/data/connection", registrationBody(emulator(), "lakebase_main"));
    assert.equal(response.status, 200, JSON.stringify(response.data));
    assert.equal(response.data.connectionKey, "lakebase_main");
    assert.equal(typeof response.data.bulkId, "string");
    const job = await finishedJob(admin, response.data.bulkId);
    assert.equal(job.state, "completed", JSON.stringify(job.output));
    assert.equal(job.bulkId, response.data.bulkId);
    // database + 3 schemas (marketing, public, sales) + 5 tables
    assert.deepEqual(job.output, { objectCount: 9 });
    const schemas = await admin.post("/data/object/search/lakebase_main/databricks_postgres", {});
    assert.equal(schemas.status, 200);
    assert.deepEqual(
      schemas.data.hits.map((hit: { objectPath: string[] }) => hit.objectPath.at(-1)),
      ["marketing", "public", "sales"],
    );
    const tables = await admin.post("/data/object/search/lakebase_main/databricks_postgres/sales", {});
    assert.deepEqual(
      tables.data.hits.map((hit: { objectPath: string[] }) => hit.objectPath),
      ["customers", "invoices", "orders"].map((table) => ["lakebase_main", "databricks_postgres", "sales", table]),
    );
    for (const hit of tables.data.hits) assert.equal(hit.state, "active");
  });

  it("shows the connection without its client secret", async () => {
    const response = await admin.get("/data/connection/lakebase_main");
    assert.equal(response.status, 200);
    assert.deepEqual(response.data.connection, {
      technology: "DatabricksLakebase",
      hostname: emulator().lakebase.hostname,
      port: emulator().lakebase.port,
      database: "databricks_postgres",
      authenticationType: "oAuthM2M",
      workspaceUrl: emulator().workspaceUrl,
      oAuthClientConfig: { clientId: emulator().clientId, scope: "all-apis" },
    });
    assert.equal(response.data.createdBy, response.data.creator.id);
    assert.deepEqual(response.data.creator, { id: response.data.creator.id, name: "Ada Admin", email: "admin@example.com" });
    assert.equal(response.data.nativeIntegrationId, null);
    assert.equal(JSON.stringify(response.data).includes(emulator().clientSecret), false);
  });

  it("answers 409 for a duplicate connectionKey and 404 for an unknown one", async () => {
    assertBoom(await admin.post("/data/connection", registrationBody(emulator(), "lakebase_main")), 409, "A connection with connectionKey 'lakebase_main' already exists");
    assertBoom(await admin.get("/data/connection/Lakebase_Main"), 404, /Lakebase_Main/);
  });

  describe("refusals (nothing is stored)", () => {
    it("refuses a principal without CREATEROLE, naming CREATEROLE", async () => {
      const { lacksCreateRole } = emulator().principals;
      assertBoom(
        await admin.post("/data/connection", registrationBody(emulator(), "no_createrole", lacksCreateRole)),
        400,
        `Unable to register connection: the service principal ${lacksCreateRole.clientId} lacks CREATEROLE in database databricks_postgres`,
      );
      assertBoom(await admin.get("/data/connection/no_createrole"), 404);
      assertBoom(await admin.get("/data/object/no_createrole"), 404);
    });

    it("refuses a principal outside databricks_superuser, naming databricks_superuser", async () => {
      const { lacksSuperuser } = emulator().principals;
      assertBoom(
        await admin.post("/data/connection", registrationBody(emulator(), "no_superuser", lacksSuperuser)),
        400,
        `Unable to register connection: the service principal ${lacksSuperuser.clientId} is not a member of databricks_superuser in database databricks_postgres`,
      );
      assertBoom(await admin.get("/data/connection/no_superuser"), 404);
    });

    it("refuses wrong client credentials as Databricks does", async () => {
      const body = registrationBody(emulator(), "bad_secret", { clientId: emulator().clientId, clientSecret: "dose-wrong" });
      assertBoom(await admin.post("/data/connection", body), 400, "Unable to register connection: Databricks rejected the client credentials (invalid_client)");
    });

    it("answers 502 when the Databricks token endpoint keeps failing, after retrying it", async () => {
      await setFaults(emulator(), { rate429: 1, retryAfterSeconds: 0, pathPrefix: "/oidc/" });
      try {
        const since = Math.max(0, ...(await requestLog(emulator())).map((entry) => entry.seq));
        assertBoom(await admin.post("/data/connection", registrationBody(emulator(), "flaky_token")), 502, /kept failing \(HTTP 429 Too Many Requests, 5 attempts\)$/);
        assert.equal((await requestLog(emulator(), { since, route: "/oidc/v1/token" })).length, 5);
      } finally {
        await clearFaults(emulator());
      }
      assertBoom(await admin.get("/data/connection/flaky_token"), 404);
    });

    it("refuses when PostgreSQL does not accept the login", async () => {
      const body = registrationBody(emulator(), "wrong_database");
      body.connection.database = "no_such_database";
      assertBoom(await admin.post("/data/connection", body), 400, /^Unable to register connection: could not log in to PostgreSQL at 127\.0\.0\.1:\d+ \(.*no_such_database/);
      assertBoom(await admin.get("/data/connection/wrong_database"), 404);
    });
  });

  describe("update", () => {
    it("changes nothing that matters without a re-crawl and keeps the secret when it is left out", async () => {
      const before = (await admin.get("/data/connection/lakebase_main")).data;
      const body = registrationBody(emulator(), "lakebase_main");
      delete (body.connection.oAuthClientConfig as Partial<typeof body.connection.oAuthClientConfig>).clientSecret;
      const response = await admin.put("/data/connection/lakebase_main", body);
      assert.equal(response.status, 200, JSON.stringify(response.data));
      assert.equal(response.data.bulkId, undefined);
      assert.equal(response.data.createdAt, before.createdAt);
      assert.ok(Date.parse(response.data.updatedAt) >= Date.parse(before.updatedAt));
      // The kept secret still works: a crawl logs in with it.
      const crawl = await admin.post("/data/crawl/lakebase_main");
      assert.equal((await finishedJob(admin, crawl.data.bulkId)).state, "completed");
    });

    it("re-validates and re-crawls when the credentials change", async () => {
      const { connection } = registrationBody(emulator(), "lakebase_main");
      // Another spelling of the same workspace: a change, so Immuta logs in again.
      const response = await admin.put("/data/connection/lakebase_main", { connection: { ...connection, workspaceUrl: `${connection.workspaceUrl}/` } });
      assert.equal(response.status, 200, JSON.stringify(response.data));
      assert.equal(typeof response.data.bulkId, "string");
      assert.equal((await finishedJob(admin, response.data.bulkId)).state, "completed");
    });

    it("refuses a principal that cannot register, with the registration message, and changes nothing", async () => {
      const { lacksCreateRole } = emulator().principals;
      const body = registrationBody(emulator(), "lakebase_main", lacksCreateRole);
      assertBoom(await admin.put("/data/connection/lakebase_main", body), 400, /lacks CREATEROLE in database databricks_postgres/);
      assert.equal((await admin.get("/data/connection/lakebase_main")).data.connection.oAuthClientConfig.clientId, emulator().clientId);
    });

    it("refuses a technology change, a different connectionKey and an unknown connection", async () => {
      const body = registrationBody(emulator(), "lakebase_main");
      assertBoom(await admin.put("/data/connection/lakebase_main", { ...body, connection: { ...body.connection, technology: "PostgreSQL" } }), 400, '"connection.technology" must be [DatabricksLakebase]');
      assertBoom(await admin.put("/data/connection/lakebase_main", { ...body, connectionKey: "renamed" }), 400, /connectionKey/);
      assertBoom(await admin.put("/data/connection/nope", { connection: body.connection }), 404);
    });
  });

  it("regression: a connection key of 101 to 255 characters registered, but every later GET and PUT answered 414", async () => {
    const key = `long_${"k".repeat(250)}`;
    await registerConnection(admin, emulator(), key);
    const read = await admin.get(`/data/connection/${key}`);
    assert.equal(read.status, 200, JSON.stringify(read.data));
    assert.equal(read.data.connectionKey, key);
    const body = registrationBody(emulator(), key);
    assert.equal((await admin.put(`/data/connection/${key}`, { connection: body.connection })).status, 200);
    assert.equal((await admin.get(`/data/object/${key}`)).status, 200);
  });

  it("holds several connections side by side", async () => {
    const job = await registerConnection(admin, emulator(), "lakebase_second");
    assert.equal(job.output?.objectCount, 9);
    const top = await admin.post("/data/object/search");
    assert.ok(top.data.count >= 2, JSON.stringify(top.data));
  });
});
