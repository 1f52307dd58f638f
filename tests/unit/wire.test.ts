import { strict as assert } from "node:assert";
import { decodePostgresMapping, isIamManagedRefusal, paths, POSTGRES_USERNAME_KEY, withPostgresMapping } from "../../provider/immuta/wire";
import { UNKNOWN } from "../../provider/resources/inputs";
import { runtime } from "@pulumi/pulumi";

describe("Immuta wire codecs", () => {
  it("decodes the three PostgreSQL mapping states", () => {
    assert.deepEqual(decodePostgresMapping({ externalUserIds: {} }), { mode: "unset" });
    assert.deepEqual(decodePostgresMapping({}), { mode: "unset" });
    assert.deepEqual(decodePostgresMapping({ externalUserIds: { [POSTGRES_USERNAME_KEY]: null } }), { mode: "none" });
    assert.deepEqual(decodePostgresMapping({ externalUserIds: { [POSTGRES_USERNAME_KEY]: "Alice" } }), { mode: "username", username: "Alice" });
  });

  it("changes only the PostgreSQL key and keeps every other field byte for byte", () => {
    const profile = { name: "Alice", externalUserIds: { databricksUser: "alice@corp", snowflakeUser: "ALICE" }, phone: null, preferences: { theme: "dark" } };
    const before = JSON.stringify(profile);
    const set = withPostgresMapping(profile, { mode: "username", username: "alice_pg" });
    assert.equal(JSON.stringify(set), JSON.stringify({ ...profile, externalUserIds: { ...profile.externalUserIds, postgresqlUser: "alice_pg" } }));
    assert.equal(JSON.stringify(withPostgresMapping(set, { mode: "unset" })), before);
    assert.equal(JSON.stringify(withPostgresMapping(profile, { mode: "none" }).externalUserIds), '{"databricksUser":"alice@corp","snowflakeUser":"ALICE","postgresqlUser":null}');
    assert.equal(JSON.stringify(profile), before, "the input profile is not mutated");
  });

  it("encodes path segments", () => {
    assert.equal(paths.user("bim", "a/b@example.com"), "/bim/iam/bim/user/a%2Fb%40example.com");
    assert.equal(paths.object(["my-conn", "db"]), "/data/object/my-conn/db");
  });

  it("recognises Immuta's refusal of an IAM-managed field", () => {
    assert.ok(isIamManagedRefusal(400, "externalUserIds.postgresqlUser is mapped by the profile schema of IAM okta and is not editable"));
    assert.ok(!isIamManagedRefusal(400, "bad request"));
    assert.ok(!isIamManagedRefusal(403, "not editable"));
  });

  it("uses Pulumi's own unknown sentinel", () => {
    assert.equal(UNKNOWN, runtime.unknownValue);
  });
});
