import { strict as assert } from "node:assert";
import axios from "axios";
import type { Emulator } from "../../emulator";
import { ConnectionExistsError, DatabricksAuthError, ImmutaApiError, PreflightError } from "../../provider";
import { deregisterConnection, readConnection, registerConnection, updateConnection } from "../../provider/connection";
import { ImmutaClient } from "../../provider/immuta/client";
import { clearFaults, requestLog, resetEmulator, setFaults, sharedEmulator } from "../support/emulator";
import { collectingLog, declarationFor, rejection, settingsFor } from "./fixtures";

describe("connection logic against the emulator", function () {
  let em: Emulator;
  let client: ImmutaClient;
  const progress = collectingLog();
  const warnings = collectingLog();
  const options = () => ({ ...settingsFor(em), log: progress.log, warn: (_topic: string, message: string) => warnings.log(message) });

  before(async () => {
    em = await sharedEmulator();
  });

  beforeEach(async () => {
    await resetEmulator(em);
    client = new ImmutaClient(settingsFor(em));
  });

  it("registers, waits for the first crawl, and reads the connection back", async () => {
    const registration = await registerConnection(client, declarationFor(em), options());
    assert.equal(registration.adopted, false);
    assert.equal(registration.crawl.state, "completed");
    assert.ok((registration.crawl.objectCount ?? 0) >= 8, `objectCount ${registration.crawl.objectCount}`);
    assert.deepEqual(
      { ...registration.connection, createdAt: undefined, updatedAt: undefined },
      {
        connectionKey: "lakebase_it",
        technology: "DatabricksLakebase",
        state: "active",
        createdAt: undefined,
        updatedAt: undefined,
        settings: { hostname: em.lakebase.hostname, port: em.lakebase.port, database: em.lakebase.database, workspaceUrl: em.workspaceUrl, clientId: em.clientId },
      },
    );
    assert.ok(progress.lines.some((line) => /crawl of connection "lakebase_it" completed/.test(line)));
    assert.deepEqual(await readConnection(client, "lakebase_it", options()), registration.connection);
    assert.deepEqual(warnings.lines, []);
  });

  it("updates in place, checking the principal again only when what it depends on changed", async () => {
    await registerConnection(client, declarationFor(em), options());
    const since = Math.max(0, ...(await requestLog(em)).map((r) => r.seq));
    const moved = declarationFor(em, { hostname: "localhost" });
    const { connection } = await updateConnection(client, moved, { ...declarationFor(em), crawlCompleted: true }, options());
    assert.equal(connection.settings?.hostname, "localhost");
    const puts = await requestLog(em, { since, method: "PUT" });
    assert.equal(puts.length, 1);

    const before = Math.max(0, ...(await requestLog(em)).map((r) => r.seq));
    await updateConnection(client, { ...moved, preflight: false }, { ...moved, crawlCompleted: true }, options());
    assert.equal((await requestLog(em, { since: before, method: "PUT" })).length, 0, "nothing stored changed, so nothing is written");
  });

  it("deregisters, and treats an already deregistered connection as success", async () => {
    await registerConnection(client, declarationFor(em), options());
    await deregisterConnection(client, "lakebase_it", options());
    assert.equal(await readConnection(client, "lakebase_it", options()), undefined);
    await deregisterConnection(client, "lakebase_it", options());
    assert.ok(progress.lines.some((line) => /already gone/.test(line)));
  });

  describe("a key that is already taken", () => {
    beforeEach(async () => {
      await registerConnection(client, declarationFor(em), options());
    });

    it("fails, naming the key and how to adopt it", async () => {
      const error = await rejection(registerConnection(client, declarationFor(em), options()));
      assert.ok(error instanceof ConnectionExistsError);
      assert.match(error.message, /"lakebase_it" already exists.*set adopt: true/);
    });

    it("is adopted when adopt is set and it matches, applying the declared secret", async () => {
      const since = Math.max(0, ...(await requestLog(em)).map((r) => r.seq));
      const adopted = await registerConnection(client, declarationFor(em, { adopt: true }), options());
      assert.equal(adopted.adopted, true);
      assert.equal((await requestLog(em, { since, method: "PUT" })).length, 1);
    });

    it("is not adopted when it differs, and the message lists each difference", async () => {
      const error = await rejection(registerConnection(client, declarationFor(em, { adopt: true, preflight: false, database: "other_db", hostname: "localhost" }), { ...options() }));
      assert.ok(error instanceof ConnectionExistsError, error.message);
      assert.match(error.message, /hostname: Immuta has "127\.0\.0\.1", declared "localhost"; database: Immuta has "databricks_postgres", declared "other_db"/);
    });
  });

  describe("a registration whose answer was lost", () => {
    it("is taken as our own when the retry finds the key taken by a matching connection", async () => {
      await setFaults(em, { rateLostAnswer: 1, methods: ["POST"], pathPrefix: "/data/connection" });
      try {
        const impatient = new ImmutaClient(settingsFor(em, { maxRetries: 1 }));
        const registration = await registerConnection(impatient, declarationFor(em), options());
        assert.equal(registration.adopted, true);
        assert.equal(registration.crawl.state, "completed");
      } finally {
        await clearFaults(em);
      }
      assert.ok(progress.lines.some((line) => /Adopting the existing connection "lakebase_it"/.test(line)));
    });

    it("is not mistaken for ours when the first attempt was only throttled, which proves it had no effect", async () => {
      await registerConnection(client, declarationFor(em), options());
      await setFaults(em, { rate429: 1, retryAfterSeconds: 1, methods: ["POST"], pathPrefix: "/data/connection" });
      const pending = rejection(registerConnection(client, declarationFor(em), options()));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await clearFaults(em);
      const error = await pending;
      assert.ok(error instanceof ConnectionExistsError, error.message);
      assert.match(error.message, /set adopt: true/);
    });
  });

  describe("preflight", () => {
    it("refuses a principal lacking CREATEROLE before calling Immuta, with the SQL that fixes it", async () => {
      const since = Math.max(0, ...(await requestLog(em)).map((r) => r.seq));
      const error = await rejection(registerConnection(client, declarationFor(em, em.principals.lacksCreateRole), options()));
      assert.ok(error instanceof PreflightError);
      assert.deepEqual(error.failures.map((f) => f.check), ["CREATEROLE"]);
      assert.match(error.message, new RegExp(`ALTER ROLE "${em.principals.lacksCreateRole.clientId}" CREATEROLE`));
      assert.equal((await requestLog(em, { since, method: "POST", route: "/data/connection" })).length, 0);
    });

    it("refuses a principal outside databricks_superuser, with the GRANT that fixes it", async () => {
      const error = await rejection(registerConnection(client, declarationFor(em, em.principals.lacksSuperuser), options()));
      assert.ok(error instanceof PreflightError);
      assert.deepEqual(error.failures.map((f) => f.check), ["databricks_superuser"]);
      assert.match(error.message, new RegExp(`GRANT databricks_superuser TO "${em.principals.lacksSuperuser.clientId}"`));
    });

    it("explains a failed login: no role created with databricks_create_role", async () => {
      const admin = new (await import("pg")).Client({ connectionString: em.adminPostgresUrl });
      await admin.connect();
      const role = em.principals.lacksSuperuser.clientId;
      try {
        await admin.query(`ALTER ROLE "${role}" NOLOGIN`);
        const error = await rejection(registerConnection(client, declarationFor(em, em.principals.lacksSuperuser), options()));
        assert.ok(error instanceof PreflightError);
        assert.match(error.message, /could not log in/);
        assert.match(error.message, new RegExp(`databricks_create_role\\('${role}', 'SERVICE_PRINCIPAL'\\)`));
      } finally {
        await admin.query(`ALTER ROLE "${role}" LOGIN`);
        await admin.end();
      }
    });

    it("rejects bad client credentials with what to check", async () => {
      const error = await rejection(registerConnection(client, declarationFor(em, { clientSecret: "dose-wrong" }), options()));
      assert.ok(error instanceof DatabricksAuthError);
      assert.match(error.message, /invalid_client.*application \(client\) id/);
    });

    it("when skipped, leaves the refusal to Immuta, whose message names CREATEROLE", async () => {
      const error = await rejection(registerConnection(client, declarationFor(em, { ...em.principals.lacksCreateRole, preflight: false }), options()));
      assert.ok(error instanceof ImmutaApiError);
      assert.equal(error.status, 400);
      assert.match(error.message, /CREATEROLE/);
      assert.equal(await readConnection(client, "lakebase_it", options()), undefined, "nothing half-registered");
    });
  });

  it("converges with 429s, 503s and dropped connections on 20% of every route", async () => {
    await setFaults(em, { rate429: 0.1, retryAfterSeconds: 0, rate5xx: 0.05, statuses5xx: [502, 503], rateDrop: 0.05 });
    try {
      // Whole lifecycles, until enough faults have landed to mean something (each pass makes ~20 requests).
      let faulted = 0;
      for (let pass = 0; pass < 10 && faulted < 12; pass++) {
        const decl = declarationFor(em, { connectionKey: `faulty_${pass}` });
        await registerConnection(client, decl, options());
        await updateConnection(client, { ...decl, hostname: "localhost" }, { ...decl, crawlCompleted: true }, options());
        assert.equal((await readConnection(client, decl.connectionKey, options()))?.settings?.hostname, "localhost");
        await deregisterConnection(client, decl.connectionKey, options());
        assert.equal(await readConnection(client, decl.connectionKey, options()), undefined);
        faulted = (await requestLog(em)).filter((r) => r.fault === "429" || r.fault === "5xx" || r.fault === "drop").length;
      }
      assert.ok(faulted >= 12, `${faulted} faults injected`);
    } finally {
      await clearFaults(em);
    }
  });

  it("reports a 403 naming the permission when the key lacks APPLICATION_ADMIN", async () => {
    const viewer = new ImmutaClient(settingsFor(em, { apiKey: em.noPermissionApiKey }));
    const error = await rejection(readConnection(viewer, "anything", options()));
    assert.ok(error instanceof ImmutaApiError);
    assert.equal(error.status, 403);
    assert.match(error.message, /lacks the permission APPLICATION_ADMIN/);
  });

  it("uses the emulator's real HTTP API", async () => {
    const health = await axios.get(`${em.immutaUrl}/__emulator/health`);
    assert.deepEqual(health.data, { ok: true });
  });
});
