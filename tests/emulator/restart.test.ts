import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startEmulator, type Emulator } from "../../emulator";
import { immutaClient, makeTempDir, processesUsing, registerConnection } from "./helpers";

describe("emulator: restart on the same data directory", () => {
  let parent: string;
  let running: Emulator | undefined;
  before(() => {
    parent = makeTempDir();
  });
  after(async () => {
    await running?.stop();
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it("keeps connections, profile changes and the seeded credentials across stop and start", async () => {
    const dataDir = path.join(parent, "pg");
    const first = await startEmulator({ dataDir });
    running = first;
    const api = await immutaClient(first);
    await registerConnection(api, first, "kept_conn");
    const bob = "/bim/iam/bim/user/bob@example.com/profile";
    const profile = (await api.get(bob)).data;
    assert.equal((await api.put(bob, { ...profile, location: "Lisbon" })).status, 200);
    await first.stop();
    running = undefined;
    assert.equal(processesUsing(dataDir), "", "no PostgreSQL process of the data directory remains");
    assert.ok(fs.existsSync(path.join(dataDir, "PG_VERSION")), "a given data directory is kept");

    const second = await startEmulator({ dataDir });
    running = second;
    assert.equal(second.apiKey, first.apiKey);
    assert.equal(second.clientId, first.clientId);
    const again = await immutaClient(second);
    const connection = await again.get("/data/connection/kept_conn");
    assert.equal(connection.status, 200);
    assert.equal(connection.data.connection.oAuthClientConfig.clientId, first.clientId);
    assert.equal((await again.get("/data/object/kept_conn/databricks_postgres/sales/orders")).status, 200);
    assert.equal((await again.get(bob)).data.location, "Lisbon");
    await second.stop();
    running = undefined;
    assert.equal(processesUsing(dataDir), "");
  });
});
