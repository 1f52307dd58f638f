import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { defaultSeeds, startEmulator, type Emulator, type Seeds } from "../../emulator";
import { assertBoom, bearerToken, httpClient, immutaClient, makeTempDir, registerConnection } from "./helpers";

describe("emulator: options", () => {
  let dir: string;
  before(() => {
    dir = makeTempDir();
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("a seed file and a short token lifetime", () => {
    const seeds: Partial<Seeds> = {
      apiKeys: {
        admin: { iamid: "bim", userid: "root@seeded.example", key: "imk_seeded_admin" },
        noPermission: { iamid: "bim", userid: "guest@seeded.example", key: "imk_seeded_guest" },
      },
      users: [
        { iamid: "bim", userid: "root@seeded.example", permissions: ["APPLICATION_ADMIN", "USER_ADMIN"], profile: profile("Root", "root@seeded.example") },
        { iamid: "bim", userid: "guest@seeded.example", permissions: [], profile: profile("Guest", "guest@seeded.example") },
      ],
    };
    let seeded: Emulator;
    before(async () => {
      const seedFile = path.join(dir, "seeds.json");
      fs.writeFileSync(seedFile, JSON.stringify(seeds));
      seeded = await startEmulator({ seedFile, tokenTtlSeconds: 1, crawlDelayMs: 0, dataDir: path.join(dir, "seeded-pg") });
    });
    after(async () => {
      await seeded.stop();
    });

    it("uses the seeded keys and users in place of the defaults, and the default rest", async () => {
      assert.equal(seeded.apiKey, "imk_seeded_admin");
      assert.equal(seeded.noPermissionApiKey, "imk_seeded_guest");
      const api = await immutaClient(seeded);
      const users = await api.get("/bim/user");
      assert.deepEqual(
        users.data.hits.map((user: { userid: string }) => user.userid),
        ["root@seeded.example", "guest@seeded.example"],
      );
      await registerConnection(api, seeded, "seeded_conn");
    });

    it("answers 401 once a bearer token has expired, and a new token works again", async () => {
      const api = httpClient(seeded, { authorization: `Bearer ${await bearerToken(seeded)}` });
      assert.equal((await api.get("/bim/iam")).status, 200);
      await delay(1200);
      assertBoom(await api.get("/bim/iam"), 401, /unknown or has expired/);
      const renewed = httpClient(seeded, { authorization: `Bearer ${await bearerToken(seeded)}` });
      assert.equal((await renewed.get("/bim/iam")).status, 200);
    });
  });

  it("refuses an invalid seed file before starting anything, naming the field", async () => {
    const seedFile = path.join(dir, "bad-seeds.json");
    fs.writeFileSync(seedFile, JSON.stringify({ apiKeys: { admin: { iamid: "bim", userid: "x" } } }));
    await assert.rejects(startEmulator({ seedFile }), /The seed file .*bad-seeds\.json is invalid: .*apiKeys\.admin\.key/);
    const inconsistent = path.join(dir, "inconsistent-seeds.json");
    fs.writeFileSync(inconsistent, JSON.stringify({ users: defaultSeeds().users.slice(2) }));
    await assert.rejects(startEmulator({ seedFile: inconsistent }), /inconsistent: apiKeys\.admin: no seeded user bim\/admin@example\.com/);
  });

  it("refuses invalid numeric options", async () => {
    await assert.rejects(startEmulator({ port: 70000 }), /Invalid emulator options: port/);
    await assert.rejects(startEmulator({ tokenTtlSeconds: 0 }), /tokenTtlSeconds/);
  });
});

function profile(name: string, email: string): Seeds["users"][number]["profile"] {
  return { name, email, phone: null, about: null, location: null, organization: null, position: null, externalUserIds: {}, preferences: {} };
}
