import { strict as assert } from "node:assert";
import {
  bulkIdOf,
  crawlJobOutput,
  decodePostgresMapping,
  deleteObjectResponse,
  isIamManagedRefusal,
  jobsResponse,
  lookUpConnection,
  paths,
  POSTGRES_USERNAME_KEY,
  registrationBody,
  withPostgresMapping,
  type ConnectionView,
} from "../../provider/immuta/wire";
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

describe("Immuta connection answers, read as leniently as the documentation leaves them open", () => {
  const view: ConnectionView = {
    connectionKey: "sales",
    connection: { technology: "DatabricksLakebase", hostname: "h", port: 5432, database: "db", workspaceUrl: "https://w", oAuthClientConfig: { clientId: "c" } },
  };
  const object = { objectPath: ["sales"], technology: "DatabricksLakebase", state: "active" };

  it("decides in one place what a refused GET /data/connection/{key} means: gone, or settings this Immuta does not show", () => {
    assert.deepEqual(lookUpConnection({ view }, object), { kind: "found", view, object });
    assert.deepEqual(lookUpConnection({ view }, undefined), { kind: "found", view, object: undefined });
    for (const status of [400, 404, 405]) {
      assert.deepEqual(lookUpConnection({ refusedWith: status }, object), { kind: "settings-not-served", object, status }, `HTTP ${status}`);
      assert.deepEqual(lookUpConnection({ refusedWith: status }, undefined), { kind: "gone" }, `HTTP ${status} without an object`);
    }
  });

  it("registers with the documented Unity Catalog OAuth M2M fields Lakebase plausibly shares, useCertificate: false among them", () => {
    const body = registrationBody({ connectionKey: "sales", hostname: "h", port: 5432, database: "db", workspaceUrl: "https://w", clientId: "c", clientSecret: "s" });
    assert.deepEqual(body, {
      connectionKey: "sales",
      connection: {
        technology: "DatabricksLakebase",
        hostname: "h",
        port: 5432,
        database: "db",
        authenticationType: "oAuthM2M",
        workspaceUrl: "https://w",
        oAuthClientConfig: { useCertificate: false, clientId: "c", clientSecret: "s", scope: "all-apis" },
      },
    });
  });

  it("takes a crawl's bulk id from a registration's answer when there is one, whatever else the body holds", () => {
    assert.equal(bulkIdOf({ ...view, bulkId: "b-1" }), "b-1");
    assert.equal(bulkIdOf({ bulkId: 42 }), "42");
    for (const odd of [undefined, null, "", "<html>ok</html>", [], { ok: true }, { bulkId: "" }]) assert.equal(bulkIdOf(odd), undefined, JSON.stringify(odd));
  });

  it("reads /jobs as a bare list or in an envelope, with every documented state", () => {
    const jobs = ["active", "cancelled", "completed", "created", "expired", "failed", "retry"].map((state, id) => ({ id, state }));
    for (const answer of [jobs, { hits: jobs }, { jobs }, { data: jobs }, { results: jobs, count: 7 }]) {
      assert.deepEqual(jobsResponse.parse(answer), jobs, JSON.stringify(answer).slice(0, 40));
    }
    assert.ok(!jobsResponse.safeParse({ hits: [{ id: 1, state: "exploded" }] }).success, "an undocumented state is not taken for one");
  });

  it("reads a crawl job's output as documented (a string), as JSON inside that string, or as an object", () => {
    assert.deepEqual(crawlJobOutput('{"objectCount":9}'), { objectCount: 9, error: undefined });
    assert.deepEqual(crawlJobOutput({ objectCount: 9 }), { objectCount: 9, error: undefined });
    assert.deepEqual(crawlJobOutput("could not log in as the principal"), { error: "could not log in as the principal" });
    assert.deepEqual(crawlJobOutput('{"error":"timed out"}'), { objectCount: undefined, error: "timed out" });
    for (const nothing of [undefined, null, "", "  ", 7]) assert.deepEqual(crawlJobOutput(nothing), {}, JSON.stringify(nothing));
  });

  it("reads the deregistration answer with objectPath (the documented example) or connectionKey (the documented schema), or neither", () => {
    assert.deepEqual(deleteObjectResponse.parse({ objectPath: ["sales"], childCount: 5 }), { childCount: 5 });
    assert.deepEqual(deleteObjectResponse.parse({ connectionKey: "sales", childCount: 5 }), { childCount: 5 });
    assert.deepEqual(deleteObjectResponse.parse({}), { childCount: null });
    assert.deepEqual(deleteObjectResponse.parse(""), { childCount: null });
  });
});
