// The GitOps runner as CI runs it: its own process, against a real stack of the root Pulumi.yaml
// through the real Pulumi CLI and the emulator.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PulumiCli } from "../../automation/cli/locate";
import { createQuickstartStack, PROJECT_DIR, type QuickstartStack } from "../../automation/quickstart/stack";
import type { Emulator } from "../../emulator";
import { EXIT_CODES } from "../../examples/gitops/runner";
import { resetEmulator, sharedEmulator } from "../support/emulator";
import { requirePulumiCli } from "../support/pulumiCli";

const RUNNER = path.resolve(__dirname, "../../examples/gitops/runner.js");

interface RunnerRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runRunner(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<RunnerRun> {
  const child = spawn(process.execPath, [RUNNER, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("the GitOps runner (e2e)", function () {
  this.timeout(300_000);
  let scratch: string;

  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-runner-"));
  });

  afterEach(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("without a CLI: says what it looked for and how to get one, exits 2 and writes nothing", async () => {
    const result = await runRunner(["preview", "--stack", "dev"], { cwd: scratch, env: { PATH: path.join(scratch, "empty-bin"), HOME: scratch } });

    assert.equal(result.code, EXIT_CODES.cliMissing, result.stderr);
    assert.ok(result.stderr.startsWith("gitops runner: the Pulumi CLI is required but none was found (PATH: no `pulumi` binary is on PATH; cache: nothing provisioned yet in"), result.stderr);
    assert.deepEqual(fs.readdirSync(scratch), []);
  });

  it("on invalid arguments: prints the usage and exits 64", async () => {
    const result = await runRunner(["apply", "--stack", "dev"], { cwd: scratch, env: process.env });

    assert.equal(result.code, EXIT_CODES.usage);
    assert.ok(result.stderr.includes("gitops runner: the first argument must be the command: preview or up"), result.stderr);
    assert.ok(result.stderr.includes("Usage: node dist/examples/gitops/runner.js <preview|up>"));
  });

  it("refuses a work dir without Pulumi.yaml", async function () {
    await requirePulumiCli(this);
    const result = await runRunner(["preview", "--stack", "dev", "--work-dir", scratch], { cwd: scratch, env: process.env });

    assert.equal(result.code, EXIT_CODES.usage);
    assert.ok(result.stderr.includes(`no Pulumi.yaml in ${scratch}`), result.stderr);
  });

  describe("against a stack of the root Pulumi.yaml", () => {
    let cli: PulumiCli;
    let emulator: Emulator;
    let quickstart: QuickstartStack;
    let env: NodeJS.ProcessEnv;

    before(async function () {
      cli = await requirePulumiCli(this);
      if (cli.languageHost.kind === "none") {
        console.log(`    skipped: the runner runs a program folder, which needs a Node.js language host, and ${cli.languageHost.reason}`);
        this.skip();
      }
      emulator = await sharedEmulator();
    });

    beforeEach(async () => {
      await resetEmulator(emulator);
      quickstart = await createQuickstartStack({ emulator, cli, prefix: "gitops-e2e", program: "program-directory" });
      env = {
        ...process.env,
        ...quickstart.env,
        PATH: `${cli.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
        GITHUB_STEP_SUMMARY: path.join(scratch, "step-summary.md"),
        IMMUTA_API_KEY: emulator.apiKey,
      };
      fs.writeFileSync(path.join(scratch, "step-summary.md"), "earlier step\n");
    });

    afterEach(async () => {
      assert.deepEqual(await quickstart.dispose(), []);
    });

    it("previews, writes the Markdown summary and appends it to GITHUB_STEP_SUMMARY", async () => {
      const result = await runRunner(["preview", "--stack", quickstart.name, "--work-dir", PROJECT_DIR], { cwd: scratch, env });

      assert.equal(result.code, EXIT_CODES.ok, result.stderr);
      assert.match(result.stdout, new RegExp(`Previewing update \\(${quickstart.name}\\)`));
      const written = fs.readFileSync(path.join(scratch, "pulumi-preview.md"), "utf8");
      assert.ok(written.startsWith(`## Pulumi preview: stack ${quickstart.name.replace(/_/g, "\\_")}\n\n**Changes:** 4 create\n\n| Resource | Type | Action | Changes |\n`), written);
      for (const row of ["| lakebase | LakebaseConnection | **create** |", "| username-mapping | ExternalUserMapping | **create** |"]) assert.ok(written.includes(row), written);
      assert.equal(fs.readFileSync(path.join(scratch, "step-summary.md"), "utf8"), `earlier step\n${written}\n`);
    });

    it("exits 1 when up fails, says why in our words without any secret, and still writes what happened", async () => {
      const principal = emulator.principals.lacksCreateRole;
      await quickstart.stack.setAllConfig({ clientId: { value: principal.clientId }, clientSecret: { value: principal.clientSecret, secret: true } });
      const summary = path.join(scratch, "up.md");

      const result = await runRunner(["up", "--stack", quickstart.name, "--work-dir", PROJECT_DIR, "--summary", summary], { cwd: scratch, env });

      assert.equal(result.code, EXIT_CODES.failed, result.stderr);
      assert.match(result.stderr, new RegExp(`gitops runner: pulumi up failed for stack ${quickstart.name}: lakebase: Preflight failed for database databricks_postgres`));
      assert.ok(result.stderr.includes(`Fix: ALTER ROLE "${principal.clientId}" CREATEROLE;`), result.stderr);
      const written = fs.readFileSync(summary, "utf8");
      assert.ok(written.includes("**The operation failed**"), written);
      assert.ok(written.includes("| lakebase | LakebaseConnection | **create** ❌ failed |"), written);
      for (const output of [result.stdout, result.stderr, written, fs.readFileSync(path.join(scratch, "step-summary.md"), "utf8")]) {
        for (const secret of [emulator.apiKey, principal.clientSecret, ...quickstart.secrets]) assert.ok(!output.includes(secret), "a secret leaked");
      }
    });
  });
});
