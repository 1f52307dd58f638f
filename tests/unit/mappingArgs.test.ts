import { strict as assert } from "node:assert";
import { ExternalUserMappingProvider } from "../../provider/resources/externalUserMapping";
import { DeploymentClaims } from "../../provider/resources/deploymentClaims";
import { UNKNOWN } from "../../provider/resources/inputs";
import { RESOURCE_NAME_INPUT } from "../../provider/resources/resourceName";

const provider = new ExternalUserMappingProvider();

describe("ExternalUserMapping check", () => {
  it("defaults iamId to bim and mode to username when a username is given", async () => {
    assert.deepEqual(await provider.check({}, { userId: "alice@example.com", postgresUsername: "alice" }), {
      inputs: { userId: "alice@example.com", iamId: "bim", mode: "username", postgresUsername: "alice" },
      failures: [],
    });
    assert.deepEqual((await provider.check({}, { userId: "bob", iamId: "okta", mode: "none" })).inputs, { userId: "bob", iamId: "okta", mode: "none" });
  });

  it("reports every bad combination, naming the field", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ userId: "a" }, "mode", /is required when postgresUsername is not set/],
      [{ userId: "a", mode: "username" }, "postgresUsername", /is required when mode is "username"/],
      [{ userId: "a", mode: "unset", postgresUsername: "x" }, "postgresUsername", /must not be set when mode is "unset"/],
      [{ userId: "a", mode: "none", postgresUsername: "x" }, "postgresUsername", /must not be set when mode is "none"/],
      [{ userId: "a", mode: "sometimes" }, "mode", /one of username, unset, none/],
      [{ userId: "a", postgresUsername: "y".repeat(64) }, "postgresUsername", /at most 63 bytes/],
      [{ postgresUsername: "x" }, "userId", /is required/],
      [{ userId: "a", iamId: "okta/x", mode: "none" }, "iamId", /must not contain a slash/],
    ];
    for (const [news, property, reason] of cases) {
      const { failures } = await provider.check({}, news);
      assert.equal(failures.length, 1, JSON.stringify({ news, failures }));
      assert.equal(failures[0].property, property);
      assert.match(failures[0].reason, reason);
    }
  });

  it("refuses a userId or iamId of . or .., which reached the URL as a dot segment and addressed another path (iamId \"..\" sent GET /bim/user/<userId>)", async () => {
    const dotSegment = (segment: string) => `must not be "${segment}", which in a request path addresses another Immuta resource`;
    assert.deepEqual((await provider.check({}, { userId: "..", iamId: ".", mode: "none" })).failures, [
      { property: "userId", reason: dotSegment("..") },
      { property: "iamId", reason: dotSegment(".") },
    ]);
    assert.deepEqual((await provider.check({}, { userId: ".", iamId: "..", mode: "none" })).failures, [
      { property: "userId", reason: dotSegment(".") },
      { property: "iamId", reason: dotSegment("..") },
    ]);
  });

  it("refuses a NUL character in every string argument, once per field", async () => {
    assert.deepEqual((await provider.check({}, { userId: "alice\u0000@example.com", iamId: "bim\u0000", postgresUsername: "\u0000alice" })).failures, [
      { property: "userId", reason: "must not contain a NUL character" },
      { property: "iamId", reason: "must not contain a NUL character" },
      { property: "postgresUsername", reason: "must not contain a NUL character" },
    ]);
  });

  it("refuses a whitespace-only postgresUsername, which was written to Immuta", async () => {
    assert.deepEqual((await provider.check({}, { userId: "alice", postgresUsername: " \t " })).failures, [{ property: "postgresUsername", reason: "must not be only whitespace" }]);
    assert.deepEqual((await provider.check({}, { userId: "alice", postgresUsername: " alice " })).failures, [], "a PostgreSQL identifier may hold spaces");
  });

  it("refuses whitespace at either end or a line break in userId and iamId", async () => {
    const edges = "must not begin or end with whitespace";
    const controls = "must not contain a line break, tab or other control character";
    const cases: [Record<string, unknown>, { property: string; reason: string }[]][] = [
      [{ userId: " alice@example.com" }, [{ property: "userId", reason: edges }]],
      [{ userId: "alice@example.com\u00a0" }, [{ property: "userId", reason: edges }]],
      [{ userId: "alice@example.com\n" }, [{ property: "userId", reason: controls }]],
      [{ userId: "alice\r\nbob" }, [{ property: "userId", reason: controls }]],
      [{ userId: "alice", iamId: "okta " }, [{ property: "iamId", reason: edges }]],
      [{ userId: "alice", iamId: "ok\tta" }, [{ property: "iamId", reason: controls }]],
    ];
    for (const [news, failures] of cases) {
      assert.deepEqual((await provider.check({}, { mode: "none", ...news })).failures, failures, JSON.stringify(news));
    }
    assert.deepEqual((await provider.check({}, { userId: "Alice Smith", iamId: "okta", mode: "none" })).failures, [], "inner spaces are kept");
  });

  it("bounds userId at 254 characters (an e-mail address) and iamId at 64", async () => {
    const longest = `${"a".repeat(64)}@${"b".repeat(185)}.com`;
    assert.equal(longest.length, 254);
    assert.deepEqual((await provider.check({}, { userId: longest, iamId: "i".repeat(64), mode: "none" })).failures, []);
    assert.deepEqual((await provider.check({}, { userId: `${longest}m`, iamId: "i".repeat(65), mode: "none" })).failures, [
      { property: "userId", reason: "must be at most 254 characters, the longest e-mail address" },
      { property: "iamId", reason: "must be at most 64 characters" },
    ]);
  });

  it("lets preview's unknown values through", async () => {
    const { inputs, failures } = await provider.check({}, { userId: UNKNOWN, postgresUsername: UNKNOWN });
    assert.deepEqual(failures, []);
    assert.deepEqual(inputs, { userId: UNKNOWN, iamId: "bim", postgresUsername: UNKNOWN, mode: "username" });
  });
});

describe("ExternalUserMapping diff", () => {
  const olds = { userId: "alice", iamId: "bim", mode: "username" as const, postgresUsername: "alice_pg", effectiveUsername: "alice_pg" };

  it("ignores a case-only username difference", async () => {
    assert.deepEqual(await provider.diff("bim/alice", olds, { userId: "alice", iamId: "bim", mode: "username", postgresUsername: "Alice_PG" }), { changes: false, replaces: [], deleteBeforeReplace: true });
  });

  it("updates on a mode or username change and replaces on userId or iamId", async () => {
    assert.deepEqual(await provider.diff("bim/alice", olds, { userId: "alice", iamId: "bim", mode: "none" }), { changes: true, replaces: [], deleteBeforeReplace: true });
    assert.equal((await provider.diff("bim/alice", olds, { ...olds, postgresUsername: "other" })).changes, true);
    assert.deepEqual((await provider.diff("bim/alice", olds, { ...olds, userId: "carol" })).replaces, ["userId"]);
    assert.deepEqual((await provider.diff("bim/alice", olds, { ...olds, iamId: "okta" })).replaces, ["iamId"]);
  });

  it("treats unknown values as changes", async () => {
    assert.equal((await provider.diff("bim/alice", olds, { ...olds, postgresUsername: UNKNOWN })).changes, true);
  });
});

describe("ExternalUserMapping check across one deployment", () => {
  let provider: ExternalUserMappingProvider;
  beforeEach(() => {
    provider = new ExternalUserMappingProvider(() => undefined, new DeploymentClaims());
  });
  const declared = (name: string, args: Record<string, unknown>) => ({ [RESOURCE_NAME_INPUT]: name, ...args });
  const failuresOf = async (olds: Record<string, unknown>, news: Record<string, unknown>) => (await provider.check(olds, news)).failures;
  const alice = { userId: "alice@example.com", mode: "none" };
  const bothManage = (checked: string, other: string, user = "alice@example.com", iam = "bim") =>
    `ExternalUserMapping "${checked}" and ExternalUserMapping "${other}" both manage the PostgreSQL mapping of user "${user}" in IAM "${iam}": ` +
    `each would overwrite what the other sets, and deleting either returns the user to unset. Keep one of them. ` +
    `To keep ExternalUserMapping "${checked}" in place of ExternalUserMapping "${other}", remove ExternalUserMapping "${other}" and give ExternalUserMapping "${checked}" aliases: [{ name: "${other}" }], ` +
    `so that Pulumi renames ExternalUserMapping "${other}" rather than deleting it`;
  const handOver = (releaser: string, holder: string, user: string) =>
    `ExternalUserMapping "${releaser}" gives up the PostgreSQL mapping of user "${user}" in IAM "bim" in this deployment, which replaces it, while ExternalUserMapping "${holder}" manages it: ` +
    `deleting the old ExternalUserMapping returns the user to unset, undoing ExternalUserMapping "${holder}". ` +
    `Make the two changes in separate deployments: first the one that replaces ExternalUserMapping "${releaser}", then the one that gives it to ExternalUserMapping "${holder}"`;

  it("fails the second of two mappings of one user, naming both resources and the user (they silently fought, and destroying one undid the other)", async () => {
    assert.deepEqual(await provider.check({}, declared("alice", alice)), { inputs: { userId: "alice@example.com", iamId: "bim", mode: "none" }, failures: [] });
    assert.deepEqual(await provider.check({}, declared("alice-again", { userId: "alice@example.com", postgresUsername: "alice" })), {
      inputs: { userId: "alice@example.com", iamId: "bim", mode: "username", postgresUsername: "alice" },
      failures: [{ property: "userId", reason: bothManage("alice-again", "alice") }],
    });
    assert.deepEqual(await failuresOf({}, declared("alice-third", { ...alice, iamId: "bim" })), [
      { property: "userId", reason: bothManage("alice-third", "alice") },
      { property: "userId", reason: bothManage("alice-third", "alice-again") },
    ]);
  });

  it("tells users apart as Immuta does, by IAM and exact userid", async () => {
    for (const [name, args] of [["alice", alice], ["shouted", { ...alice, userId: "Alice@example.com" }], ["okta", { ...alice, iamId: "okta" }], ["bob", { ...alice, userId: "bob@example.com" }]] as const) {
      assert.deepEqual(await failuresOf({}, declared(name, args)), [], name);
    }
  });

  it("counts neither a re-check nor a replacement of the same resource, nor a rename with aliases (checked under its new name only), as a clash", async () => {
    const { inputs } = await provider.check({}, declared("alice", alice));
    assert.deepEqual(await failuresOf(inputs, declared("alice", alice)), []);
    assert.deepEqual(await failuresOf(inputs, declared("alice", { ...alice, userId: "carol@example.com" })), [], "a userId change replaces the resource");
    assert.deepEqual(await failuresOf(inputs, declared("alice", alice)), [], "and back");
    const renamed = new ExternalUserMappingProvider(() => undefined, new DeploymentClaims());
    assert.deepEqual((await renamed.check(inputs, declared("alice-renamed", alice))).failures, []);
  });

  it("fails a mapping of a user that another mapping gives up in this deployment by being replaced, in either order", async () => {
    const bobToCarol = [{ userId: "bob@example.com", iamId: "bim", mode: "none" }, declared("moved", { ...alice, userId: "carol@example.com" })] as const;
    assert.deepEqual(await failuresOf(...bobToCarol), []);
    assert.deepEqual(await failuresOf({}, declared("new-bob", { ...alice, userId: "bob@example.com" })), [{ property: "userId", reason: handOver("moved", "new-bob", "bob@example.com") }]);

    provider = new ExternalUserMappingProvider(() => undefined, new DeploymentClaims());
    assert.deepEqual(await failuresOf({}, declared("new-bob", { ...alice, userId: "bob@example.com" })), []);
    assert.deepEqual(await failuresOf(...bobToCarol), [{ property: "userId", reason: handOver("moved", "new-bob", "bob@example.com") }]);
  });

  it("fails two mappings that swap their users in one deployment", async () => {
    const bob = { userId: "bob@example.com", iamId: "bim", mode: "none" };
    assert.deepEqual(await failuresOf({ ...alice, iamId: "bim" }, declared("first", bob)), []);
    assert.deepEqual(await failuresOf(bob, declared("second", alice)), [
      { property: "userId", reason: handOver("first", "second", "alice@example.com") },
      { property: "userId", reason: handOver("second", "first", "bob@example.com") },
    ]);
  });

  it("claims nothing for a userId unknown in preview, or for inputs without the resource name (a pulumi.dynamic.Resource built by hand)", async () => {
    assert.deepEqual(await failuresOf({}, declared("later", { ...alice, userId: UNKNOWN })), []);
    assert.deepEqual(await failuresOf({}, alice), []);
    assert.deepEqual(await failuresOf({}, declared("alice", alice)), []);
    assert.deepEqual(await failuresOf({}, alice), []);
  });
});
