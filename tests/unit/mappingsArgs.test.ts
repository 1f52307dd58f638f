import { strict as assert } from "node:assert";
import { ExternalUserMappingProvider } from "../../provider/resources/externalUserMapping";
import { ExternalUserMappingsProvider } from "../../provider/resources/externalUserMappings";
import { DeploymentClaims } from "../../provider/resources/deploymentClaims";
import { UNKNOWN } from "../../provider/resources/inputs";
import { RESOURCE_NAME_INPUT } from "../../provider/resources/resourceName";

const quiet = () => undefined;

describe("ExternalUserMappings check", () => {
  const provider = new ExternalUserMappingsProvider(quiet);

  it("defaults iamId to bim and exclusive to false, and writes every entry in its one form", async () => {
    const users = {
      "alice@example.com": "alice",
      "bob@example.com": { postgresUsername: "bob" },
      "carol@example.com": { mode: "username", postgresUsername: "carol" },
      "dave@example.com": { mode: "none" },
      "erin@example.com": { mode: "unset" },
    };
    assert.deepEqual(await provider.check({}, { users }), {
      inputs: {
        iamId: "bim",
        exclusive: false,
        users: { "alice@example.com": "alice", "bob@example.com": "bob", "carol@example.com": "carol", "dave@example.com": { mode: "none" }, "erin@example.com": { mode: "unset" } },
      },
      failures: [],
    });
    assert.deepEqual(await provider.check({}, { iamId: "okta", users: {}, exclusive: true }), { inputs: { iamId: "okta", exclusive: true, users: {} }, failures: [] });
  });

  it("requires users to be a map, saying what an entry may be", async () => {
    const forms = 'from each Immuta userid to a PostgreSQL username (a string), { mode: "none" } or { mode: "unset" }';
    assert.deepEqual((await provider.check({}, {})).failures, [{ property: "users", reason: `is required: ${forms}` }]);
    assert.deepEqual((await provider.check({}, { users: ["alice@example.com"] })).failures, [{ property: "users", reason: `must be a map: ${forms}` }]);
  });

  it("applies ExternalUserMapping's rules to each userid and entry: NUL, lengths, 63-byte usernames, modes", async () => {
    const longest = `${"a".repeat(64)}@${"b".repeat(185)}.com`;
    const { failures } = await provider.check({}, {
      users: {
        "nul\u0000@example.com": "x",
        [`${longest}m`]: "x",
        [longest]: "é".repeat(32),
        "ok@example.com": "\u0000x",
        "mode@example.com": { mode: "sometimes" },
        "empty@example.com": {},
      },
    });
    assert.deepEqual(failures, [
      { property: 'users["nul\\u0000@example.com"]', reason: "has a userid that must not contain a NUL character" },
      { property: `users["${longest}m"]`, reason: "has a userid that must be at most 254 characters, the longest e-mail address" },
      { property: `users["${longest}"]`, reason: "is 64 bytes long; a PostgreSQL identifier may be at most 63 bytes" },
      { property: 'users["ok@example.com"]', reason: "must not contain a NUL character" },
      { property: 'users["mode@example.com"].mode', reason: "must be one of username, unset, none" },
      { property: 'users["empty@example.com"].mode', reason: "is required when postgresUsername is not set: one of username, unset, none" },
    ]);
  });

  it("lets preview's unknown values through: the map, an entry, or a username inside one", async () => {
    assert.deepEqual(await provider.check({}, { users: UNKNOWN, iamId: UNKNOWN }), { inputs: { iamId: UNKNOWN, exclusive: false, users: UNKNOWN }, failures: [] });
    assert.deepEqual((await provider.check({}, { users: { a: UNKNOWN, b: { postgresUsername: UNKNOWN }, c: { mode: UNKNOWN } } })).inputs.users, { a: UNKNOWN, b: UNKNOWN, c: UNKNOWN });
  });
});

describe("ExternalUserMappings diff", () => {
  const provider = new ExternalUserMappingsProvider(quiet);
  const olds = { iamId: "bim", exclusive: false, users: { alice: "alice_pg", bob: { mode: "none" as const } }, effectiveUsernames: { alice: "alice_pg", bob: null }, otherMappedUsers: 3 };
  const news = (users: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ iamId: "bim", exclusive: false, users, ...more });
  const changes = async (next: Record<string, unknown>) => (await provider.diff("bim/0a1b2c3d", olds, next)).changes;

  it("ignores a case-only username difference and the order of users", async () => {
    assert.deepEqual(await provider.diff("bim/0a1b2c3d", olds, news({ bob: { mode: "none" }, alice: "ALICE_PG" })), { changes: false, replaces: [], deleteBeforeReplace: true });
  });

  it("updates when a user's row changes, a user is added or removed, or exclusive changes", async () => {
    for (const next of [news({ alice: "other", bob: { mode: "none" } }), news({ alice: "alice_pg", bob: { mode: "unset" } }), news({ alice: "alice_pg" }), news({ ...olds.users, carol: "carol" }), news(olds.users, { exclusive: true })]) {
      assert.equal(await changes(next), true, JSON.stringify(next));
    }
  });

  it("updates an exclusive resource while other users had a username at the last count, and not once none had", async () => {
    const exclusive = { ...olds, exclusive: true };
    assert.equal((await provider.diff("bim/0a1b2c3d", exclusive, news(olds.users, { exclusive: true }))).changes, true);
    assert.equal((await provider.diff("bim/0a1b2c3d", { ...exclusive, otherMappedUsers: 0 }, news(olds.users, { exclusive: true }))).changes, false);
  });

  it("says in the preview how many other users exclusive: true returns to unset, and where the count comes from", async () => {
    const lines: string[] = [];
    await new ExternalUserMappingsProvider((line) => lines.push(line)).diff("bim/0a1b2c3d", olds, news(olds.users, { exclusive: true }));
    assert.deepEqual(lines, [
      'ExternalUserMappings bim/0a1b2c3d: exclusive: true returns to unset 3 other users of IAM "bim" with a PostgreSQL username, as counted by the last pulumi up or refresh ' +
        "(pulumi preview --refresh counts again); the update acts on what Immuta holds then.",
    ]);
  });

  it("replaces on an iamId change and treats unknown values as changes", async () => {
    assert.deepEqual(await provider.diff("bim/0a1b2c3d", olds, news(olds.users, { iamId: "okta" })), { changes: true, replaces: ["iamId"], deleteBeforeReplace: true });
    assert.equal(await changes(news(UNKNOWN as unknown as Record<string, unknown>)), true);
    assert.equal(await changes(news({ alice: UNKNOWN, bob: { mode: "none" } })), true);
  });
});

describe("ExternalUserMappings check across one deployment", () => {
  let claims: DeploymentClaims;
  let mappings: ExternalUserMappingsProvider;
  let single: ExternalUserMappingProvider;
  beforeEach(() => {
    claims = new DeploymentClaims();
    mappings = new ExternalUserMappingsProvider(quiet, claims);
    single = new ExternalUserMappingProvider(quiet, claims);
  });
  const declared = (name: string, args: Record<string, unknown>) => ({ [RESOURCE_NAME_INPUT]: name, ...args });
  const failuresOf = async (olds: Record<string, unknown>, news: Record<string, unknown>) => (await mappings.check(olds, news)).failures;
  const user = (userId: string) => `the PostgreSQL mapping of user "${userId}" in IAM "bim"`;

  it("fails two lists that share users, naming each shared user and both resources", async () => {
    assert.deepEqual(await failuresOf({}, declared("analysts", { users: { alice: "a", bob: "b", carol: "c" } })), []);
    assert.deepEqual(await failuresOf({}, declared("copy", { users: { bob: "b", carol: { mode: "none" }, dave: "d" } })), ["bob", "carol"].map((userId) => ({
      property: `users["${userId}"]`,
      reason:
        `ExternalUserMappings "copy" and ExternalUserMappings "analysts" both manage ${user(userId)}: each would overwrite what the other sets, and deleting either returns the user to unset. ` +
        `Keep one of them. Declare it in one place only: remove users["${userId}"] of ExternalUserMappings "copy" or users["${userId}"] of ExternalUserMappings "analysts"`,
    })));
  });

  it("fails a resource that takes a user another list drops in the same deployment, since the update returns it to unset", async () => {
    const { inputs } = await mappings.check({}, declared("analysts", { users: { alice: "a", bob: "b" } }));
    assert.deepEqual(await failuresOf(inputs, declared("analysts", { users: { alice: "a" } })), []);
    assert.deepEqual((await single.check({}, declared("bob", { userId: "bob", mode: "none" }))).failures, [
      {
        property: "userId",
        reason:
          `ExternalUserMappings "analysts" gives up ${user("bob")} in this deployment, which removes it from users, while ExternalUserMapping "bob" manages it: ` +
          'the update of ExternalUserMappings "analysts" returns the user to unset, undoing ExternalUserMapping "bob". Make the two changes in separate deployments: ' +
          'first the one that removes it from ExternalUserMappings "analysts", then the one that gives it to ExternalUserMapping "bob"',
      },
    ]);
  });

  it("counts an iamId change as giving up every user by replacement, and neither a re-check nor an unknown map as a clash", async () => {
    const { inputs } = await mappings.check({}, declared("analysts", { users: { alice: "a" } }));
    assert.deepEqual(await failuresOf(inputs, declared("analysts", { users: { alice: "a" } })), []);
    assert.deepEqual(await failuresOf(inputs, declared("analysts", { users: UNKNOWN })), []);
    assert.deepEqual(await failuresOf(inputs, declared("analysts", { iamId: "okta", users: { alice: "a" } })), []);
    assert.deepEqual((await single.check({}, declared("alice", { userId: "alice", mode: "none" }))).failures.map((f) => f.reason.split(":")[0]), [
      `ExternalUserMappings "analysts" gives up ${user("alice")} in this deployment, which replaces it, while ExternalUserMapping "alice" manages it`,
    ]);
  });

  it("fails an exclusive list together with any other resource managing a user of its IAM that it does not list, whichever is checked second", async () => {
    const resets =
      'ExternalUserMappings "everyone" has exclusive: true, which returns to unset every user of IAM "bim" with a PostgreSQL username that it does not list, ' +
      `while ExternalUserMapping "bob" manages ${user("bob")}: each up would undo the other. List that user in ExternalUserMappings "everyone" (and remove it from ExternalUserMapping "bob"), or set exclusive: false`;
    const resetBy =
      `ExternalUserMapping "bob" manages ${user("bob")}, which ExternalUserMappings "everyone" does not list although it has exclusive: true: it returns every user of IAM "bim" ` +
      'with a PostgreSQL username that it does not list to unset, so each up would undo the other. List the user in ExternalUserMappings "everyone" instead, or set exclusive: false there';
    const everyone = declared("everyone", { users: { alice: "a" }, exclusive: true });
    assert.deepEqual(await failuresOf({}, everyone), []);
    assert.deepEqual((await single.check({}, declared("bob", { userId: "bob", mode: "none" }))).failures, [{ property: "userId", reason: resetBy }]);
    assert.deepEqual((await single.check({}, declared("oscar", { userId: "oscar", iamId: "okta", mode: "none" }))).failures, [], "another IAM's users are not its");

    claims = new DeploymentClaims();
    mappings = new ExternalUserMappingsProvider(quiet, claims);
    single = new ExternalUserMappingProvider(quiet, claims);
    assert.deepEqual((await single.check({}, declared("bob", { userId: "bob", mode: "none" }))).failures, []);
    assert.deepEqual(await failuresOf({}, everyone), [{ property: "exclusive", reason: resets }]);
    const listed = await failuresOf({}, declared("everyone", { users: { alice: "a", bob: "b" }, exclusive: true }));
    assert.deepEqual(listed.map((f) => [f.property, f.reason.split(":")[0]]), [['users["bob"]', `ExternalUserMappings "everyone" and ExternalUserMapping "bob" both manage ${user("bob")}`]], "once listed, only the user is shared");
  });

  it("names at most 20 clashing users and counts the rest, as a copied list clashes on every user", async () => {
    const users = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`user${String(i).padStart(2, "0")}`, { mode: "none" }]));
    await mappings.check({}, declared("analysts", { users }));
    const failures = await failuresOf({}, declared("copy", { users }));
    assert.equal(failures.length, 21);
    assert.deepEqual(failures.slice(0, 20).map((f) => f.property), Object.keys(users).slice(0, 20).map((userId) => `users["${userId}"]`));
    assert.deepEqual(failures[20], { property: "users", reason: "and 5 more users clash in the same way" });
  });
});
