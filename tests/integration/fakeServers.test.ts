import { strict as assert } from "node:assert";
import { inspect } from "node:util";
import { z } from "zod";
import { ImmutaApiError, NotAnImmutaApiError, PartialCreateError } from "../../provider";
import { readConnection, registerConnection } from "../../provider/connection";
import { workspaceToken } from "../../provider/databricks/oauth";
import { ImmutaClient } from "../../provider/immuta/client";
import { RegistrationIncomplete } from "../../provider/connection";
import { startFakeServer, type FakeAnswer, type FakeServer } from "../support/fakeHttp";
import { rejection } from "./fixtures";

const API_KEY = "imk_fake_key_0123456789";
const SECRET = "dose_fake_secret_0123456789";
const settings = (url: string) => ({ url, apiKey: API_KEY, requestTimeoutMs: 5_000, maxRetries: 3, maxConcurrency: 4, crawlTimeoutMs: 5_000 });

describe("clients against answers the emulator never gives", () => {
  let server: FakeServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("scrubs the API key, the token and body secrets that Immuta echoes in an error message", async () => {
    server = await startFakeServer(({ url }) =>
      url === "/bim/apikey/authenticate"
        ? { status: 200, body: { token: "tok_fake_0123456789" } }
        : { status: 400, body: { statusCode: 400, error: "Bad Request", message: `"clientSecret" with value "${SECRET}" fails; key ${API_KEY}; token tok_fake_0123456789` } },
    );
    const client = new ImmutaClient(settings(server.url));
    const error = await rejection(client.request({ operation: "Registering", method: "POST", path: "/data/connection", body: { secret: SECRET }, response: z.unknown(), secrets: [SECRET] }));
    assert.ok(error instanceof ImmutaApiError);
    const rendered = `${error.message}\n${inspect(error)}`;
    for (const secret of [SECRET, API_KEY, "tok_fake_0123456789"]) assert.ok(!rendered.includes(secret), rendered);
    assert.match(error.message, /"clientSecret" with value "\[secret\]" fails/);
  });

  it("reads a connection whose object Immuta does not return as live, with an unknown state", async () => {
    server = await startFakeServer(({ url }) => {
      if (url === "/bim/apikey/authenticate") return { status: 200, body: { token: "t0123" } };
      if (url === "/data/connection/sales") {
        return { status: 200, body: { connectionKey: "sales", connection: { technology: "DatabricksLakebase", hostname: "h.example.com", port: 5432, database: "db", workspaceUrl: "https://w.example.com", oAuthClientConfig: { clientId: "c" } } } };
      }
      return { status: 404, body: { statusCode: 404, error: "Not Found", message: "no object" } };
    });
    const found = await readConnection(new ImmutaClient(settings(server.url)), "sales", { warn: () => undefined });
    assert.equal(found?.connectionKey, "sales");
    assert.equal(found?.state, null);
  });

  describe("a registration Immuta accepted with an answer nobody documented", () => {
    const declaration = { connectionKey: "sales", hostname: "h.example.com", port: 5432, database: "db", workspaceUrl: "https://w.example.com", clientId: "c", clientSecret: SECRET, preflight: false, adopt: false };
    const view = { connectionKey: "sales", connection: { technology: "DatabricksLakebase", hostname: "h.example.com", port: 5432, database: "db", workspaceUrl: "https://w.example.com", oAuthClientConfig: { clientId: "c" } } };

    /** An Immuta whose registration answers `registered`, whose jobs come in an envelope with string outputs, and whose read-back answers `readBack`. */
    function oddImmuta(registered: { status: number; body?: unknown }, readBack: { status: number; body?: unknown }) {
      return startFakeServer(({ method, url }) => {
        if (url === "/bim/apikey/authenticate") return { status: 200, body: { token: "t0123" } };
        if (method === "POST" && url === "/data/connection") return registered;
        if (method === "POST" && url === "/data/crawl/sales") return { status: 200, body: { bulkId: 7 } };
        if (url.startsWith("/jobs?bulkId=7")) return { status: 200, body: { hits: [{ id: "j1", state: "completed", output: '{"objectCount":3}' }], count: 1 } };
        if (url === "/data/connection/sales") return readBack;
        if (url === "/data/object/sales") return { status: 200, body: { objectPath: ["sales"], technology: "DatabricksLakebase", state: "active" } };
        return { status: 500, body: { message: `unexpected ${method} ${url}` } };
      });
    }

    it("regression: a 2xx with an unexpected body used to fail the create after Immuta had registered the connection; now it succeeds, with a warning", async () => {
      for (const body of [undefined, { ok: true }, ["sales"]]) {
        server = await oddImmuta({ status: 201, body }, { status: 200, body: view });
        const warnings: string[] = [];
        const registration = await registerConnection(new ImmutaClient(settings(server.url)), declaration, {
          ...settings(server.url),
          log: () => undefined,
          warn: (_topic, message) => warnings.push(message),
        });
        assert.deepEqual(registration.crawl, { state: "completed", objectCount: 3 }, JSON.stringify(body));
        assert.equal(registration.connection.settings?.hostname, "h.example.com");
        assert.match(warnings.join("\n"), /accepted the registration of connection "sales" but did not answer with the connection.*a crawl is started for it/);
        await server.close();
        server = undefined;
      }
    });

    it("records as unconfirmed a registration that something between answered 2xx with a page of its own", async () => {
      server = await startFakeServer(({ method, url }): FakeAnswer => {
        if (url === "/bim/apikey/authenticate") return { status: 200, body: { token: "t0123" } };
        if (method === "POST" && url === "/data/connection") return { status: 200, body: "<html>Request queued</html>", headers: { "content-type": "text/html" } };
        return { status: 404, body: { statusCode: 404, error: "Not Found", message: "none" } };
      });
      const error = await rejection(registerConnection(new ImmutaClient(settings(server.url)), declaration, { ...settings(server.url), log: () => undefined, warn: () => undefined }));
      assert.ok(error instanceof RegistrationIncomplete, error.message);
      assert.deepEqual([error.connectionKey, error.confirmed], ["sales", false]);
      assert.match(error.message, /does not look like an Immuta API.*may have happened/s);
    });

    it("records the connection rather than orphan it when every step after the 2xx fails", async () => {
      server = await oddImmuta({ status: 200, body: { ...view, bulkId: 7 } }, { status: 500, body: { message: "database unavailable" } });
      const error = await rejection(
        registerConnection(new ImmutaClient(settings(server.url)), declaration, { ...settings(server.url), log: () => undefined, warn: () => undefined }),
      );
      assert.ok(error instanceof RegistrationIncomplete, error.message);
      assert.deepEqual([error.connectionKey, error.confirmed], ["sales", true]);
    });
  });

  it("retries the Databricks token endpoint on 503 and 429", async () => {
    server = await startFakeServer((_request, index) =>
      index < 2 ? { status: index === 0 ? 503 : 429, body: { error: "temporarily_unavailable" } } : { status: 200, body: { access_token: "at_0123", expires_in: 3600 } },
    );
    const token = await workspaceToken({ workspaceUrl: server.url, clientId: "5f0c0a5e-0000-4000-8000-000000000001", clientSecret: SECRET });
    assert.equal(token, "at_0123");
    assert.equal(server.requests.length, 3);
    assert.match(server.requests[0].body, /grant_type=client_credentials&scope=all-apis/);
  });

  it("scrubs the client secret and the Basic credentials that a token endpoint echoes in error and error_description", async () => {
    const clientId = "5f0c0a5e-0000-4000-8000-000000000001";
    const basic = Buffer.from(`${clientId}:${SECRET}`).toString("base64");
    server = await startFakeServer(() => ({
      status: 401,
      body: { error: `invalid_client (Authorization: Basic ${basic})`, error_description: `client_secret ${SECRET} is not valid; credentials ${basic}` },
    }));
    const error = await rejection(workspaceToken({ workspaceUrl: server.url, clientId, clientSecret: SECRET }));
    const rendered = `${error.message}\n${inspect(error, { depth: 5 })}`;
    for (const secret of [SECRET, basic]) assert.ok(!rendered.includes(secret), rendered);
    assert.match(error.message, /HTTP 401 invalid_client \(Authorization: \[secret\]\): client_secret \[secret\] is not valid; credentials \[secret\]\./);
  });

  it("reports an HTML page at immuta:url as not an Immuta API, saying what came back and what to set", async () => {
    server = await startFakeServer(() => ({ status: 200, body: "<!doctype html><title>Sign in</title>", headers: { "content-type": "text/html; charset=utf-8" } }));
    const error = await rejection(readConnection(new ImmutaClient(settings(server.url)), "sales", { warn: () => undefined }));
    assert.ok(error instanceof NotAnImmutaApiError);
    assert.deepEqual({ ...error }, { code: "NOT_AN_IMMUTA_API", name: "NotAnImmutaApiError", operation: "Exchanging the Immuta API key for a token", url: server.url, status: 200, contentType: "text/html", redirectTo: undefined });
    assert.equal(
      error.message,
      `Exchanging the Immuta API key for a token failed: immuta:url (${server.url}) does not look like an Immuta API: it answered HTTP 200 text/html. ` +
        "Point immuta:url (or IMMUTA_URL) at the tenant's API origin, e.g. https://<tenant>.immuta.com, not a login page, proxy or other site.",
    );
  });

  it("reports a redirect at immuta:url as not an Immuta API without following it into the login page", async () => {
    server = await startFakeServer(({ url }): FakeAnswer =>
      url.startsWith("/login")
        ? { status: 200, body: "<!doctype html><title>Sign in</title>", headers: { "content-type": "text/html" } }
        : { status: 302, headers: { location: "/login?SAMLRequest=c2VjcmV0", "content-type": "text/plain" }, body: "Found" },
    );
    const error = await rejection(readConnection(new ImmutaClient(settings(server.url)), "sales", { warn: () => undefined }));
    assert.ok(error instanceof NotAnImmutaApiError);
    assert.deepEqual([error.status, error.redirectTo], [302, `${server.url}/login`]);
    assert.match(error.message, new RegExp(`it answered HTTP 302, a redirect to ${server.url}/login\\. Point immuta:url`));
    assert.doesNotMatch(error.message, /SAMLRequest/);
    assert.deepEqual(server.requests.map((r) => [r.method, r.url]), [["POST", "/bim/apikey/authenticate"]]);
  });

  it("keeps the recorded outputs of a partial create, which hold the secret, out of inspect and JSON", () => {
    const error = new PartialCreateError("sales", { clientSecret: SECRET, hostname: "h" }, new Error("crawl timed out"));
    assert.deepEqual(error.properties, { clientSecret: SECRET, hostname: "h" });
    assert.ok(!inspect(error, { depth: 5 }).includes(SECRET));
    assert.ok(!JSON.stringify(error).includes(SECRET));
  });
});
