import assert from "node:assert/strict";
import pg from "pg";
import { requestLog, resetEmulator, setFaults } from "../support/emulator";
import { assertBoom, httpClient, immutaClient, registerConnection, useSharedEmulator } from "./helpers";

describe("emulator: reset", () => {
  const { emulator } = useSharedEmulator();

  async function adminQuery<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ connectionString: emulator().adminPostgresUrl });
    await client.connect();
    try {
      return (await client.query<Row>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  it("restores the seeds: users, connections, roles, tokens, faults and the request log", async () => {
    const admin = await immutaClient(emulator());
    const alice = "/bim/iam/bim/user/alice@example.com/profile";
    const seeded = (await admin.get(alice)).data;
    await admin.put(alice, { ...seeded, externalUserIds: { postgresqlUser: "changed" } });
    await admin.post("/bim/iam/bim/user", { iamid: "bim", userid: "temp@example.com", profile: { name: "Temp", email: "temp@example.com" } });
    await registerConnection(admin, emulator(), "reset_conn");
    const { clientId, principals } = emulator();
    await adminQuery(`ALTER ROLE "${clientId}" NOCREATEROLE NOLOGIN`);
    await adminQuery(`REVOKE databricks_superuser FROM "${principals.lacksCreateRole.clientId}"`);
    await adminQuery(`GRANT databricks_superuser TO "${principals.lacksSuperuser.clientId}"`);
    await adminQuery(`DROP ROLE IF EXISTS reset_test_role; CREATE ROLE reset_test_role`);
    await setFaults(emulator(), { rate5xx: 1, pathPrefix: "/data" });

    await resetEmulator(emulator());
    assert.deepEqual(await requestLog(emulator()), []);

    assertBoom(await admin.get("/bim/iam"), 401);
    const fresh = await immutaClient(emulator());
    const restored = (await fresh.get(alice)).data;
    assert.deepEqual(restored.externalUserIds, seeded.externalUserIds);
    assert.equal(restored.location, seeded.location);
    assertBoom(await fresh.get("/bim/iam/bim/user/temp@example.com"), 404);
    assertBoom(await fresh.get("/data/connection/reset_conn"), 404);
    assert.deepEqual((await fresh.post("/data/object/search")).data, { hits: [], count: 0 });
    assert.deepEqual((await httpClient(emulator()).get("/__emulator/faults")).data, {});

    const roles = await adminQuery<{ rolname: string; rolcanlogin: boolean; rolcreaterole: boolean; member: boolean }>(
      `SELECT rolname, rolcanlogin, rolcreaterole, pg_has_role(rolname, 'databricks_superuser', 'MEMBER') AS member
         FROM pg_roles WHERE rolname = ANY($1)`,
      [[clientId, principals.lacksCreateRole.clientId, principals.lacksSuperuser.clientId]],
    );
    const byName = new Map(roles.map((role) => [role.rolname, role]));
    assert.deepEqual(byName.get(clientId), { rolname: clientId, rolcanlogin: true, rolcreaterole: true, member: true });
    assert.equal(byName.get(principals.lacksCreateRole.clientId)?.member, true);
    assert.equal(byName.get(principals.lacksCreateRole.clientId)?.rolcreaterole, false);
    assert.equal(byName.get(principals.lacksSuperuser.clientId)?.member, false);
    assert.equal((await adminQuery("SELECT 1 FROM pg_roles WHERE rolname = 'reset_test_role'")).length, 1, "roles tests create are left");

    // The restored principal can register again.
    await registerConnection(fresh, emulator(), "after_reset");
  });
});
