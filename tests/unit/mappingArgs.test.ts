import { strict as assert } from "node:assert";
import { ExternalUserMappingProvider } from "../../provider";
import { UNKNOWN } from "../../provider/resources/inputs";

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
