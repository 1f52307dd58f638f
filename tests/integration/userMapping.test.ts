import { strict as assert } from "node:assert";
import type { AxiosInstance } from "axios";
import type { Emulator } from "../../emulator";
import { IamManagedUsernameError, ImmutaApiError, UserNotFoundError } from "../../provider";
import { ImmutaClient } from "../../provider/immuta/client";
import { clearMapping, readMapping, setMapping, type PostgresMapping } from "../../provider/userMapping";
import { clearFaults, immutaApi, requestLog, resetEmulator, setFaults, sharedEmulator } from "../support/emulator";
import { lastSeq } from "../support/resourceHost";
import { collectingLog, rejection, settingsFor } from "./fixtures";

const alice = { iamId: "bim", userId: "alice@example.com" };

describe("user mapping logic against the emulator", function () {
  let em: Emulator;
  let client: ImmutaClient;
  let api: AxiosInstance;

  /** The profile as Immuta stores it, without the fields a write is allowed to change. */
  async function untouchedFields(userId: string): Promise<string> {
    const { data } = await api.get(`/bim/iam/bim/user/${encodeURIComponent(userId)}/profile`);
    const { updatedAt: _updatedAt, externalUserIds, ...rest } = data;
    const { postgresqlUser: _pg, ...otherIds } = externalUserIds ?? {};
    return JSON.stringify({ ...rest, otherIds });
  }

  before(async () => {
    em = await sharedEmulator();
  });

  beforeEach(async () => {
    await resetEmulator(em);
    client = new ImmutaClient(settingsFor(em));
    api = await immutaApi(em);
  });

  it("reads the three states", async () => {
    assert.deepEqual((await readMapping(client, alice))?.mapping, { mode: "unset" });
    assert.deepEqual((await readMapping(client, { iamId: "bim", userId: "bob@example.com" }))?.mapping, { mode: "username", username: "bob" });
    assert.deepEqual((await readMapping(client, { iamId: "bim", userId: "carol@example.com" }))?.mapping, { mode: "none" });
    assert.equal(await readMapping(client, { iamId: "bim", userId: "nobody@example.com" }), undefined);
  });

  it("moves through every transition, leaving every other profile field byte for byte", async () => {
    const before = await untouchedFields(alice.userId);
    const steps: PostgresMapping[] = [
      { mode: "username", username: "alice_pg" },
      { mode: "none" },
      { mode: "unset" },
      { mode: "none" },
      { mode: "username", username: "alice2" },
      { mode: "unset" },
    ];
    for (const step of steps) {
      assert.deepEqual(await setMapping(client, alice, step), step);
      assert.deepEqual((await readMapping(client, alice))?.mapping, step);
      assert.equal(await untouchedFields(alice.userId), before, `after ${JSON.stringify(step)}`);
    }
    const { data } = await api.get("/bim/iam/bim/user/alice%40example.com/profile");
    assert.ok(!("postgresqlUser" in data.externalUserIds), "unset removes the key");
  });

  it("writes nothing when Immuta already holds the mapping, comparing usernames case-insensitively", async () => {
    const since = await lastSeq(em);
    assert.deepEqual(await setMapping(client, { iamId: "bim", userId: "bob@example.com" }, { mode: "username", username: "BOB" }), { mode: "username", username: "bob" });
    assert.deepEqual(await requestLog(em, { since, method: "PUT" }), []);
  });

  it("clears to unset, and a user that is gone needs nothing", async () => {
    const log = collectingLog();
    await clearMapping(client, { iamId: "bim", userId: "bob@example.com" }, log.log);
    assert.deepEqual((await readMapping(client, { iamId: "bim", userId: "bob@example.com" }))?.mapping, { mode: "unset" });
    await clearMapping(client, { iamId: "bim", userId: "nobody@example.com" }, log.log);
    assert.deepEqual(log.lines, []);
  });

  it("leaves a username that the user's IAM sets to the IAM when clearing, so that destroy is not blocked", async () => {
    const log = collectingLog();
    const oscar = { iamId: "okta", userId: "oscar@corp.example.com" };
    await clearMapping(client, oscar, log.log);
    assert.deepEqual((await readMapping(client, oscar))?.mapping, { mode: "username", username: "oscar" });
    assert.match(log.lines.join("\n"), /as IAM "okta" sets it/);
  });

  it("says which user or IAM is unknown", async () => {
    for (const user of [{ iamId: "bim", userId: "nobody@example.com" }, { iamId: "azure", userId: "alice@example.com" }]) {
      const error = await rejection(setMapping(client, user, { mode: "none" }));
      assert.ok(error instanceof UserNotFoundError);
      assert.match(error.message, new RegExp(`no user "${user.userId}" in IAM "${user.iamId}"`));
    }
  });

  it("regression: a userid in the wrong case says that the case counts, where it used to say only \"no user\"", async () => {
    const error = await rejection(setMapping(client, { iamId: "bim", userId: "Alice@Example.com" }, { mode: "none" }));
    assert.ok(error instanceof UserNotFoundError);
    assert.match(error.message, /no user "Alice@Example\.com" in IAM "bim"\. Check userId \(.*matched exactly, so its case counts too\)/);
  });

  it("names USER_ADMIN when the key lacks it", async () => {
    const viewer = new ImmutaClient(settingsFor(em, { apiKey: em.noPermissionApiKey }));
    const error = await rejection(setMapping(viewer, alice, { mode: "none" }));
    assert.ok(error instanceof ImmutaApiError);
    assert.equal(error.status, 403);
    assert.match(error.message, /lacks the permission USER_ADMIN/);
  });

  it("explains that an IAM-managed username must be changed in the IAM's profile schema", async () => {
    const error = await rejection(setMapping(client, { iamId: "okta", userId: "oscar@corp.example.com" }, { mode: "username", username: "oscar2" }));
    assert.ok(error instanceof IamManagedUsernameError);
    assert.match(error.message, /profile schema of IAM "okta".*Profile Schema/);
  });

  describe("a write that fails and is retried", () => {
    const profilePath = "/bim/iam/bim/user/alice%40example.com/profile";

    afterEach(async () => {
      await clearFaults(em);
    });

    it("regression: keeps another actor's profile change made while the failed write backed off, instead of re-sending the profile as first read", async () => {
      await setFaults(em, { rate5xx: 1, statuses5xx: [503], methods: ["PUT"], pathPrefix: "/bim/iam" });
      const backoffs: number[] = [];
      const retrying = new ImmutaClient(settingsFor(em), {
        random: () => 0,
        sleep: async (ms) => {
          backoffs.push(ms);
          // Another actor changes the phone number while the mapping write waits to be retried.
          await clearFaults(em);
          const { data } = await api.get(profilePath);
          await api.put(profilePath, { ...data, phone: "+1 617 555 0199" });
        },
      });
      const since = await lastSeq(em);
      assert.deepEqual(await setMapping(retrying, alice, { mode: "username", username: "alice_pg" }), { mode: "username", username: "alice_pg" });
      const { data } = await api.get(profilePath);
      assert.deepEqual([data.phone, data.externalUserIds], ["+1 617 555 0199", { databricksUser: "alice@example.com", snowflakeUser: "ALICE", postgresqlUser: "alice_pg" }]);
      assert.deepEqual(backoffs, [250]);
      assert.deepEqual((await requestLog(em, { since })).map((e) => [e.method, e.route, e.status]), [
        ["POST", "/bim/apikey/authenticate", 200],
        ["GET", "/bim/iam/:iamid/user/:userid", 200],
        ["PUT", "/bim/iam/:iamid/user/:userid/profile", 503],
        ["GET", "/bim/iam/:iamid/user/:userid/profile", 200],
        ["PUT", "/bim/iam/:iamid/user/:userid/profile", 200],
        ["GET", "/bim/iam/:iamid/user/:userid", 200],
        ["PUT", "/bim/iam/:iamid/user/:userid/profile", 200],
        ["GET", "/bim/iam/:iamid/user/:userid/profile", 200],
      ]);
    });

    it("does not write again when the write whose answer was lost took effect", async () => {
      await setFaults(em, { rateLostAnswer: 1, methods: ["PUT"], pathPrefix: "/bim/iam" });
      const since = await lastSeq(em);
      const quick = new ImmutaClient(settingsFor(em), { baseDelayMs: 1 });
      assert.deepEqual(await setMapping(quick, alice, { mode: "none" }), { mode: "none" });
      assert.deepEqual((await requestLog(em, { since })).map((e) => [e.method, e.route, e.fault]), [
        ["POST", "/bim/apikey/authenticate", null],
        ["GET", "/bim/iam/:iamid/user/:userid", null],
        ["PUT", "/bim/iam/:iamid/user/:userid/profile", "lostAnswer"],
        ["GET", "/bim/iam/:iamid/user/:userid", null],
      ]);
      assert.deepEqual((await readMapping(client, alice))?.mapping, { mode: "none" });
    });

    it("gives up after immuta:maxRetries, counting each read-and-write as one attempt", async () => {
      await setFaults(em, { rate429: 1, retryAfterSeconds: 0, methods: ["PUT"], pathPrefix: "/bim/iam" });
      const since = await lastSeq(em);
      const error = await rejection(setMapping(new ImmutaClient(settingsFor(em, { maxRetries: 2 }), { baseDelayMs: 1 }), alice, { mode: "none" }));
      assert.ok(error instanceof ImmutaApiError);
      assert.deepEqual([error.status, error.attempts], [429, 3]);
      assert.deepEqual((await requestLog(em, { since })).map((e) => e.method), ["POST", "GET", "PUT", "GET", "PUT", "GET", "PUT"]);
    });
  });
});
