// `npm run demo`, the main job, run as a newcomer runs it: its own process, its own process group.
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { PULUMI_CLI_VERSION } from "../../automation/cli/version";
import { SOURCES_VARIABLE } from "../../automation/cli/provision";
import { PROJECT_DIR } from "../../automation/quickstart/stack";
import { requirePulumiCli } from "../support/pulumiCli";

const DEMO = path.resolve(__dirname, "../../examples/demo/index.js");

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the compiled demo in its own process group, as a terminal runs a foreground job. */
function startDemo(env: NodeJS.ProcessEnv): { readonly pid: number; readonly output: () => string; readonly done: Promise<DemoRun> } {
  const child = spawn(process.execPath, [DEMO], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<DemoRun>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  assert.ok(child.pid !== undefined, "the demo did not start");
  return { pid: child.pid, output: () => stdout, done };
}

async function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** Every process still in the demo's process group (the group id is the demo's pid). */
function processesOfGroup(pgid: number): string[] {
  return execFileSync("ps", ["-eo", "pgid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.split(/\s+/, 1)[0] === String(pgid));
}

/** A PostgreSQL server whose data directory is under `dir` (the demo's own temporary folder). */
function postgresRunningUnder(dir: string): boolean {
  const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  return processes.split("\n").some((line) => /\bpostgres -D /.test(line) && line.includes(dir));
}

/**
 * What a demo may leave behind: a stack file next to Pulumi.yaml, anything in the temporary folder it
 * was given (its own, so that other runs on the machine do not count).
 */
function leftovers(tmpdir: string): string[] {
  const stackFiles = fs.readdirSync(PROJECT_DIR).filter((file) => /^Pulumi\..+\.yaml$/.test(file));
  return [...stackFiles, ...fs.readdirSync(tmpdir)];
}

/** Where the demo said its emulator runs. */
function emulatorPorts(stdout: string): { immuta: number; postgres: number } {
  const started = /Immuta\s+\(emulated\)\s+at\s+http:\/\/127\.0\.0\.1:(\d+);\s+Lakebase\s+\(PostgreSQL\)\s+at\s+[\w.]+:(\d+)/.exec(stdout);
  assert.ok(started, `the demo did not say where its emulator runs:\n${stdout}`);
  return { immuta: Number(started[1]), postgres: Number(started[2]) };
}

describe("npm run demo (e2e)", function () {
  this.timeout(300_000);

  let tmpdir: string;

  beforeEach(() => {
    tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "demo-e2e-"));
    // Open like /tmp itself: as root, the emulator's PostgreSQL runs as the postgres user and keeps its files here.
    fs.chmodSync(tmpdir, 0o1777);
  });

  afterEach(() => {
    fs.rmSync(tmpdir, { recursive: true, force: true });
  });

  it("runs the quickstart through the real engine, narrates the drift and its healing, exits 0 and leaves nothing behind", async function () {
    await requirePulumiCli(this);
    const before = leftovers(tmpdir);
    const demo = startDemo({ ...process.env, TMPDIR: tmpdir });
    const { code, stdout, stderr } = await demo.done;

    assert.equal(code, 0, `${stdout}\n${stderr}`);
    for (const step of ["the Pulumi CLI", "start the emulator", "create a throwaway stack", "pulumi preview", "pulumi up", "someone changes things in Immuta's UI", "pulumi refresh", "pulumi up again", "pulumi destroy"]) {
      assert.match(stdout, new RegExp(`Step \\d: ${step}\\n`), `no step "${step}"`);
    }
    assert.match(stdout, new RegExp(`Using the Pulumi CLI v${PULUMI_CLI_VERSION.replace(/\./g, "\\.")} in `));
    const narration = stdout.replace(/\n {2}(?=\S)/g, " ");
    assert.ok(narration.includes('Refresh found drift:'), stdout);
    assert.ok(narration.includes('- lakebase (LakebaseConnection): hostname "127.0.0.1" → "localhost"'), stdout);
    assert.ok(narration.includes('- username-mapping (ExternalUserMapping): effectiveUsername "bob" → null, mode "username" → "none", postgresUsername "bob" → null'), stdout);
    assert.ok(narration.includes("Up: update: lakebase (LakebaseConnection), username-mapping (ExternalUserMapping)."), stdout);
    assert.ok(narration.includes(`Immuta says the connection's hostname is 127.0.0.1 and bob@example.com's PostgreSQL username is "bob" again.`), stdout);

    const ports = emulatorPorts(stdout);
    assert.deepEqual(processesOfGroup(demo.pid), []);
    assert.ok(await refusesConnections(ports.immuta), "the emulated Immuta still answers");
    // The Lakebase port is the emulator's login proxy; PostgreSQL itself keeps its data in the demo's temporary folder.
    assert.ok(await refusesConnections(ports.postgres), "the emulated Lakebase still answers");
    assert.ok(!postgresRunningUnder(tmpdir), "the emulator's PostgreSQL still runs");
    assert.deepEqual(leftovers(tmpdir).filter((file) => !before.includes(file)), []);
  });

  it("with no CLI and no way to provision one: names each way it tried, exits 2 and starts nothing", async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
    try {
      // PATH without pulumi or go, an empty cache, and only the Go build allowed (so no download is tried).
      const { code, stdout, stderr } = await startDemo({ PATH: path.join(scratch, "bin"), HOME: scratch, XDG_CACHE_HOME: scratch, [SOURCES_VARIABLE]: "go-build" }).done;
      assert.equal(code, 2, stderr);
      assert.ok(!stdout.includes("Step 2"), "the demo went on without a CLI");
      assert.ok(
        stderr.includes(
          `Could not provision the Pulumi CLI v${PULUMI_CLI_VERSION}. Tried, in order:\n` +
            "  1. a pulumi on PATH: no `pulumi` binary is on PATH\n" +
            `  2. the cache: nothing provisioned yet in ${path.join(scratch, "pulumi-immuta-lakebase", `pulumi-v${PULUMI_CLI_VERSION}`)}\n` +
            "  3. a build from the Go module proxy: no usable `go` on PATH\n",
        ),
        stderr,
      );
      assert.match(stderr, /The demo stops here without starting anything\.\n$/);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("on Ctrl-C: stops its emulator, removes its temporary stack and exits 130", async () => {
    const fakeCli = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    const calledMarker = path.join(fakeCli, "called");
    // Answers `pulumi version` like the real CLI, then blocks on the first stack command as a
    // long operation would, until Ctrl-C reaches it.
    fs.writeFileSync(
      path.join(fakeCli, "pulumi"),
      `#!/bin/sh\nif [ "$1" = version ]; then echo v3.200.0; exit 0; fi\ntouch '${calledMarker}'\nexec sleep 300\n`,
      { mode: 0o755 },
    );
    const before = leftovers(tmpdir);
    try {
      const demo = startDemo({ ...process.env, TMPDIR: tmpdir, PATH: `${fakeCli}${path.delimiter}${process.env.PATH ?? ""}` });
      while (!fs.existsSync(calledMarker)) {
        const exited = await Promise.race([demo.done, delay(100).then(() => undefined)]);
        assert.equal(exited, undefined, `the demo ended before it reached the Pulumi CLI: ${JSON.stringify(exited)}`);
      }
      const ports = emulatorPorts(demo.output());
      assert.ok(postgresRunningUnder(tmpdir), "the emulator's PostgreSQL is not running before Ctrl-C");

      process.kill(-demo.pid, "SIGINT");
      const { code, stdout } = await demo.done;

      assert.equal(code, 130, stdout);
      assert.match(stdout, /Interrupted: stopping the emulator/);
      assert.ok(await refusesConnections(ports.immuta), "the emulated Immuta still answers");
      assert.ok(await refusesConnections(ports.postgres), "the emulated Lakebase still answers");
      assert.ok(!postgresRunningUnder(tmpdir), "the emulator's PostgreSQL still runs");
      assert.deepEqual(leftovers(tmpdir).filter((file) => !before.includes(file)), []);
    } finally {
      fs.rmSync(fakeCli, { recursive: true, force: true });
    }
  });
});
