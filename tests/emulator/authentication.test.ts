import assert from "node:assert/strict";
import { assertBoom, httpClient, immutaClient, registrationBody, useSharedEmulator } from "./helpers";

describe("emulator: authentication and permissions", () => {
  const { emulator } = useSharedEmulator();

  it("exchanges an API key for a bearer token that authorises later calls", async () => {
    const response = await httpClient(emulator()).post("/bim/apikey/authenticate", { apikey: emulator().apiKey });
    assert.equal(response.status, 200);
    assert.equal(response.data.authenticated, true);
    assert.equal(typeof response.data.token, "string");
    const iams = await httpClient(emulator(), { authorization: `Bearer ${response.data.token}` }).get("/bim/iam");
    assert.equal(iams.status, 200);
  });

  it("answers 401 for an unknown API key and 400 for a body without one", async () => {
    assertBoom(await httpClient(emulator()).post("/bim/apikey/authenticate", { apikey: "imk_not-a-key" }), 401);
    assertBoom(await httpClient(emulator()).post("/bim/apikey/authenticate", {}), 400, /apikey/);
  });

  it("answers 400 for a malformed JSON body without quoting it", async () => {
    const response = await httpClient(emulator(), { "content-type": "application/json" }).post("/bim/apikey/authenticate", '{"apikey": imk_secret_value', {
      transformRequest: [(data: string) => data],
    });
    assertBoom(response, 400, "The request body is not valid JSON");
    assert.equal(JSON.stringify(response.data).includes("imk_secret_value"), false);
  });

  it("answers 401 without a token, with an unknown token and with a non-Bearer scheme", async () => {
    assertBoom(await httpClient(emulator()).get("/bim/iam"), 401, /Missing bearer token/);
    assertBoom(await httpClient(emulator(), { authorization: "Bearer not-a-token" }).get("/bim/iam"), 401, /unknown or has expired/);
    assertBoom(await httpClient(emulator(), { authorization: emulator().apiKey }).get("/data/object/x"), 401);
    const body = (await httpClient(emulator()).get("/bim/iam")).data;
    assert.deepEqual(Object.keys(body).sort(), ["error", "message", "statusCode"]);
    assert.equal(body.error, "Unauthorized");
  });

  it("answers 403 when the key's user lacks the permission a route needs", async () => {
    const viewer = await immutaClient(emulator(), emulator().noPermissionApiKey);
    assertBoom(await viewer.get("/bim/user"), 403, /USER_ADMIN/);
    assertBoom(await viewer.post("/data/connection", registrationBody(emulator(), "forbidden")), 403, /APPLICATION_ADMIN/);
    assertBoom(await viewer.get("/data/connection/forbidden"), 403, /APPLICATION_ADMIN/);
    assertBoom(await viewer.post("/data/object/search", {}), 403);
    assertBoom(await viewer.get("/jobs", { params: { bulkId: "x" } }), 403);
    assertBoom(await viewer.post("/bim/iam/bim/user", { iamid: "bim", userid: "new@example.com", profile: { name: "N", email: "new@example.com" } }), 403);
    assertBoom(await viewer.delete("/bim/iam/bim/user/alice@example.com"), 403);
    // Reading users needs no permission.
    assert.equal((await viewer.get("/bim/iam/bim/user/alice@example.com")).status, 200);
  });
});
