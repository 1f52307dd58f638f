import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import axios from "axios";
import pg from "pg";
import type { EmulatorInfo } from "../../emulator";
import { processesUsing } from "./helpers";

const CLI = path.resolve(__dirname, "../../emulator/cli.js");

describe("emulator: the CLI (npm run emulator)", () => {
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill("SIGKILL");
  });

  it("prints one JSON line with the emulator's info, serves, and stops PostgreSQL cleanly on SIGTERM", async () => {
    // The embedded PostgreSQL, whatever the environment says.
    const { EMULATOR_POSTGRES_URL: _ignored, ...env } = process.env;
    const started = spawn(process.execPath, [CLI], { env, stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    let stdout = "";
    let stderr = "";
    started.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    started.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      started.on("exit", (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve, reject) => {
      started.stdout?.on("data", () => stdout.includes("\n") && resolve());
      void exited.then(({ code }) => reject(new Error(`the CLI exited with ${code} before printing: ${stderr}`)));
    });

    const info = JSON.parse(stdout.trim()) as EmulatorInfo;
    for (const field of ["immutaUrl", "apiKey", "noPermissionApiKey", "workspaceUrl", "clientId", "clientSecret", "adminPostgresUrl"] as const) {
      assert.equal(typeof info[field], "string", field);
    }
    assert.match(info.immutaUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.workspaceUrl, info.immutaUrl);
    assert.deepEqual(Object.keys(info.lakebase).sort(), ["database", "hostname", "port"]);
    assert.equal(info.lakebase.database, "databricks_postgres");
    assert.equal(typeof info.principals.lacksCreateRole.clientSecret, "string");
    assert.equal(typeof info.principals.lacksSuperuser.clientId, "string");
    const health = await axios.get(`${info.immutaUrl}/__emulator/health`, { proxy: false });
    assert.deepEqual(health.data, { ok: true });

    const client = new pg.Client({ connectionString: info.adminPostgresUrl });
    await client.connect();
    const dataDir = (await client.query<{ data_directory: string }>("SHOW data_directory")).rows[0]?.data_directory ?? "";
    await client.end();
    assert.notEqual(processesUsing(dataDir), "", "PostgreSQL runs while the CLI serves");

    started.kill("SIGTERM");
    assert.deepEqual(await exited, { code: 0, signal: null });
    child = undefined;
    assert.equal(stdout.trim().split("\n").length, 1, "exactly one line on stdout");
    assert.equal(processesUsing(dataDir), "", "no PostgreSQL process of its data directory remains");
    assert.equal(fs.existsSync(dataDir), false, "the temporary data directory is removed");
  });
});
