import assert from "node:assert/strict";
import type { AxiosInstance } from "axios";
import { assertBoom, immutaClient, useSharedEmulator } from "./helpers";

const ALICE = "/bim/iam/bim/user/alice@example.com";

describe("emulator: BIM users and profiles", () => {
  const { emulator } = useSharedEmulator();
  let admin: AxiosInstance;
  before(async () => {
    admin = await immutaClient(emulator());
  });

  it("lists the IAMs", async () => {
    const response = await admin.get("/bim/iam");
    assert.equal(response.status, 200);
    assert.deepEqual(
      response.data.map((iam: { id: string }) => iam.id),
      ["bim", "okta"],
    );
    for (const iam of response.data) assert.deepEqual(Object.keys(iam).sort(), ["displayName", "id", "type"]);
  });

  it("searches users by partial, case-insensitive userid, email and name, with paging and a total count", async () => {
    const byEmail = await admin.get("/bim/user", { params: { email: "EXAMPLE.COM", size: 2, offset: 1 } });
    assert.equal(byEmail.status, 200);
    assert.equal(byEmail.data.hits.length, 2);
    assert.ok(byEmail.data.count >= 8, `count ${byEmail.data.count}`);
    const byName = await admin.get("/bim/user", { params: { name: "alice an" } });
    assert.deepEqual(
      byName.data.hits.map((user: { userid: string }) => user.userid),
      ["alice@example.com"],
    );
    assert.equal(byName.data.count, 1);
    const byUserid = await admin.get("/bim/user", { params: { userid: "frank@" } });
    assert.equal(byUserid.data.hits[0].userid, "Frank@Example.com");
    const none = await admin.get("/bim/user", { params: { userid: "nobody-like-this" } });
    assert.deepEqual(none.data, { hits: [], count: 0 });
  });

  it("returns the user view with its full profile", async () => {
    const response = await admin.get(ALICE);
    assert.equal(response.status, 200);
    const user = response.data;
    assert.deepEqual(Object.keys(user).sort(), ["createdAt", "disabled", "iamid", "id", "name", "permissions", "profile", "updatedAt", "userid"]);
    assert.equal(user.iamid, "bim");
    assert.equal(user.userid, "alice@example.com");
    assert.equal(user.name, "Alice Analyst");
    assert.deepEqual(Object.keys(user.profile).sort(), [
      "about",
      "createdAt",
      "email",
      "externalUserIds",
      "iamid",
      "id",
      "location",
      "name",
      "organization",
      "phone",
      "position",
      "preferences",
      "updatedAt",
      "userid",
    ]);
    assert.deepEqual(user.profile.externalUserIds, { databricksUser: "alice@example.com", snowflakeUser: "ALICE" });
    assert.equal("postgresqlUser" in user.profile.externalUserIds, false, "alice's PostgreSQL mapping is unset");
    const bob = (await admin.get("/bim/iam/bim/user/bob@example.com/profile")).data;
    assert.equal(bob.externalUserIds.postgresqlUser, "bob");
    const carol = (await admin.get("/bim/iam/bim/user/carol@example.com/profile")).data;
    assert.equal(carol.externalUserIds.postgresqlUser, null);
  });

  it("answers 404 naming the unknown IAM or user", async () => {
    assertBoom(await admin.get("/bim/iam/nosuch/user/alice@example.com"), 404, /IAM 'nosuch'/);
    assertBoom(await admin.get("/bim/iam/bim/user/nobody@example.com"), 404, /User 'nobody@example.com'/);
    assertBoom(await admin.get("/bim/iam/bim/user/nobody@example.com/profile"), 404);
  });

  it("round-trips a profile: changing only postgresqlUser keeps every other field", async () => {
    const before = (await admin.get(`${ALICE}/profile`)).data;
    const sent = { ...before, externalUserIds: { ...before.externalUserIds, postgresqlUser: "alice_pg" } };
    const response = await admin.put(`${ALICE}/profile`, sent);
    assert.equal(response.status, 200, JSON.stringify(response.data));
    const after = (await admin.get(`${ALICE}/profile`)).data;
    assert.deepEqual(after.externalUserIds, { databricksUser: "alice@example.com", snowflakeUser: "ALICE", postgresqlUser: "alice_pg" });
    for (const field of ["name", "email", "phone", "about", "location", "organization", "position", "preferences", "createdAt"]) {
      assert.deepEqual(after[field], before[field], field);
    }
    assert.ok(Date.parse(after.updatedAt) >= Date.parse(before.updatedAt));
    assert.deepEqual(response.data, after);
  });

  it("replaces the editable fields: what the body leaves out is cleared", async () => {
    const response = await admin.put("/bim/iam/bim/user/bob@example.com/profile", { name: "Bob B", email: "bob@example.com" });
    assert.equal(response.status, 200);
    assert.equal(response.data.location, null);
    assert.deepEqual(response.data.externalUserIds, {});
    assert.deepEqual(response.data.preferences, {});
  });

  it("ignores read-only fields in the body and rejects unknown ones", async () => {
    const profile = (await admin.get("/bim/iam/bim/user/dave@example.com/profile")).data;
    const accepted = await admin.put("/bim/iam/bim/user/dave@example.com/profile", { ...profile, id: 999, userid: "other", createdAt: "2000-01-01T00:00:00Z" });
    assert.equal(accepted.status, 200);
    assert.equal(accepted.data.id, profile.id);
    assert.equal(accepted.data.userid, "dave@example.com");
    assert.equal(accepted.data.createdAt, profile.createdAt);
    assertBoom(await admin.put("/bim/iam/bim/user/dave@example.com/profile", { ...profile, favouriteColour: "blue" }), 400, /favouriteColour/);
    assertBoom(await admin.put("/bim/iam/bim/user/dave@example.com/profile", { ...profile, externalUserIds: { postgresqlUser: 42 } }), 400, /externalUserIds/);
  });

  it("lets a user without USER_ADMIN edit only their own profile", async () => {
    const viewer = await immutaClient(emulator(), emulator().noPermissionApiKey);
    const alice = (await admin.get(`${ALICE}/profile`)).data;
    assertBoom(await viewer.put(`${ALICE}/profile`, { ...alice, location: "Elsewhere" }), 403, /USER_ADMIN/);
    assert.equal((await admin.get(`${ALICE}/profile`)).data.location, alice.location);
    const own = (await viewer.get("/bim/iam/bim/user/viewer@example.com/profile")).data;
    const response = await viewer.put("/bim/iam/bim/user/viewer@example.com/profile", { ...own, about: "edited myself" });
    assert.equal(response.status, 200);
    assert.equal(response.data.about, "edited myself");
  });

  it("refuses a change to a field the IAM's profile schema maps, and accepts the unchanged value", async () => {
    const path = "/bim/iam/okta/user/oscar@corp.example.com/profile";
    const oscar = (await admin.get(path)).data;
    assert.equal(oscar.externalUserIds.postgresqlUser, "oscar");
    assertBoom(
      await admin.put(path, { ...oscar, externalUserIds: { postgresqlUser: "someone_else" } }),
      400,
      "externalUserIds.postgresqlUser is mapped by the profile schema of IAM okta and is not editable",
    );
    assertBoom(await admin.put(path, { ...oscar, externalUserIds: {} }), 400, /mapped by the profile schema of IAM okta/);
    const unchanged = await admin.put(path, { ...oscar, about: "IdP-managed" });
    assert.equal(unchanged.status, 200);
    assert.equal(unchanged.data.externalUserIds.postgresqlUser, "oscar");
  });

  it("regression: a user id longer than 100 characters (a long e-mail address) could not be read", async () => {
    const userid = `${"firstname.middlename.lastname.".repeat(5)}x@department.example.com`;
    assert.ok(userid.length > 150);
    assert.equal((await admin.post("/bim/iam/bim/user", { iamid: "bim", userid, profile: { name: "Long", email: userid } })).status, 200);
    const path = `/bim/iam/bim/user/${encodeURIComponent(userid)}`;
    const read = await admin.get(path);
    assert.equal(read.status, 200, JSON.stringify(read.data));
    assert.equal(read.data.userid, userid);
    const profile = (await admin.get(`${path}/profile`)).data;
    const updated = await admin.put(`${path}/profile`, { ...profile, externalUserIds: { postgresqlUser: "long_pg" } });
    assert.deepEqual(updated.data.externalUserIds, { postgresqlUser: "long_pg" });
    assert.equal((await admin.delete(path)).status, 200);
  });

  it("creates a BIM user (409 when the userid exists) and deletes it (404 afterwards)", async () => {
    const body = { iamid: "bim", userid: "new.user@example.com", profile: { name: "New User", email: "new.user@example.com" } };
    const created = await admin.post("/bim/iam/bim/user", body);
    assert.equal(created.status, 200, JSON.stringify(created.data));
    assert.equal(created.data.newUser.userid, "new.user@example.com");
    assert.equal(created.data.newUser.profile.name, "New User");
    assert.deepEqual(created.data.newUser.profile.externalUserIds, {});
    assert.equal(created.data.newUserLink, null);
    assert.equal(created.data.emailFailed, false);
    assert.equal(created.data.emailSent, false);
    assertBoom(await admin.post("/bim/iam/bim/user", body), 409, /already exists/);
    const deleted = await admin.delete("/bim/iam/bim/user/new.user@example.com");
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.data, {});
    assertBoom(await admin.get("/bim/iam/bim/user/new.user@example.com"), 404);
    assertBoom(await admin.delete("/bim/iam/bim/user/new.user@example.com"), 404);
  });
});
