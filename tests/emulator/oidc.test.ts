import assert from "node:assert/strict";
import axios, { type AxiosInstance } from "axios";
import pg from "pg";
import { startEmulator, type Emulator } from "../../emulator";
import { workspaceToken } from "../../provider/databricks/oauth";
import { inspectPrivileges } from "../../provider/lakebase/preflight";
import { eventually, useSharedEmulator } from "./helpers";

describe("emulator: the Databricks token endpoint", () => {
  const { emulator } = useSharedEmulator();
  let workspace: AxiosInstance;
  before(() => {
    workspace = axios.create({ baseURL: emulator().workspaceUrl, proxy: false, validateStatus: () => true });
  });

  function requestToken(form: Record<string, string>, basic?: { username: string; password: string }) {
    return workspace.post("/oidc/v1/token", new URLSearchParams(form).toString(), {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      ...(basic === undefined ? {} : { auth: basic }),
    });
  }

  async function loginAs(em: Emulator, user: string, password: string): Promise<void> {
    const client = new pg.Client({ host: em.lakebase.hostname, port: em.lakebase.port, database: em.lakebase.database, user, password });
    try {
      await client.connect();
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  it("issues a token to client credentials sent with HTTP Basic", async () => {
    const response = await requestToken({ grant_type: "client_credentials", scope: "all-apis" }, { username: emulator().clientId, password: emulator().clientSecret });
    assert.equal(response.status, 200, JSON.stringify(response.data));
    assert.equal(typeof response.data.access_token, "string");
    assert.equal(response.data.token_type, "Bearer");
    assert.equal(response.data.scope, "all-apis");
    assert.ok(response.data.expires_in > 3000 && response.data.expires_in <= 3600, String(response.data.expires_in));
  });

  it("accepts the client credentials as form fields, and issues a new token on every request as Databricks does", async () => {
    const { lacksSuperuser } = emulator().principals;
    const first = await requestToken({ grant_type: "client_credentials", client_id: lacksSuperuser.clientId, client_secret: lacksSuperuser.clientSecret });
    assert.equal(first.status, 200, JSON.stringify(first.data));
    const second = await requestToken({ grant_type: "client_credentials" }, { username: lacksSuperuser.clientId, password: lacksSuperuser.clientSecret });
    assert.notEqual(second.data.access_token, first.data.access_token);
    assert.equal(second.data.expires_in, 3600);
  });

  it("regression: issuing a new token made older, still valid ones useless for PostgreSQL logins", async () => {
    const { lacksSuperuser } = emulator().principals;
    const basic = { username: lacksSuperuser.clientId, password: lacksSuperuser.clientSecret };
    const older = (await requestToken({ grant_type: "client_credentials" }, basic)).data.access_token;
    const newer = (await requestToken({ grant_type: "client_credentials" }, basic)).data.access_token;
    assert.notEqual(newer, older);
    await loginAs(emulator(), lacksSuperuser.clientId, older);
    await loginAs(emulator(), lacksSuperuser.clientId, newer);
    // A token is the password of the principal it was issued to, no other.
    await assert.rejects(loginAs(emulator(), emulator().clientId, older), (error: { code?: string }) => error.code === "28P01");
  });

  it("lets a provider holding an older token pass preflight after Immuta was handed newer ones", async () => {
    const principal = { workspaceUrl: emulator().workspaceUrl, clientId: emulator().clientId, clientSecret: emulator().clientSecret };
    const held = await workspaceToken(principal);
    const basic = { username: principal.clientId, password: principal.clientSecret };
    const newer = (await requestToken({ grant_type: "client_credentials" }, basic)).data.access_token;
    assert.notEqual(newer, held, "the provider's cached token is the older one");
    const result = await inspectPrivileges(emulator().lakebase, principal);
    assert.deepEqual({ loginRole: result.loginRole, failures: result.failures }, { loginRole: principal.clientId, failures: [] });
  });

  it("answers invalid_client for a wrong secret, an unknown client or no credentials", async () => {
    const expected = { error: "invalid_client", error_description: "Client authentication failed" };
    const wrongSecret = await requestToken({ grant_type: "client_credentials" }, { username: emulator().clientId, password: "dose-wrong" });
    assert.equal(wrongSecret.status, 401);
    assert.deepEqual(wrongSecret.data, expected);
    const unknown = await requestToken({ grant_type: "client_credentials", client_id: "not-a-client", client_secret: emulator().clientSecret });
    assert.equal(unknown.status, 401);
    assert.deepEqual(unknown.data, expected);
    assert.equal((await requestToken({ grant_type: "client_credentials" })).status, 401);
  });

  it("answers unsupported_grant_type and invalid_scope", async () => {
    const basic = { username: emulator().clientId, password: emulator().clientSecret };
    const grant = await requestToken({ grant_type: "password" }, basic);
    assert.equal(grant.status, 400);
    assert.equal(grant.data.error, "unsupported_grant_type");
    assert.equal(typeof grant.data.error_description, "string");
    const scope = await requestToken({ grant_type: "client_credentials", scope: "sql" }, basic);
    assert.equal(scope.status, 400);
    assert.equal(scope.data.error, "invalid_scope");
  });

  it("makes the token the principal's PostgreSQL password, and PostgreSQL refuses any other", async () => {
    const { lacksCreateRole } = emulator().principals;
    const issued = await requestToken({ grant_type: "client_credentials", scope: "all-apis" }, { username: lacksCreateRole.clientId, password: lacksCreateRole.clientSecret });
    await loginAs(emulator(), lacksCreateRole.clientId, issued.data.access_token);
    await assert.rejects(loginAs(emulator(), lacksCreateRole.clientId, "not-the-token"), (error: { code?: string }) => error.code === "28P01");
    await assert.rejects(loginAs(emulator(), lacksCreateRole.clientId, lacksCreateRole.clientSecret), (error: { code?: string }) => error.code === "28P01");
  });

  describe("with a short token lifetime", () => {
    let shortLived: Emulator | undefined;
    after(async () => {
      await shortLived?.stop();
    });

    it("refuses a token once it has expired, as Lakebase checks expiry at login", async () => {
      shortLived = await startEmulator({ databricksTokenTtlSeconds: 1 });
      const { clientId, clientSecret, workspaceUrl } = shortLived;
      const issued = await axios.post(`${workspaceUrl}/oidc/v1/token`, new URLSearchParams({ grant_type: "client_credentials" }).toString(), {
        proxy: false,
        auth: { username: clientId, password: clientSecret },
      });
      assert.equal(issued.data.expires_in, 1);
      await loginAs(shortLived, clientId, issued.data.access_token);
      const emulatorUnderTest = shortLived;
      const refusal = await eventually(
        () => loginAs(emulatorUnderTest, clientId, issued.data.access_token).then(() => undefined, (error: { code?: string }) => error),
        "the expired token to be refused",
      );
      assert.equal(refusal.code, "28P01");
    });
  });
});
