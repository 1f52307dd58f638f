// The connection paths on an Immuta that behaves as documented: GET and PUT /data/connection/{key}
// serve Snowflake, Unity Catalog and Lake Formation connections only, so a Lakebase connection's
// settings are neither shown nor taken; /data/object/{key} still tells whether it exists.
import { strict as assert } from "node:assert";
import pg from "pg";
import { startEmulator, type Emulator } from "../../emulator";
import { ConnectionExistsError, ConnectionGoneError, ConnectionSettingsNotServedError } from "../../provider";
import { deregisterConnection, readConnection, registerConnection, updateConnection } from "../../provider/connection";
import { ImmutaClient } from "../../provider/immuta/client";
import { requestLog, resetEmulator } from "../support/emulator";
import { lastSeq } from "../support/resourceHost";
import { collectingLog, declarationFor, rejection, settingsFor } from "./fixtures";

/** An edit made in Immuta's UI, which the documented API neither shows nor takes: straight in the emulator's state. */
async function editInImmutaUi(em: Emulator, key: string, hostname: string): Promise<void> {
  const url = new URL(em.adminPostgresUrl);
  url.pathname = "/immuta_emulator";
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query("UPDATE connections SET hostname = $2 WHERE connection_key = $1", [key, hostname]);
  } finally {
    await admin.end();
  }
}

describe("connection logic on an Immuta without GET/PUT /data/connection/{key} for Lakebase (as documented)", function () {
  this.timeout(60_000);
  let em: Emulator;
  let client: ImmutaClient;
  const progress = collectingLog();
  let warnings: { topic: string; message: string }[];
  const options = () => ({ ...settingsFor(em), log: progress.log, warn: (topic: string, message: string) => void warnings.push({ topic, message }) });

  before(async () => {
    em = await startEmulator({ connectionApi: "documented" });
  });

  after(async () => {
    await em?.stop();
  });

  beforeEach(async () => {
    await resetEmulator(em);
    client = new ImmutaClient(settingsFor(em));
    warnings = [];
  });

  it("answers GET and PUT /data/connection/{key} for a Lakebase connection with 404, as the emulator's documented mode promises", async () => {
    await registerConnection(client, declarationFor(em), options());
    const answers = (await requestLog(em, { route: "/data/connection/:key" })).map((entry) => `${entry.method} ${entry.status}`);
    assert.ok(answers.length > 0 && answers.every((answer) => answer.endsWith(" 404")), answers.join(", "));
  });

  it("creates: a registration Immuta accepted succeeds, and the connection is read from its object", async () => {
    const registration = await registerConnection(client, declarationFor(em), options());

    assert.deepEqual({ ...registration.connection }, {
      connectionKey: "lakebase_it",
      technology: "DatabricksLakebase",
      state: "active",
      createdAt: null,
      updatedAt: null,
      settings: null,
    });
    assert.equal(registration.crawl.state, "completed");
    assert.deepEqual(warnings.map((w) => w.topic), ["settings-not-served"]);
    assert.match(warnings[0]?.message ?? "", /refresh cannot see changes made in Immuta to a connection's hostname, port, database, workspaceUrl or clientId/);
  });

  it("reads: keeps a live connection (never taken for gone), reporting what its object says", async () => {
    await registerConnection(client, declarationFor(em), options());
    await editInImmutaUi(em, "lakebase_it", "localhost");

    const found = await readConnection(client, "lakebase_it", options());

    assert.deepEqual(found, { connectionKey: "lakebase_it", technology: "DatabricksLakebase", state: "active", createdAt: null, updatedAt: null, settings: null });
  });

  it("updates: a change of a setting fails before any request that changes something, naming the field and what to do", async () => {
    const decl = declarationFor(em);
    await registerConnection(client, decl, options());
    const since = await lastSeq(em);

    const error = await rejection(updateConnection(client, { ...decl, hostname: "localhost", clientSecret: "dose-rotated" }, { ...decl, crawlCompleted: true }, options()));

    assert.ok(error instanceof ConnectionSettingsNotServedError, error.message);
    assert.deepEqual(error.fields, ["hostname", "clientSecret"]);
    assert.match(error.message, /^Cannot change hostname and clientSecret of connection "lakebase_it": this Immuta does not take .* so nothing was changed\./);
    assert.match(error.message, /change them in Immuta.s UI .*pulumi state delete .*adopt: true.*or give the connection a new displayName, which registers a new connection and deregisters this one/);
    const writes = (await requestLog(em, { since })).filter((entry) => entry.method !== "GET");
    assert.deepEqual(writes, []);
  });

  it("updates: a change that writes nothing to Immuta (preflight, adopt) still goes through", async () => {
    const decl = declarationFor(em);
    await registerConnection(client, decl, options());
    const { connection } = await updateConnection(client, { ...decl, preflight: false, adopt: true }, { ...decl, crawlCompleted: true }, options());
    assert.equal(connection.state, "active");
  });

  it("updates: a connection deleted outside Pulumi is reported as gone, not as settings Immuta will not take", async () => {
    const decl = declarationFor(em);
    await registerConnection(client, decl, options());
    await deregisterConnection(client, decl.connectionKey, options());
    const error = await rejection(updateConnection(client, { ...decl, hostname: "localhost" }, { ...decl, crawlCompleted: true }, options()));
    assert.ok(error instanceof ConnectionGoneError, error.message);
  });

  it("adopts by key alone when adopt is set, warning that the settings could not be compared and the secret not applied", async () => {
    await registerConnection(client, declarationFor(em), options());
    warnings = [];
    const since = await lastSeq(em);

    const adopted = await registerConnection(client, declarationFor(em, { adopt: true }), options());

    assert.equal(adopted.adopted, true);
    assert.ok(warnings.some((w) => w.topic === "adopt-unverified:lakebase_it" && /by its key alone.*could not be compared.*declared client secret could not be applied/.test(w.message)), JSON.stringify(warnings));
    assert.deepEqual((await requestLog(em, { since, method: "PUT" })).map((entry) => entry.url), []);
  });

  it("does not adopt without adopt, naming the key", async () => {
    await registerConnection(client, declarationFor(em), options());
    const error = await rejection(registerConnection(client, declarationFor(em), options()));
    assert.ok(error instanceof ConnectionExistsError);
    assert.match(error.message, /"lakebase_it" already exists.*set adopt: true/);
  });

  it("deletes, after which the connection reads as gone", async () => {
    await registerConnection(client, declarationFor(em), options());
    await deregisterConnection(client, "lakebase_it", options());
    assert.equal(await readConnection(client, "lakebase_it", options()), undefined);
  });
});
