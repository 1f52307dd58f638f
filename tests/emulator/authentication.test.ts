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
    assert.deepEqual((await httpClient(emulator()).post("/bim/apikey/authenticate", {})).data, { statusCode: 400, error: "Bad Request", message: '"apikey" is required' });
  });

  it("answers 400 for a malformed JSON body without quoting it", async () => {
    const response = await httpClient(emulator(), { "content-type": "application/json" }).post("/bim/apikey/authenticate", '{"apikey": imk_secret_value', {
      transformRequest: [(data: string) => data],
    });
    assertBoom(response, 400, "Invalid request payload JSON format");
    assert.equal(JSON.stringify(response.data).includes("imk_secret_value"), false);
  });

  it("answers 401 without credentials, with an unknown token, an unknown raw key or another scheme, and gives no advice", async () => {
    assert.deepEqual((await httpClient(emulator()).get("/bim/iam")).data, { statusCode: 401, error: "Unauthorized", message: "Missing authentication" });
    assert.deepEqual((await httpClient(emulator(), { authorization: "Bearer not-a-token" }).get("/bim/iam")).data, {
      statusCode: 401,
      error: "Unauthorized",
      message: "The bearer token is unknown or has expired",
    });
    assert.deepEqual((await httpClient(emulator(), { authorization: "imk_not-a-key" }).get("/bim/iam")).data, { statusCode: 401, error: "Unauthorized", message: "Invalid API key" });
    assertBoom(await httpClient(emulator(), { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }).get("/bim/iam"), 401, "Missing authentication");
  });

  it("regression: a raw API key in the Authorization header (no Bearer) was refused as a missing bearer token", async () => {
    const response = await httpClient(emulator(), { authorization: emulator().apiKey }).get("/bim/iam/bim/user/alice@example.com");
    assert.equal(response.status, 200, JSON.stringify(response.data));
    assert.equal(response.data.userid, "alice@example.com");
    // The key's own permissions apply.
    assertBoom(await httpClient(emulator(), { authorization: emulator().noPermissionApiKey }).get("/bim/user"), 403, /USER_ADMIN/);
  });

  it("regression: the key exchange with the key in the Authorization header and no body answered 400", async () => {
    const response = await httpClient(emulator(), { authorization: emulator().apiKey }).post("/bim/apikey/authenticate");
    assert.equal(response.status, 200, JSON.stringify(response.data));
    assert.deepEqual(Object.keys(response.data).sort(), ["authenticated", "token"]);
    assert.equal(response.data.authenticated, true);
    assert.equal((await httpClient(emulator(), { authorization: `Bearer ${response.data.token}` }).get("/bim/iam")).status, 200);
    assert.deepEqual((await httpClient(emulator(), { authorization: "imk_not-a-key" }).post("/bim/apikey/authenticate")).data, {
      statusCode: 401,
      error: "Unauthorized",
      message: "Invalid API key",
    });
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
