import assert from "node:assert/strict";
import type { AxiosInstance } from "axios";
import pg from "pg";
import { assertBoom, finishedJob, immutaClient, registerConnection, registrationBody, useSharedEmulator } from "./helpers";

describe("emulator: objects, crawls and jobs", () => {
  const { emulator } = useSharedEmulator();
  let admin: AxiosInstance;
  before(async () => {
    admin = await immutaClient(emulator());
    await registerConnection(admin, emulator(), "objects_conn");
  });

  it("shows an object with its direct child count and settings", async () => {
    const root = await admin.get("/data/object/objects_conn");
    assert.equal(root.status, 200);
    assert.deepEqual(root.data, {
      objectPath: ["objects_conn"],
      technology: "DatabricksLakebase",
      state: "active",
      childCount: 1,
      settings: { isActive: { value: true, hasDescendantsWithOverrides: false } },
    });
    const sales = await admin.get("/data/object/objects_conn/databricks_postgres/sales");
    assert.equal(sales.data.childCount, 3);
    const table = await admin.get(`/data/object/${["objects_conn", "databricks_postgres", "sales", "orders"].map(encodeURIComponent).join("/")}`);
    assert.equal(table.data.childCount, 0);
    assertBoom(await admin.get("/data/object/objects_conn/databricks_postgres/nope"), 404, /objects_conn\/databricks_postgres\/nope/);
  });

  it("searches the connections at the top and the children below, with paging", async () => {
    const top = await admin.post("/data/object/search");
    assert.equal(top.status, 200);
    assert.deepEqual(top.data, { hits: [{ objectPath: ["objects_conn"], technology: "DatabricksLakebase", state: "active", childCount: 1 }], count: 1 });
    const page = await admin.post("/data/object/search/objects_conn/databricks_postgres/sales", { size: 2, offset: 1 });
    assert.equal(page.data.count, 3);
    assert.deepEqual(
      page.data.hits.map((hit: { objectPath: string[] }) => hit.objectPath[3]),
      ["invoices", "orders"],
    );
    assertBoom(await admin.post("/data/object/search/objects_conn/missing", {}), 404);
    assertBoom(await admin.post("/data/object/search", { size: 0 }), 400, /size/);
  });

  it("re-crawls on demand and picks up a table created out of band", async () => {
    const client = new pg.Client({ connectionString: emulator().adminPostgresUrl });
    await client.connect();
    try {
      await client.query("CREATE TABLE marketing.newsletters (id bigint PRIMARY KEY)");
    } finally {
      await client.end();
    }
    const crawl = await admin.post("/data/crawl/objects_conn/databricks_postgres");
    assert.equal(crawl.status, 200);
    const job = await finishedJob(admin, crawl.data.bulkId);
    assert.equal(job.state, "completed");
    assert.deepEqual(job.output, { objectCount: 10 });
    assert.equal((await admin.get("/data/object/objects_conn/databricks_postgres/marketing/newsletters")).status, 200);
    assertBoom(await admin.post("/data/crawl/unknown_conn"), 404);
  });

  it("answers an empty job list for an unknown bulkId and 400 without one", async () => {
    const response = await admin.get("/jobs", { params: { bulkId: "00000000-0000-0000-0000-000000000000" } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.data, []);
    assertBoom(await admin.get("/jobs"), 400, /bulkId/);
  });

  it("deletes a table, then a schema with its tables, counting what went", async () => {
    const table = await admin.delete("/data/object/objects_conn/databricks_postgres/marketing/leads");
    assert.equal(table.status, 200);
    assert.deepEqual(table.data, { objectPath: ["objects_conn", "databricks_postgres", "marketing", "leads"], childCount: 0 });
    const schema = await admin.delete("/data/object/objects_conn/databricks_postgres/sales");
    assert.deepEqual(schema.data, { objectPath: ["objects_conn", "databricks_postgres", "sales"], childCount: 3 });
    assertBoom(await admin.get("/data/object/objects_conn/databricks_postgres/sales/orders"), 404);
    assertBoom(await admin.delete("/data/object/objects_conn/databricks_postgres/sales"), 404);
  });

  it("deletes the whole connection through its top-level object", async () => {
    const response = await admin.delete("/data/object/objects_conn");
    assert.equal(response.status, 200);
    // What the earlier tests left: the database, schemas marketing and public, tables campaigns and newsletters.
    assert.deepEqual(response.data, { objectPath: ["objects_conn"], childCount: 5 });
    assertBoom(await admin.get("/data/connection/objects_conn"), 404);
    assertBoom(await admin.get("/data/object/objects_conn"), 404);
    assert.deepEqual((await admin.post("/data/object/search")).data, { hits: [], count: 0 });
  });

  it("fails a crawl quietly when its connection is deleted while it waits", async () => {
    const registered = await admin.post("/data/connection", registrationBody(emulator(), "short_lived"));
    assert.equal(registered.status, 200);
    assert.equal((await admin.delete("/data/object/short_lived")).status, 200);
    const job = await finishedJob(admin, registered.data.bulkId);
    assert.equal(job.state, "failed");
    assert.match(String(job.output?.error), /short_lived was deleted/);
    assertBoom(await admin.get("/data/object/short_lived"), 404);
  });
});
