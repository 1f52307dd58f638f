import { strict as assert } from "node:assert";
import type { AxiosInstance } from "axios";
import type { Emulator } from "../../emulator";
import { clearMapping, IamManagedUsernameError, ImmutaApiError, ImmutaClient, readMapping, setMapping, UserNotFoundError, type PostgresMapping } from "../../provider";
import { immutaApi, requestLog, resetEmulator, sharedEmulator } from "../support/emulator";
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
});
