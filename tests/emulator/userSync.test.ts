import assert from "node:assert/strict";
import type { AxiosInstance } from "axios";
import { finishedJob, immutaClient, registerConnection, useSharedEmulator } from "./helpers";

describe("emulator: the crawl's automatic None", () => {
  const { emulator } = useSharedEmulator();
  let admin: AxiosInstance;
  before(async () => {
    admin = await immutaClient(emulator());
  });

  async function externalUserIds(iamid: string, userid: string): Promise<Record<string, string | null>> {
    const response = await admin.get(`/bim/iam/${iamid}/user/${encodeURIComponent(userid)}/profile`);
    assert.equal(response.status, 200);
    return response.data.externalUserIds;
  }

  it("switches users PostgreSQL does not know to none and leaves the others as they were", async () => {
    assert.equal("postgresqlUser" in (await externalUserIds("bim", "dave@example.com")), false);
    await registerConnection(admin, emulator(), "sync_conn");
    // Unset, and no role named like the userid.
    assert.deepEqual(await externalUserIds("bim", "dave@example.com"), { snowflakeUser: "DAVE", postgresqlUser: null });
    // Mapped to a username that has no role.
    assert.equal((await externalUserIds("bim", "erin@example.com")).postgresqlUser, null);
    // Unset with a matching role, also when only the case differs.
    assert.deepEqual(await externalUserIds("bim", "alice@example.com"), { databricksUser: "alice@example.com", snowflakeUser: "ALICE" });
    assert.equal("postgresqlUser" in (await externalUserIds("bim", "Frank@Example.com")), false);
    // Mapped to an existing role, or already none.
    assert.equal((await externalUserIds("bim", "bob@example.com")).postgresqlUser, "bob");
    assert.equal((await externalUserIds("bim", "carol@example.com")).postgresqlUser, null);
    assert.equal((await externalUserIds("okta", "oscar@corp.example.com")).postgresqlUser, "oscar");
  });

  it("applies to a mapping set after the first crawl, on the next crawl", async () => {
    const path = "/bim/iam/bim/user/bob@example.com/profile";
    const bob = (await admin.get(path)).data;
    await admin.put(path, { ...bob, externalUserIds: { ...bob.externalUserIds, postgresqlUser: "Bob" } });
    await admin.put("/bim/iam/bim/user/carol@example.com/profile", {
      ...(await admin.get("/bim/iam/bim/user/carol@example.com/profile")).data,
      externalUserIds: { postgresqlUser: "ghost" },
    });
    const crawl = await admin.post("/data/crawl/sync_conn");
    assert.equal(crawl.status, 200);
    assert.equal((await finishedJob(admin, crawl.data.bulkId)).state, "completed");
    assert.equal((await externalUserIds("bim", "bob@example.com")).postgresqlUser, "Bob", "case-insensitive match keeps the mapping");
    assert.equal((await externalUserIds("bim", "carol@example.com")).postgresqlUser, null);
  });
});
