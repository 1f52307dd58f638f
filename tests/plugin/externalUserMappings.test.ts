// ExternalUserMappings through the real dynamic-provider host: many users of one IAM in one
// resource, one sweep of Immuta's user list per operation and a write only where a row differs.
import { strict as assert } from "node:assert";
import type { AxiosInstance } from "axios";
import type { Emulator } from "../../emulator";
import { UNKNOWN } from "../../provider/resources/inputs";
import { immutaClient, registerConnection } from "../emulator/helpers";
import { clearFaults, immutaApi, requestLog, resetEmulator, setFaults, sharedEmulator } from "../support/emulator";
import { PluginRpcError, type PluginHost, type PropertyMap } from "../support/pluginHost";
import { checked, hostFor, lastSeq, MAPPINGS_TYPE, providerTexts } from "../support/resourceHost";

const SWEEP = "GET /bim/user?size=500&offset=0&iamid=bim&includeDisabled=true";
const profilePath = (userId: string, iamId = "bim") => `/bim/iam/${iamId}/user/${encodeURIComponent(userId)}/profile`;
const userPath = (userId: string, iamId = "bim") => `/bim/iam/${iamId}/user/${encodeURIComponent(userId)}`;
/** The requests of one user's write: the read right before it, then the PUT. */
const write = (userId: string) => [`GET ${userPath(userId)}`, `PUT ${profilePath(userId)}`];

describe("ExternalUserMappings through the real dynamic-provider host", function () {
  let emulator: Emulator;
  let host: PluginHost;
  let provider: string;
  let api: AxiosInstance;
  const resource = () => host.urn(MAPPINGS_TYPE, "analysts");
  const args = (users: PropertyMap | typeof UNKNOWN, more: PropertyMap = {}) => ({ users, ...more, __provider: provider });
  const without = ({ __provider: _provider, ...rest }: PropertyMap) => rest;

  /** Every API call since `since` but the token exchange and the calls it answered 401, sorted. */
  async function apiCalls(since: number): Promise<string[]> {
    const calls = (await requestLog(emulator, { since })).filter((entry) => entry.route !== "/bim/apikey/authenticate" && entry.status !== 401);
    return calls.map((entry) => `${entry.method} ${entry.url}`).sort();
  }

  /** The PostgreSQL rows Immuta holds (undefined: unset, null: none). */
  async function rows(...userIds: string[]): Promise<Record<string, unknown>> {
    const held: Record<string, unknown> = {};
    for (const userId of userIds) held[userId] = (await api.get(profilePath(userId))).data.externalUserIds.postgresqlUser;
    return held;
  }

  async function setRow(userId: string, username: string): Promise<void> {
    const { data } = await api.get(profilePath(userId));
    await api.put(profilePath(userId), { ...data, externalUserIds: { ...data.externalUserIds, postgresqlUser: username } });
  }

  async function created(users: PropertyMap, more: PropertyMap = {}): Promise<{ id: string; inputs: PropertyMap; outputs: PropertyMap }> {
    const inputs = await checked(host, resource(), args(users, more));
    const { id, properties } = await host.create(resource(), inputs);
    return { id, inputs, outputs: properties };
  }

  async function failure(pending: Promise<unknown>): Promise<PluginRpcError> {
    const error = await pending.then(() => undefined, (caught: unknown) => caught);
    assert.ok(error instanceof PluginRpcError, `expected the RPC to fail, got ${String(error)}`);
    return error;
  }

  before(async () => {
    emulator = await sharedEmulator();
    provider = (await providerTexts()).mappings;
    host = await hostFor(emulator);
  });

  beforeEach(async () => {
    await resetEmulator(emulator);
    api = await immutaApi(emulator);
  });

  afterEach(async () => {
    await clearFaults(emulator);
  });

  after(async () => {
    await host?.close();
  });

  it("creates: one sweep, a write only for each user whose row differs, the other profile fields untouched, and outputs keyed by userid", async () => {
    const aliceBefore = (await api.get(profilePath("alice@example.com"))).data;
    const since = await lastSeq(emulator);
    const { id, outputs } = await created({
      "alice@example.com": "alice_pg",
      "bob@example.com": "BOB",
      "carol@example.com": { mode: "unset" },
      "dave@example.com": { mode: "none" },
    });
    assert.match(id, /^bim\/[0-9a-f]{8}$/);
    assert.deepEqual(without(outputs), {
      iamId: "bim",
      users: { "alice@example.com": "alice_pg", "bob@example.com": "BOB", "carol@example.com": { mode: "unset" }, "dave@example.com": { mode: "none" } },
      exclusive: false,
      effectiveUsernames: { "alice@example.com": "alice_pg", "bob@example.com": "BOB", "carol@example.com": "carol@example.com", "dave@example.com": null },
      otherMappedUsers: 1,
    });
    assert.deepEqual(await apiCalls(since), [...write("alice@example.com"), ...write("carol@example.com"), ...write("dave@example.com"), SWEEP].sort());
    assert.deepEqual(await rows("alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"), {
      "alice@example.com": "alice_pg",
      "bob@example.com": "bob",
      "carol@example.com": undefined,
      "dave@example.com": null,
    });
    const { updatedAt: _after, externalUserIds: idsAfter, ...aliceAfter } = (await api.get(profilePath("alice@example.com"))).data;
    const { updatedAt: _before, externalUserIds: idsBefore, ...aliceThen } = aliceBefore;
    assert.deepEqual({ ...aliceAfter, externalUserIds: idsAfter }, { ...aliceThen, externalUserIds: { ...idsBefore, postgresqlUser: "alice_pg" } });
  });

  it("accepts the long form of a username and previews no change for the same users, nor for a username that differs only in case", async () => {
    const { id, inputs, outputs } = await created({ "alice@example.com": { postgresUsername: "alice_pg" }, "carol@example.com": { mode: "none" } });
    assert.deepEqual(without(inputs), { iamId: "bim", exclusive: false, users: { "alice@example.com": "alice_pg", "carol@example.com": { mode: "none" } } });
    const again = (await host.check(resource(), inputs, args({ "alice@example.com": "ALICE_PG", "carol@example.com": { mode: "none" } }))).inputs;
    assert.deepEqual(await host.diff(resource(), id, outputs, again, inputs), { changes: "none", replaces: [], deleteBeforeReplace: true });
  });

  it("shows a user switched to none by a crawl and a username changed outside as per-user drift, and the next update heals only those two", async () => {
    const { id, inputs, outputs } = await created({ "erin@example.com": "erin_pg", "bob@example.com": "bob", "alice@example.com": { mode: "unset" } });
    // A crawl switches to none every user whose PostgreSQL username has no role there: erin_pg has none.
    await registerConnection(await immutaClient(emulator), emulator, "sync_source");
    await setRow("bob@example.com", "robert");

    const since = await lastSeq(emulator);
    const read = await host.read(resource(), id, outputs, inputs);
    assert.deepEqual(await apiCalls(since), [SWEEP], "a refresh is one sweep");
    const drifted = { "erin@example.com": { mode: "none" }, "bob@example.com": "robert", "alice@example.com": { mode: "unset" } };
    assert.deepEqual([without(read.properties).users, read.inputs && without(read.inputs)], [drifted, { iamId: "bim", users: drifted, exclusive: false }]);
    assert.equal((await host.diff(resource(), id, read.properties, inputs, read.inputs)).changes, "some");

    const healing = await lastSeq(emulator);
    const healed = await host.update(resource(), id, read.properties, inputs, read.inputs);
    assert.deepEqual(without(healed.properties).users, { "erin@example.com": "erin_pg", "bob@example.com": "bob", "alice@example.com": { mode: "unset" } });
    assert.deepEqual(await apiCalls(healing), [...write("bob@example.com"), ...write("erin@example.com"), SWEEP].sort());
  });

  it("updates per user: a changed row is written, an added user set, a removed user returned to unset, an unchanged one left alone", async () => {
    const { id, inputs, outputs } = await created({ "alice@example.com": "alice_pg", "bob@example.com": "bob", "carol@example.com": { mode: "none" } });
    const news = (await host.check(resource(), inputs, args({ "alice@example.com": "alice2", "bob@example.com": "bob", "dave@example.com": { mode: "none" } }))).inputs;
    assert.deepEqual(await host.diff(resource(), id, outputs, news, inputs), { changes: "some", replaces: [], deleteBeforeReplace: true });
    const since = await lastSeq(emulator);
    const updated = await host.update(resource(), id, outputs, news, inputs);
    assert.deepEqual(without(updated.properties).users, { "alice@example.com": "alice2", "bob@example.com": "bob", "dave@example.com": { mode: "none" } });
    assert.deepEqual(await apiCalls(since), [...write("alice@example.com"), ...write("carol@example.com"), ...write("dave@example.com"), SWEEP].sort());
    assert.deepEqual(await rows("alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"), {
      "alice@example.com": "alice2",
      "bob@example.com": "bob",
      "carol@example.com": undefined,
      "dave@example.com": null,
    });
  });

  it("replaces the resource when iamId changes", async () => {
    const { id, inputs, outputs } = await created({ "alice@example.com": "alice_pg" });
    const news = (await host.check(resource(), inputs, args({ "oscar@corp.example.com": "oscar" }, { iamId: "okta" }))).inputs;
    assert.deepEqual(await host.diff(resource(), id, outputs, news, inputs), { changes: "some", replaces: ["iamId"], deleteBeforeReplace: true });
  });

  it("records a create that failed part-way with the rows Immuta holds, and the next update writes only what is missing", async () => {
    await setFaults(emulator, { methods: ["PUT"], pathPrefix: profilePath("carol@example.com"), rate5xx: 1, statuses5xx: [500] });
    const inputs = await checked(host, resource(), args({ "alice@example.com": "alice_pg", "carol@example.com": "carol_pg", "dave@example.com": { mode: "none" } }));
    const error = await failure(host.create(resource(), inputs));
    assert.ok(error.initFailure, error.message);
    const { id, properties, reasons } = error.initFailure;
    assert.match(id, /^bim\/[0-9a-f]{8}$/);
    assert.equal(properties.__provider, provider, "the recorded resource can be refreshed and destroyed");
    assert.deepEqual(without(properties), {
      iamId: "bim",
      users: { "alice@example.com": "alice_pg", "carol@example.com": { mode: "none" }, "dave@example.com": { mode: "none" } },
      exclusive: false,
      effectiveUsernames: { "alice@example.com": "alice_pg", "carol@example.com": null, "dave@example.com": null },
      otherMappedUsers: 2,
    });
    assert.equal(reasons.length, 1);
    assert.match(reasons[0], /^ExternalUserMappings bim\/[0-9a-f]{8}: Writing the mapping of user "carol@example\.com" failed: Setting the PostgreSQL username of Immuta user "carol@example\.com" .*HTTP 500.* The next pulumi up writes what is still missing, repeating no write that landed\.$/);

    await clearFaults(emulator);
    assert.equal((await host.diff(resource(), id, properties, inputs, inputs)).changes, "some");
    const since = await lastSeq(emulator);
    const finished = await host.update(resource(), id, properties, inputs, inputs);
    assert.deepEqual(without(finished.properties).users, { "alice@example.com": "alice_pg", "carol@example.com": "carol_pg", "dave@example.com": { mode: "none" } });
    assert.deepEqual(await apiCalls(since), [...write("carol@example.com"), SWEEP].sort());
  });

  it("records an update that failed part-way, keeping a user whose return to unset failed, and the next update finishes it alone", async () => {
    const { id, inputs, outputs } = await created({ "alice@example.com": "alice_pg", "carol@example.com": { mode: "none" } });
    const news = (await host.check(resource(), inputs, args({ "alice@example.com": "alice2" }))).inputs;
    await setFaults(emulator, { methods: ["PUT"], pathPrefix: profilePath("carol@example.com"), rate5xx: 1, statuses5xx: [500] });
    const error = await failure(host.update(resource(), id, outputs, news, inputs));
    assert.ok(error.initFailure, error.message);
    assert.equal(error.initFailure.id, id);
    assert.deepEqual(without(error.initFailure.properties).users, { "alice@example.com": "alice2", "carol@example.com": { mode: "none" } });

    await clearFaults(emulator);
    const recorded = error.initFailure.properties;
    assert.equal((await host.diff(resource(), id, recorded, news, inputs)).changes, "some");
    const since = await lastSeq(emulator);
    const finished = await host.update(resource(), id, recorded, news, inputs);
    assert.deepEqual(without(finished.properties).users, { "alice@example.com": "alice2" });
    assert.deepEqual(await apiCalls(since), [...write("carol@example.com"), SWEEP].sort());
    assert.deepEqual(await rows("alice@example.com", "carol@example.com"), { "alice@example.com": "alice2", "carol@example.com": undefined });
  });

  it("fails a create naming every declared user Immuta does not have, and changes nothing", async () => {
    const inputs = await checked(host, resource(), args({ "alice@example.com": "alice_pg", "ghost@example.com": "ghost", "Bob@example.com": "bob" }));
    const since = await lastSeq(emulator);
    const error = await failure(host.create(resource(), inputs));
    assert.equal(error.initFailure, undefined, "nothing is recorded");
    assert.match(error.details, /^Immuta has no users "Bob@example\.com" and "ghost@example\.com" in IAM "bim", so nothing was changed\. Check each userid/);
    assert.deepEqual((await requestLog(emulator, { since })).filter((entry) => entry.method === "PUT"), []);
    assert.deepEqual(await rows("alice@example.com"), { "alice@example.com": undefined });
  });

  it("with exclusive: true returns every other user with a username to unset, never touching none, and a refresh counts the ones set outside since", async () => {
    const { id, inputs, outputs } = await created({ "alice@example.com": "alice_pg" });
    assert.equal(outputs.otherMappedUsers, 2, "bob and erin have usernames");
    const news = (await host.check(resource(), inputs, args({ "alice@example.com": "alice_pg" }, { exclusive: true }))).inputs;
    assert.equal((await host.diff(resource(), id, outputs, news, inputs)).changes, "some");
    await host.printed(/ExternalUserMappings bim\/[0-9a-f]{8}: exclusive: true returns to unset 2 other users of IAM "bim" with a PostgreSQL username, as counted by the last pulumi up or refresh/);

    const since = await lastSeq(emulator);
    const exclusive = await host.update(resource(), id, outputs, news, inputs);
    assert.deepEqual(without(exclusive.properties), {
      iamId: "bim",
      users: { "alice@example.com": "alice_pg" },
      exclusive: true,
      effectiveUsernames: { "alice@example.com": "alice_pg" },
      otherMappedUsers: 0,
    });
    assert.deepEqual(await apiCalls(since), [...write("bob@example.com"), ...write("erin@example.com"), SWEEP].sort());
    assert.deepEqual(await rows("bob@example.com", "erin@example.com", "carol@example.com", "admin@example.com"), {
      "bob@example.com": undefined,
      "erin@example.com": undefined,
      "carol@example.com": null,
      "admin@example.com": null,
    });
    assert.equal((await api.get(profilePath("oscar@corp.example.com", "okta"))).data.externalUserIds.postgresqlUser, "oscar", "another IAM's users are not touched");

    await setRow("Frank@Example.com", "frank");
    const read = await host.read(resource(), id, exclusive.properties, news);
    assert.deepEqual([read.properties.otherMappedUsers, read.inputs?.exclusive], [1, false]);
    assert.equal((await host.diff(resource(), id, read.properties, news, read.inputs)).changes, "some");
    const healed = await host.update(resource(), id, read.properties, news, read.inputs);
    assert.equal(healed.properties.otherMappedUsers, 0);
    assert.deepEqual(await rows("Frank@Example.com"), { "Frank@Example.com": undefined });
  });

  it("deletes: returns every user in it to unset, with one sweep, and leaves the other users alone", async () => {
    const { id, outputs } = await created({ "alice@example.com": "alice_pg", "bob@example.com": "bob", "carol@example.com": { mode: "none" }, "Frank@Example.com": { mode: "unset" } });
    const since = await lastSeq(emulator);
    await host.delete(resource(), id, outputs);
    assert.deepEqual(await apiCalls(since), [...write("alice@example.com"), ...write("bob@example.com"), ...write("carol@example.com"), SWEEP].sort());
    assert.deepEqual(await rows("alice@example.com", "bob@example.com", "carol@example.com", "Frank@Example.com", "erin@example.com"), {
      "alice@example.com": undefined,
      "bob@example.com": undefined,
      "carol@example.com": undefined,
      "Frank@Example.com": undefined,
      "erin@example.com": "erin_pg",
    });
  });

  it("fails to set usernames that the users' IAM sets, naming them, and leaves them to the IAM on delete", async () => {
    const inputs = await checked(host, resource(), args({ "oscar@corp.example.com": "oscar_other" }, { iamId: "okta" }));
    const error = await failure(host.create(resource(), inputs));
    assert.ok(error.initFailure, error.message);
    assert.match(error.initFailure.reasons[0], /Cannot set the PostgreSQL usernames of user "oscar@corp\.example\.com": the profile schema of IAM "okta" sets them/);
    assert.deepEqual(without(error.initFailure.properties).users, { "oscar@corp.example.com": "oscar" });
    await host.delete(resource(), error.initFailure.id, error.initFailure.properties);
    await host.printed(/Left the PostgreSQL usernames of user "oscar@corp\.example\.com" as IAM "okta" sets them/);
    assert.equal((await api.get(profilePath("oscar@corp.example.com", "okta"))).data.externalUserIds.postgresqlUser, "oscar");
  });

  it("reports every bad entry at once in one Check, naming each user, and no step sends a request for them", async () => {
    const since = await lastSeq(emulator);
    const news = args(
      {
        "..": "x",
        " padded@example.com": { mode: "none" },
        "bob@example.com": "b".repeat(64),
        "carol@example.com": { mode: "username" },
        "dave@example.com": { mode: "none", postgresUsername: "dave" },
        "erin@example.com": 5,
        "frank@example.com": "  ",
        "fine@example.com": "fine",
      },
      { iamId: "..", exclusive: "yes" },
    );
    const { failures } = await host.check(resource(), {}, news);
    assert.deepEqual(failures, [
      { property: "iamId", reason: 'must not be "..", which in a request path addresses another Immuta resource' },
      { property: "exclusive", reason: "must be true or false" },
      { property: 'users[" padded@example.com"]', reason: "has a userid that must not begin or end with whitespace" },
      { property: 'users[".."]', reason: 'has a userid that must not be "..", which in a request path addresses another Immuta resource' },
      { property: 'users["bob@example.com"]', reason: "is 64 bytes long; a PostgreSQL identifier may be at most 63 bytes" },
      { property: 'users["carol@example.com"].postgresUsername', reason: 'is required when mode is "username"' },
      { property: 'users["dave@example.com"].postgresUsername', reason: 'must not be set when mode is "none" (the user has no PostgreSQL account)' },
      { property: 'users["erin@example.com"]', reason: 'must be a PostgreSQL username (a string), { mode: "none" } or { mode: "unset" }' },
      { property: 'users["frank@example.com"]', reason: "must not be only whitespace" },
    ]);
    const error = await failure(host.create(resource(), news));
    assert.match(error.details, /^Invalid ExternalUserMappings arguments: iamId must not be "\.\."/);
    assert.deepEqual(await requestLog(emulator, { since }), []);
  });

  it("lets preview's unknown values through, as a map or as one user's entry, and counts them as changes", async () => {
    const { id, inputs, outputs } = await created({ "alice@example.com": "alice_pg" });
    const since = await lastSeq(emulator);
    const wholeMap = await host.check(resource(), inputs, args(UNKNOWN));
    assert.deepEqual([wholeMap.failures, without(wholeMap.inputs)], [[], { iamId: "bim", exclusive: false, users: UNKNOWN }]);
    const oneEntry = await host.check(resource(), inputs, args({ "alice@example.com": UNKNOWN, "bob@example.com": { mode: "none" } }));
    assert.deepEqual([oneEntry.failures, without(oneEntry.inputs)], [[], { iamId: "bim", exclusive: false, users: { "alice@example.com": UNKNOWN, "bob@example.com": { mode: "none" } } }]);
    for (const news of [wholeMap.inputs, oneEntry.inputs]) assert.equal((await host.diff(resource(), id, outputs, news, inputs)).changes, "some");
    assert.deepEqual(await requestLog(emulator, { since }), []);
  });
});
