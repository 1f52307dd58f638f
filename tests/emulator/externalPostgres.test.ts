import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import axios from "axios";
import pg from "pg";
import { defaultSeeds, startEmulator } from "../../emulator";
import { startEmbeddedPostgres, type RunningPostgres } from "../../emulator/postgres/embeddedPostgres";
import { withDatabase } from "../../emulator/postgres/connectionUrl";
import { immutaClient, makeTempDir, registerConnection } from "./helpers";

/** A developer's own PostgreSQL, with a role named like one of the emulator's seeds and an unrelated database. */
describe("emulator: over an existing PostgreSQL (EMULATOR_POSTGRES_URL)", () => {
  let server: RunningPostgres;
  let dir: string;
  before(async () => {
    dir = makeTempDir();
    server = await startEmbeddedPostgres(undefined, () => undefined);
    await sql(server.url, "CREATE ROLE bob LOGIN CREATEDB PASSWORD 'developer'");
    await sql(server.url, "CREATE DATABASE devdb");
    await sql(withDatabase(server.url, "devdb"), "CREATE TABLE secrets (value text); INSERT INTO secrets VALUES ('not for the emulator')");
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function sql<Row extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<Row>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  const bob = () => sql<{ rolcanlogin: boolean; rolcreatedb: boolean }>(server.url, "SELECT rolcanlogin, rolcreatedb FROM pg_roles WHERE rolname = 'bob'");
  const databases = () => sql<{ datname: string }>(server.url, "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname").then((rows) => rows.map((row) => row.datname));
  const roles = () => sql<{ rolname: string }>(server.url, "SELECT rolname FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' ORDER BY rolname").then((rows) => rows.map((row) => row.rolname));

  it("regression: it altered a developer's role, let its principal read an unrelated database, and left its roles after stop", async () => {
    const [databasesBefore, rolesBefore] = [await databases(), await roles()];
    const emulator = await startEmulator({ postgresUrl: server.url, crawlDelayMs: 0 });
    try {
      assert.deepEqual(await bob(), [{ rolcanlogin: true, rolcreatedb: true }], "the developer's bob is left as it was");
      assert.match(emulator.lakebase.database, /^emulator_[0-9a-f]{8}_databricks_postgres$/);
      // The stand-in works as on its own cluster: bob's mapping survives a crawl, through the emulator's own (prefixed) bob.
      const api = await immutaClient(emulator);
      await registerConnection(api, emulator, "shared_server");
      assert.equal((await api.get("/bim/iam/bim/user/bob@example.com/profile")).data.externalUserIds.postgresqlUser, "bob");

      const { data } = await axios.post(`${emulator.workspaceUrl}/oidc/v1/token`, "grant_type=client_credentials", {
        proxy: false,
        auth: { username: emulator.clientId, password: emulator.clientSecret },
      });
      const principal = new pg.Client({ host: emulator.lakebase.hostname, port: emulator.lakebase.port, database: "devdb", user: emulator.clientId, password: data.access_token });
      await principal.connect();
      try {
        await assert.rejects(principal.query("SELECT value FROM secrets"), (error: { code?: string }) => error.code === "42501");
      } finally {
        await principal.end();
      }
    } finally {
      await emulator.stop();
    }
    assert.deepEqual(await databases(), databasesBefore, "its databases are gone");
    assert.deepEqual(await roles(), rolesBefore, "its roles are gone, databricks_superuser too");
    assert.deepEqual(await bob(), [{ rolcanlogin: true, rolcreatedb: true }]);
  });

  it("keeps its databases and roles under a namespace it is given, and finds them again on the next start", async () => {
    const first = await startEmulator({ postgresUrl: server.url, postgresNamespace: "kept_ns" });
    await first.stop();
    assert.ok((await databases()).includes("kept_ns_immuta"));
    const second = await startEmulator({ postgresUrl: server.url, postgresNamespace: "kept_ns" });
    try {
      assert.equal(second.apiKey, first.apiKey);
      assert.equal(second.lakebase.database, "kept_ns_databricks_postgres");
    } finally {
      await second.stop();
    }
    await sql(server.url, "DROP DATABASE kept_ns_immuta WITH (FORCE)");
    await sql(server.url, "DROP DATABASE kept_ns_databricks_postgres WITH (FORCE)");
    for (const role of await roles()) {
      const [comment] = await sql<{ comment: string | null }>(server.url, "SELECT shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = $1", [role]);
      if (comment?.comment?.startsWith("created by immuta-lakebase-emulator")) await sql(server.url, `DROP ROLE ${pg.escapeIdentifier(role)}`);
    }
  });

  it("refuses a seeded principal whose role exists there and was not created by it, naming the field, and leaves nothing behind", async () => {
    await sql(server.url, "CREATE ROLE dev_principal LOGIN");
    const seedFile = path.join(dir, "taken-principal.json");
    const principals = defaultSeeds().servicePrincipals;
    fs.writeFileSync(seedFile, JSON.stringify({ servicePrincipals: { ...principals, good: { clientId: "dev_principal", clientSecret: "dose-dev" } } }));
    const [databasesBefore, rolesBefore] = [await databases(), await roles()];
    await assert.rejects(
      startEmulator({ postgresUrl: server.url, seedFile }),
      /^Error: servicePrincipals\.good\.clientId: the role dev_principal already exists on that PostgreSQL server and was not created by this emulator; it is left alone$/,
    );
    assert.deepEqual(await databases(), databasesBefore);
    assert.deepEqual(await roles(), rolesBefore);
    assert.deepEqual(await sql(server.url, "SELECT rolcanlogin, rolcreaterole FROM pg_roles WHERE rolname = 'dev_principal'"), [{ rolcanlogin: true, rolcreaterole: false }]);
  });
});
