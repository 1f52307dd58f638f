import { strict as assert } from "node:assert";
import { ImmutaApiError } from "../../provider";
import { ImmutaClient } from "../../provider/immuta/client";
import { paths, userView } from "../../provider/immuta/wire";
import { startFakeServer, type FakeAnswer, type FakeServer } from "../support/fakeHttp";
import { rejection } from "./fixtures";

const settings = (url: string) => ({ url, apiKey: "imk_fake_key_0123456789", requestTimeoutMs: 5_000, maxRetries: 6, maxConcurrency: 4, crawlTimeoutMs: 5_000 });
const ALICE = paths.user("bim", "alice@example.com");
const AUTH = paths.authenticate();
const readAlice = (client: ImmutaClient) => client.request({ operation: "Reading alice", method: "GET", path: ALICE, response: userView });
const alice: FakeAnswer = { status: 200, body: { iamid: "bim", userid: "alice@example.com", profile: { name: "Alice" } } };
const throttled: FakeAnswer = { status: 429, body: { statusCode: 429, message: "slow down" }, headers: { "content-type": "application/json", "retry-after": "0" } };
const unauthorized: FakeAnswer = { status: 401, body: { statusCode: 401, error: "Unauthorized", message: "The bearer token is unknown or has expired" } };

/** What the fake Immuta was sent: method, path and Authorization header. */
const sent = (server: FakeServer) => server.requests.map((r) => [r.method, r.url, r.authorization ?? null]);

/**
 * A fake Immuta that issues tok1, tok2, … into `valid` and refuses any token not in it; `answer`
 * decides for a request that carries a valid token.
 */
function fakeImmuta(valid: Set<string>, answer: (token: string) => FakeAnswer): Promise<FakeServer> {
  let issued = 0;
  return startFakeServer((request) => {
    if (request.url === AUTH) {
      const token = `tok${++issued}`;
      valid.add(token);
      return { status: 200, body: { authenticated: true, token } };
    }
    const token = request.authorization?.replace(/^Bearer /, "") ?? "";
    return valid.has(token) ? answer(token) : unauthorized;
  });
}

describe("bearer tokens across retries", () => {
  let server: FakeServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("regression: a request throttled until its renewed token expired is no longer reported as a revoked key", async () => {
    const valid = new Set<string>();
    server = await fakeImmuta(valid, (token) => {
      if (token === "tok3") return alice;
      valid.delete(token); // it expires during the backoff
      return throttled;
    });
    assert.equal((await readAlice(new ImmutaClient(settings(server.url), { baseDelayMs: 1 }))).userid, "alice@example.com");
    assert.deepEqual(sent(server), [
      ["POST", AUTH, null],
      ["GET", ALICE, "Bearer tok1"],
      ["GET", ALICE, "Bearer tok1"],
      ["POST", AUTH, null],
      ["GET", ALICE, "Bearer tok2"],
      ["GET", ALICE, "Bearer tok2"],
      ["POST", AUTH, null],
      ["GET", ALICE, "Bearer tok3"],
    ]);
  });

  it("sends a retry with the token another request renewed during the backoff, not the one it started with", async () => {
    const valid = new Set<string>();
    let answered = 0;
    server = await fakeImmuta(valid, () => (++answered === 1 ? throttled : alice));
    const client = new ImmutaClient(settings(server.url), {
      // While the first request backs off, its token expires and a second request renews it.
      sleep: async () => {
        valid.delete("tok1");
        await readAlice(client);
      },
    });
    await readAlice(client);
    assert.deepEqual(sent(server), [
      ["POST", AUTH, null],
      ["GET", ALICE, "Bearer tok1"],
      ["GET", ALICE, "Bearer tok1"],
      ["POST", AUTH, null],
      ["GET", ALICE, "Bearer tok2"],
      ["GET", ALICE, "Bearer tok2"],
    ]);
  });

  it("says the API key may be revoked only when Immuta refuses a token it has just issued", async () => {
    server = await fakeImmuta(new Set(), () => unauthorized);
    const error = await rejection(readAlice(new ImmutaClient(settings(server.url))));
    assert.ok(error instanceof ImmutaApiError);
    assert.deepEqual([error.status, error.attempts], [401, 1]);
    assert.match(error.message, /refused a bearer token it had just issued.*revoked/);
    assert.deepEqual(sent(server), [
      ["POST", AUTH, null],
      ["GET", ALICE, "Bearer tok1"],
      ["POST", AUTH, null],
      ["GET", ALICE, "Bearer tok2"],
    ]);
  });
});
