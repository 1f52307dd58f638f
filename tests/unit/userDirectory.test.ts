// The paged user list against a scripted Immuta whose filters match as documented (any part of a
// userid or email, any case), which ignores the IAM filter and serves fewer users per page than asked.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { ImmutaClient } from "../../provider/immuta/client";
import { forEachUser, lookUpUsers } from "../../provider/userDirectory";
import { findImmutaUsers } from "../../sdk";
import { startFakeServer, type FakeServer } from "../support/fakeHttp";

const SERVED_PER_PAGE = 2;

const USERS = [
  { iamid: "bim", userid: "al", email: "al@example.com" },
  { iamid: "bim", userid: "alice@example.com", email: "alice@example.com" },
  { iamid: "bim", userid: "Alice@example.com", email: "alice.two@example.com" },
  { iamid: "bim", userid: "malice@example.com", email: "shared@example.com" },
  { iamid: "okta", userid: "alice@example.com", email: "alice@example.com" },
  { iamid: "bim", userid: "bob", email: "Bob@Example.com" },
  { iamid: "bim", userid: "bobby", email: "shared@example.com" },
];

const contains = (value: string, part: string | null) => part === null || value.toLowerCase().includes(part.toLowerCase());

describe("the paged user list", () => {
  let server: FakeServer;
  let client: ImmutaClient;
  /** The query of each GET /bim/user, in order. */
  const pages = () => server.requests.filter((request) => request.url.startsWith("/bim/user?")).map((request) => Object.fromEntries(new URL(request.url, server.url).searchParams));

  beforeEach(async () => {
    server = await startFakeServer(({ url }) => {
      if (url === "/bim/apikey/authenticate") return { status: 200, body: { token: "tok_fake_0123" } };
      const query = new URL(url, "http://fake").searchParams;
      const matches = USERS.filter((user) => contains(user.userid, query.get("userid")) && contains(user.email, query.get("email")));
      const offset = Number(query.get("offset"));
      const hits = matches.slice(offset, offset + Math.min(SERVED_PER_PAGE, Number(query.get("size"))));
      return { status: 200, body: { hits: hits.map((user) => ({ ...user, profile: { name: user.userid.toUpperCase(), email: user.email, externalUserIds: {} } })), count: matches.length } };
    });
    client = new ImmutaClient({ url: server.url, apiKey: "imk_fake_0123456789", requestTimeoutMs: 5_000, maxRetries: 0, maxConcurrency: 4, crawlTimeoutMs: 5_000 });
  });

  afterEach(async () => {
    await server.close();
  });

  it("pages on by what each page served until the count is reached, and keeps only the IAM's users", async () => {
    const seen: string[] = [];
    await forEachUser(client, "bim", {}, (user) => seen.push(user.userid));
    assert.deepEqual(seen, ["al", "alice@example.com", "Alice@example.com", "malice@example.com", "bob", "bobby"]);
    assert.deepEqual(pages(), [0, 2, 4, 6].map((offset) => ({ size: "500", offset: String(offset), iamid: "bim", includeDisabled: "true" })));
  });

  it("finds userids exactly, though the filter also matches Alice, malice and okta's alice, and reports the rest as not found", async () => {
    assert.deepEqual(await lookUpUsers(client, "bim", "userId", ["alice@example.com", "al", "ALICE@EXAMPLE.COM", "ali"]), {
      found: {
        "alice@example.com": { iamId: "bim", userId: "alice@example.com", email: "alice@example.com", name: "ALICE@EXAMPLE.COM" },
        al: { iamId: "bim", userId: "al", email: "al@example.com", name: "AL" },
      },
      notFound: ["ALICE@EXAMPLE.COM", "ali"],
      ambiguous: {},
    });
    assert.deepEqual(new Set(pages().map((page) => page.userid)), new Set(["alice@example.com", "al", "ALICE@EXAMPLE.COM", "ali"]), "one filtered sweep per userid");
  });

  it("finds emails in any case, and names the users of an email two of them share", async () => {
    assert.deepEqual(await lookUpUsers(client, "bim", "email", ["bob@example.com", "shared@example.com", "example.com"]), {
      found: { "bob@example.com": { iamId: "bim", userId: "bob", email: "Bob@Example.com", name: "BOB" } },
      notFound: ["example.com"],
      ambiguous: { "shared@example.com": ["bobby", "malice@example.com"] },
    });
  });

  it("looks more than ten values up in one unfiltered sweep", async () => {
    const asked = ["al", "bob", ...Array.from({ length: 10 }, (_, i) => `nobody${i}`)];
    const lookup = await lookUpUsers(client, "bim", "userId", asked);
    assert.deepEqual([Object.keys(lookup.found), lookup.notFound], [["al", "bob"], asked.slice(2)]);
    assert.deepEqual(pages().map((page) => [page.offset, page.userid]), [["0", undefined], ["2", undefined], ["4", undefined], ["6", undefined]]);
  });

  it("findImmutaUsers: takes immuta:url and immuta:apiKey from the stack config, and wants userIds or emails, not both", async () => {
    // The program's config is process-wide (other tests set it too): this test sets its own and puts the earlier one back.
    const earlier = pulumi.runtime.allConfig();
    pulumi.runtime.setAllConfig({ ...earlier, "immuta:url": server.url, "immuta:apiKey": "imk_fake_0123456789" }, ["immuta:apiKey"]);
    try {
      assert.deepEqual(await findImmutaUsers({ emails: ["BOB@example.com"] }), { found: { "BOB@example.com": { iamId: "bim", userId: "bob", email: "Bob@Example.com", name: "BOB" } }, notFound: [], ambiguous: {} });
      for (const both of [{}, { userIds: ["bob"], emails: ["bob@example.com"] }]) await assert.rejects(findImmutaUsers(both), /^Error: findImmutaUsers: give either userIds or emails\.$/);
    } finally {
      pulumi.runtime.setAllConfig(earlier);
    }
  });
});
