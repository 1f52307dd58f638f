import { strict as assert } from "node:assert";
import { inspect } from "node:util";
import axios from "axios";
import { startEmulator, type Emulator } from "../../emulator";
import { ConfigurationError, ImmutaApiError, ImmutaUnreachableError } from "../../provider";
import { readConnection, registerConnection } from "../../provider/connection";
import { workspaceToken } from "../../provider/databricks/oauth";
import { ImmutaClient } from "../../provider/immuta/client";
import { readMapping, setMapping } from "../../provider/userMapping";
import { userView, paths } from "../../provider/immuta/wire";
import { clearFaults, requestLog, resetEmulator, setFaults, sharedEmulator } from "../support/emulator";
import { lastSeq } from "../support/resourceHost";
import { declarationFor, rejection, settingsFor } from "./fixtures";

const readAlice = (client: ImmutaClient) =>
  client.request({ operation: "Reading alice", method: "GET", path: paths.user("bim", "alice@example.com"), response: userView });

describe("Immuta client against the emulator", function () {
  let em: Emulator;

  before(async () => {
    em = await sharedEmulator();
  });

  beforeEach(async () => {
    await resetEmulator(em);
  });

  it("exchanges the API key once and shares the token between concurrent requests", async () => {
    const client = new ImmutaClient(settingsFor(em));
    const since = await lastSeq(em);
    await Promise.all(Array.from({ length: 10 }, () => readAlice(client)));
    assert.equal((await requestLog(em, { since, route: "/bim/apikey/authenticate" })).length, 1);
  });

  it("authenticates again after the bearer token expires, and replays the request once", async () => {
    const shortLived = await startEmulator({ tokenTtlSeconds: 1 });
    try {
      const client = new ImmutaClient(settingsFor(shortLived));
      await readAlice(client);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const user = await readAlice(client);
      assert.equal(user.userid, "alice@example.com");
      const log = await requestLog(shortLived);
      assert.deepEqual(log.map((e) => [e.route, e.status]), [
        ["/bim/apikey/authenticate", 200],
        ["/bim/iam/:iamid/user/:userid", 200],
        ["/bim/iam/:iamid/user/:userid", 401],
        ["/bim/apikey/authenticate", 200],
        ["/bim/iam/:iamid/user/:userid", 200],
      ]);
    } finally {
      await shortLived.stop();
    }
  });

  it("authenticates again only once when concurrent requests find their token refused", async () => {
    const client = new ImmutaClient(settingsFor(em));
    await readAlice(client);
    await resetEmulator(em);
    await Promise.all(Array.from({ length: 10 }, () => readAlice(client)));
    const log = await requestLog(em);
    assert.equal(log.filter((e) => e.route === "/bim/apikey/authenticate").length, 1);
    assert.equal(log.filter((e) => e.status === 401).length, 10);
  });

  it("retries a 429 after the Retry-After it was given", async () => {
    const waits: number[] = [];
    const client = new ImmutaClient(settingsFor(em), {
      random: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
        await clearFaults(em);
      },
    });
    await readAlice(client);
    await setFaults(em, { rate429: 1, retryAfterSeconds: 2, pathPrefix: "/bim/iam" });
    const since = await lastSeq(em);
    assert.equal((await readAlice(client)).userid, "alice@example.com");
    assert.deepEqual(waits, [2_000]);
    assert.deepEqual((await requestLog(em, { since })).map((e) => [e.status, e.fault]), [[429, "429"], [200, null]]);
  });

  it("gives up after the retry bound with an error that says what to do", async () => {
    const client = new ImmutaClient(settingsFor(em, { maxRetries: 2 }), { baseDelayMs: 1 });
    await setFaults(em, { rate429: 1, retryAfterSeconds: 0 });
    try {
      const error = await rejection(readAlice(client));
      assert.ok(error instanceof ImmutaApiError);
      assert.equal(error.status, 429);
      assert.equal(error.attempts, 3);
      assert.match(error.message, /after 3 attempts.*Lower immuta:maxConcurrency/);
    } finally {
      await clearFaults(em);
    }
  });

  it("retries a dropped connection", async () => {
    const client = new ImmutaClient(settingsFor(em), { sleep: () => clearFaults(em) });
    await readAlice(client);
    await setFaults(em, { rateDrop: 1 });
    const since = await lastSeq(em);
    assert.equal((await readAlice(client)).userid, "alice@example.com");
    assert.deepEqual((await requestLog(em, { since })).map((e) => e.fault), ["drop", null]);
  });

  it("refuses plain http to anything but this machine", () => {
    assert.throws(() => new ImmutaClient(settingsFor(em, { url: "http://immuta.example.com" })), (e: Error) => e instanceof ConfigurationError && /use https:\/\//.test(e.message));
  });

  it("never puts an API key, token, client secret or header in an error", async () => {
    const token = (await axios.post(`${em.immutaUrl}/bim/apikey/authenticate`, { apikey: em.apiKey })).data.token as string;
    const secrets = [em.apiKey, em.noPermissionApiKey, token, em.clientSecret, em.principals.lacksCreateRole.clientSecret, em.principals.lacksSuperuser.clientSecret, "wrong-key-123", "dose-wrong-secret"];
    const errors = await Promise.all([
      rejection(readAlice(new ImmutaClient(settingsFor(em, { apiKey: "wrong-key-123" })))),
      rejection(readConnection(new ImmutaClient(settingsFor(em, { apiKey: em.noPermissionApiKey })), "x", { warn: () => undefined })),
      rejection(setMapping(new ImmutaClient(settingsFor(em)), { iamId: "okta", userId: "oscar@corp.example.com" }, { mode: "none" })),
      rejection(registerConnection(new ImmutaClient(settingsFor(em)), declarationFor(em, em.principals.lacksCreateRole), { ...settingsFor(em), log: () => undefined, warn: () => undefined })),
      rejection(registerConnection(new ImmutaClient(settingsFor(em)), declarationFor(em, { ...em.principals.lacksSuperuser, preflight: false }), { ...settingsFor(em), log: () => undefined, warn: () => undefined })),
      rejection(workspaceToken({ workspaceUrl: em.workspaceUrl, clientId: em.clientId, clientSecret: "dose-wrong-secret" })),
      rejection(readMapping(new ImmutaClient(settingsFor(em, { url: "http://127.0.0.1:9", maxRetries: 1 })), { iamId: "bim", userId: "alice@example.com" })),
    ]);
    assert.ok(errors.some((e) => e instanceof ImmutaUnreachableError));
    for (const error of errors) {
      const rendered = [error.message, error.stack ?? "", inspect(error, { depth: 10 }), JSON.stringify(error)].join("\n");
      for (const secret of secrets) assert.ok(!rendered.includes(secret), `${error.name} leaks a secret: ${rendered}`);
      assert.doesNotMatch(rendered, /authorization|bearer /i, `${error.name} carries a header`);
    }
  });
});
