import assert from "node:assert/strict";
import type { AxiosInstance } from "axios";
import { immutaClient, registrationBody, useSharedEmulator } from "./helpers";

/** Immuta's validator is hapi with Joi: one terse message naming the first invalid field, no advice. */
describe("emulator: error messages in Immuta's words", () => {
  const { emulator } = useSharedEmulator();
  let admin: AxiosInstance;
  before(async () => {
    admin = await immutaClient(emulator());
  });

  function badRequest(message: string) {
    return { statusCode: 400, error: "Bad Request", message };
  }

  it("names the first invalid field of a registration as Joi would, not in zod's words", async () => {
    const cases: Array<[(body: ReturnType<typeof registrationBody>) => unknown, string]> = [
      [(body) => ({ ...body, connection: { ...body.connection, port: 70000 } }), '"connection.port" must be less than or equal to 65535'],
      [(body) => ({ ...body, connection: { ...body.connection, port: 5432.5 } }), '"connection.port" must be an integer'],
      [(body) => ({ ...body, connection: { ...body.connection, port: "5432" } }), '"connection.port" must be a number'],
      [(body) => ({ ...body, connection: { ...body.connection, hostname: "" } }), '"connection.hostname" is not allowed to be empty'],
      [(body) => ({ connectionKey: body.connectionKey }), '"connection" is required'],
      [(body) => ({ ...body, connection: { ...body.connection, technology: "Snowflake" } }), '"connection.technology" must be [DatabricksLakebase]'],
      [(body) => ({ ...body, connection: { ...body.connection, workspaceUrl: "ftp://example.com" } }), '"connection.workspaceUrl" must be a valid uri'],
      [(body) => ({ ...body, connection: { ...body.connection, warehouse: "w" } }), '"connection.warehouse" is not allowed'],
      [(body) => ({ ...body, connectionKey: "k".repeat(256) }), '"connectionKey" length must be less than or equal to 255 characters long'],
    ];
    for (const [spoil, message] of cases) {
      const response = await admin.post("/data/connection", spoil(registrationBody(emulator(), "messages")));
      assert.deepEqual({ status: response.status, body: response.data }, { status: 400, body: badRequest(message) });
    }
  });

  it("never echoes a secret it refuses", async () => {
    const body = registrationBody(emulator(), "messages");
    const response = await admin.post("/data/connection", { ...body, connection: { ...body.connection, oAuthClientConfig: { ...body.connection.oAuthClientConfig, clientSecret: 42 } } });
    assert.deepEqual(response.data, badRequest('"connection.oAuthClientConfig.clientSecret" must be a string'));
  });

  it("answers an unknown route and a server failure with hapi's plain messages", async () => {
    assert.deepEqual((await admin.get("/no/such/route")).data, { statusCode: 404, error: "Not Found", message: "Not Found" });
  });

  it("regression: a NUL in a path answered 500", async () => {
    const response = await admin.get("/bim/iam/bim/user/ali%00ce@example.com");
    assert.deepEqual({ status: response.status, body: response.data }, { status: 400, body: badRequest('"userid" must not contain a null character') });
    const object = await admin.get("/data/object/a%00b");
    assert.equal(object.status, 400, JSON.stringify(object.data));
  });

  it("regression: a NUL in a body answered 500", async () => {
    const response = await admin.post("/bim/iam/bim/user", { iamid: "bim", userid: "nul\u0000@example.com", profile: { name: "N" } });
    assert.deepEqual({ status: response.status, body: response.data }, { status: 400, body: badRequest('"userid" must not contain a null character') });
    const profile = (await admin.get("/bim/iam/bim/user/carol@example.com/profile")).data;
    const nested = await admin.put("/bim/iam/bim/user/carol@example.com/profile", { ...profile, externalUserIds: { postgresqlUser: "ca\u0000rol" } });
    assert.deepEqual(nested.data, badRequest('"externalUserIds.postgresqlUser" must not contain a null character'));
  });
});
