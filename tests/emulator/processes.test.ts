import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { startEmulator, type EmulatorInfo } from "../../emulator";
import { eventually, makeTempDir } from "./helpers";

const REPOSITORY = path.resolve(__dirname, "../../..");
const BIN = path.join(REPOSITORY, "dist/emulator/cli.js");

/** The embedded PostgreSQL, whatever the environment says. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { EMULATOR_POSTGRES_URL: _ignored, ...env } = process.env;
  return { ...env, ...extra };
}

interface Started {
  child: ChildProcess;
  info: EmulatorInfo;
  dataDir: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function start(command: string, args: string[], env: NodeJS.ProcessEnv = environment()): Promise<Started> {
  const child = spawn(command, args, { cwd: REPOSITORY, env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  void exited.then(() => running.delete(child));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", () => stdout.includes("\n") && resolve());
    void exited.then(({ code }) => reject(new Error(`exited with ${code} before printing: ${stderr}`)));
  });
  const info = JSON.parse(stdout.split("\n", 1)[0] ?? "") as EmulatorInfo;
  return { child, info, dataDir: await dataDirectoryOf(info), stdout: () => stdout, stderr: () => stderr, exited };
}

const running = new Set<ChildProcess>();

async function dataDirectoryOf(info: EmulatorInfo): Promise<string> {
  const client = new pg.Client({ connectionString: info.adminPostgresUrl });
  await client.connect();
  try {
    return (await client.query<{ data_directory: string }>("SHOW data_directory")).rows[0]?.data_directory ?? "";
  } finally {
    await client.end();
  }
}

/** `ps` lines of processes serving `dataDir` as PostgreSQL (`postgres -D <dataDir>`), or running its watchdog. */
function processesOf(dataDir: string, kind: "postgres" | "watchdog"): Array<{ pid: number; args: string }> {
  const ps = spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ pid: Number(match[1]), args: match[2] ?? "" }))
    .filter(({ args }) => (kind === "postgres" ? args.includes(`postgres -D ${dataDir}`) : args.includes("watchdogProcess.js") && args.includes(dataDir)));
}

describe("emulator: processes (the immuta-lakebase-emulator bin and npm run emulator)", () => {
  let parent: string;
  before(() => {
    parent = makeTempDir();
  });
  after(() => {
    for (const child of running) child.kill("SIGKILL");
    fs.rmSync(parent, { recursive: true, force: true });
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`regression: ${signal} to npm left the emulator and PostgreSQL running; now npm hands it on and nothing is left`, async () => {
      // --ignore-scripts skips the preemulator build (this suite runs from that build) and runs the script itself.
      const npm = await start("npm", ["run", "--silent", "--ignore-scripts", "emulator"]);
      assert.equal(processesOf(npm.dataDir, "postgres").length > 0, true, "PostgreSQL runs while the emulator serves");
      npm.child.kill(signal);
      await npm.exited;
      assert.deepEqual(processesOf(npm.dataDir, "postgres"), []);
      assert.equal(fs.existsSync(npm.dataDir), false, "the temporary data directory is removed");
      const lines = npm.stdout().split("\n").filter((line) => line !== "");
      assert.equal(lines.length, 1, `standard output holds the JSON line alone: ${npm.stdout()}`);
      assert.match(npm.stderr(), new RegExp(`${signal} received, stopping`));
    });
  }

  it("regression: SIGHUP to the emulator left PostgreSQL and its temporary data directory behind", async () => {
    const bin = await start(process.execPath, [BIN]);
    bin.child.kill("SIGHUP");
    assert.deepEqual(await bin.exited, { code: 0, signal: null });
    assert.deepEqual(processesOf(bin.dataDir, "postgres"), []);
    assert.equal(fs.existsSync(bin.dataDir), false);
  });

  it("regression: SIGKILL to the emulator left PostgreSQL and its temporary data directory behind; now its watchdog removes them", async () => {
    const bin = await start(process.execPath, [BIN]);
    assert.equal(processesOf(bin.dataDir, "watchdog").length, 1, "a watchdog watches over PostgreSQL");
    bin.child.kill("SIGKILL");
    await bin.exited;
    await eventually(async () => (processesOf(bin.dataDir, "postgres").length === 0 && !fs.existsSync(bin.dataDir) ? true : undefined), "the watchdog's cleanup", 30_000);
    assert.deepEqual(processesOf(bin.dataDir, "watchdog"), []);
  });

  describe("a kept data directory", () => {
    let dataDir: string;
    before(() => {
      dataDir = path.join(parent, "kept");
    });

    it("regression: a PostgreSQL left running by a killed emulator made the next start fail with a misleading hint; now it is stopped, and said so", async () => {
      const bin = await start(process.execPath, [BIN], environment({ EMULATOR_DATA_DIR: dataDir }));
      // Kill the watchdog too, as if the whole process tree but PostgreSQL had been killed.
      for (const { pid } of processesOf(dataDir, "watchdog")) process.kill(pid, "SIGKILL");
      bin.child.kill("SIGKILL");
      await bin.exited;
      const left = processesOf(dataDir, "postgres");
      assert.equal(left.length > 0, true, "PostgreSQL outlived its emulator");
      const lines: string[] = [];
      const restarted = await startEmulator({ dataDir, log: (line) => lines.push(line) });
      try {
        assert.equal(restarted.apiKey, bin.info.apiKey, "the kept state is back");
        const postmaster = Math.min(...left.map(({ pid }) => pid));
        assert.ok(lines.includes(`stopping PostgreSQL (PID ${postmaster}) that an earlier emulator left running on ${dataDir}`), lines.join("\n"));
      } finally {
        await restarted.stop();
      }
      assert.deepEqual(processesOf(dataDir, "postgres"), []);
    });

    it("regression: a postmaster.pid naming a live process that is not PostgreSQL (a reused pid) stopped the start; now the stale lock is removed, and said so", async () => {
      const stranger = spawn("sleep", ["60"], { stdio: "ignore" });
      try {
        const lockFile = path.join(dataDir, "postmaster.pid");
        fs.writeFileSync(lockFile, `${stranger.pid}\n${dataDir}\n`);
        const lines: string[] = [];
        const restarted = await startEmulator({ dataDir, log: (line) => lines.push(line) });
        await restarted.stop();
        assert.ok(lines.includes(`removed the stale lock ${lockFile} (PID ${stranger.pid} is not a running PostgreSQL)`), lines.join("\n"));
      } finally {
        stranger.kill("SIGKILL");
      }
    });

    it("regression: a refused second start on a data directory in use rewrote its emulator-cluster.json", async () => {
      const settingsFile = path.join(dataDir, "emulator-cluster.json");
      const first = await startEmulator({ dataDir });
      try {
        const settings = fs.readFileSync(settingsFile, "utf8");
        await assert.rejects(startEmulator({ dataDir }), new RegExp(`The data directory ${dataDir} is in use by emulator process ${process.pid}`));
        assert.equal(fs.readFileSync(settingsFile, "utf8"), settings);
        assert.equal((await fetch(`${first.immutaUrl}/__emulator/health`)).status, 200, "the running emulator is untouched");
      } finally {
        await first.stop();
      }
    });
  });

  it("regression: stop() settles in a process that has nothing else to keep it alive (it used to leave the process to exit with stop() unsettled)", async () => {
    const script = `
      const { startEmulator } = require(${JSON.stringify(path.join(REPOSITORY, "dist/emulator"))});
      process.on("beforeExit", () => { if (!globalThis.stopped) { console.log("stop() never settled"); process.exit(3); } });
      startEmulator().then((emulator) => emulator.stop()).then(() => { globalThis.stopped = true; console.log("stopped"); });`;
    const result = spawnSync(process.execPath, ["-e", script], { cwd: REPOSITORY, env: environment(), encoding: "utf8", timeout: 60_000 });
    assert.deepEqual([result.status, result.stdout.trim()], [0, "stopped"], result.stderr);
  });

  it("refuses a seed file naming a reserved role before starting anything, naming the field", async () => {
    const seedFile = path.join(parent, "reserved.json");
    fs.writeFileSync(seedFile, JSON.stringify({ lakebase: { userRoles: ["alice", "postgres"], schemas: {} } }));
    await assert.rejects(startEmulator({ seedFile }), /inconsistent: lakebase\.userRoles\.1: 'postgres' is a reserved PostgreSQL role$/);
  });
});
