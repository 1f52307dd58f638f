// The order in which `npm run pulumi-cli` looks for and provisions the CLI, its cache, its lock and
// its failure message, on stand-in binaries and stand-in provisioners: the real Go build and the
// real release are too slow (or out of reach) for a unit test; the e2e suite runs the real CLI.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { binDir, installationRoot, NODEJS_RESOURCE_PLUGIN, readProvenance } from "../../automation/cli/installation";
import { locatePulumiCli } from "../../automation/cli/locate";
import { CliProvisioningError, provisionPulumiCli, type Provisioner } from "../../automation/cli/provision";
import { PULUMI_CLI_VERSION } from "../../automation/cli/version";

/** A `pulumi` that answers `pulumi version` as a real one would, and nothing else. */
async function fakePulumi(dir: string, version: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, "pulumi"), `#!/bin/sh\n[ "$1" = version ] && echo ${version}\n`, { mode: 0o755 });
}

/** Puts a fake CLI of `version` into the root it is given, counting its calls. */
function fakeProvisioner(version = `v${PULUMI_CLI_VERSION}`): Provisioner & { calls: number } {
  return {
    name: "the stand-in",
    source: "go-build",
    calls: 0,
    async provision(root) {
      this.calls += 1;
      await fakePulumi(binDir(root), version);
      return { ok: true, languageHost: { kind: "none", reason: "the stand-in builds none" } };
    },
  };
}

function refusing(name: string, reason: string): Provisioner {
  return { name, source: "release", provision: async () => ({ ok: false, reason }) };
}

describe("provisioning the Pulumi CLI (npm run pulumi-cli)", () => {
  let scratch: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), "cli-provisioning-"));
    // PATH holds nothing but an empty folder, and the cache lives in the scratch folder, whatever this machine has.
    await fs.mkdir(path.join(scratch, "empty-bin"));
    env = { PATH: path.join(scratch, "empty-bin"), XDG_CACHE_HOME: path.join(scratch, "cache"), HOME: scratch };
  });

  afterEach(async () => {
    await fs.rm(scratch, { recursive: true, force: true });
  });

  it("keeps the cache outside the repository, one folder per pinned version", () => {
    assert.equal(installationRoot(env), path.join(scratch, "cache", "pulumi-immuta-lakebase", `pulumi-v${PULUMI_CLI_VERSION}`));
    assert.equal(installationRoot({ HOME: "/home/ci" }), `/home/ci/.cache/pulumi-immuta-lakebase/pulumi-v${PULUMI_CLI_VERSION}`);
  });

  it("takes a pulumi already on PATH without provisioning anything", async () => {
    const onPath = path.join(scratch, "tools", "bin");
    await fakePulumi(onPath, "v3.280.0");
    const provisioner = fakeProvisioner();

    const cli = await provisionPulumiCli({ env: { ...env, PATH: `${env.PATH}${path.delimiter}${onPath}` }, provisioners: [provisioner] });

    assert.deepEqual({ binDir: cli.binDir, version: cli.version, source: cli.source }, { binDir: onPath, version: "3.280.0", source: "path" });
    assert.equal(provisioner.calls, 0);
  });

  it("passes over a pulumi on PATH too old for inline programs", async () => {
    const onPath = path.join(scratch, "old", "bin");
    await fakePulumi(onPath, "v3.100.0");

    const cli = await provisionPulumiCli({ env: { ...env, PATH: onPath }, provisioners: [fakeProvisioner()] });

    assert.equal(cli.binDir, binDir(installationRoot(env)));
  });

  it("provisions into the cache once, with the dynamic-provider plugin beside it and a record of how, then reuses it", async () => {
    const provisioner = fakeProvisioner();

    const first = await provisionPulumiCli({ env, provisioners: [provisioner] });
    const second = await provisionPulumiCli({ env, provisioners: [provisioner] });

    const root = installationRoot(env);
    assert.equal(provisioner.calls, 1);
    assert.deepEqual([first.binDir, second.binDir], [binDir(root), binDir(root)]);
    assert.deepEqual({ version: second.version, source: second.source, languageHost: second.languageHost }, {
      version: PULUMI_CLI_VERSION,
      source: "go-build",
      languageHost: { kind: "none", reason: "the stand-in builds none" },
    });
    const plugin = await fs.stat(path.join(binDir(root), NODEJS_RESOURCE_PLUGIN));
    assert.equal(plugin.mode & 0o111, 0o111, "the plugin is not executable");
    const provenance = await readProvenance(root);
    assert.equal(provenance?.version, PULUMI_CLI_VERSION);
    const located = await locatePulumiCli(env);
    assert.ok(located.found && located.cli.binDir === binDir(root), JSON.stringify(located));
  });

  it("replaces a cached CLI of another version", async () => {
    await fakePulumi(binDir(installationRoot(env)), "v3.200.0");
    const provisioner = fakeProvisioner();

    const cli = await provisionPulumiCli({ env, provisioners: [provisioner] });

    assert.equal(provisioner.calls, 1);
    assert.equal(cli.version, PULUMI_CLI_VERSION);
  });

  it("goes on to the next way when one fails, and names every way it tried when none works", async () => {
    const provisioner = fakeProvisioner();
    const cli = await provisionPulumiCli({ env, provisioners: [refusing("the official release", "get.pulumi.com cannot be reached"), provisioner] });
    assert.equal(cli.version, PULUMI_CLI_VERSION);

    const elsewhere = { ...env, XDG_CACHE_HOME: path.join(scratch, "other-cache") };
    const failure = await provisionPulumiCli({
      env: elsewhere,
      provisioners: [refusing("the official release", "get.pulumi.com cannot be reached"), refusing("a build from the Go module proxy", "no usable `go` on PATH")],
    }).then(
      () => assert.fail("provisioning succeeded with nothing to provision from"),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof CliProvisioningError);
    assert.deepEqual(failure.tried, [
      "a pulumi on PATH: no `pulumi` binary is on PATH",
      `the cache: nothing provisioned yet in ${installationRoot(elsewhere)}`,
      "the official release: get.pulumi.com cannot be reached",
      "a build from the Go module proxy: no usable `go` on PATH",
    ]);
    assert.match(failure.message, /install the CLI \(https:\/\/www\.pulumi\.com\/docs\/install\/\) and put it on PATH, or install Go/);
  });

  it("never provisions twice at once: a second run waits for the first and takes its result", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = fakeProvisioner();
    const provision = slow.provision.bind(slow);
    slow.provision = async (...args) => {
      await gate;
      return provision(...args);
    };
    const waits: string[] = [];

    const first = provisionPulumiCli({ env, provisioners: [slow] });
    // The first holds the lock (its provisioner waits at the gate) before the second starts.
    while ((await fs.stat(`${installationRoot(env)}.lock`).catch(() => undefined)) === undefined) await new Promise((resolve) => setImmediate(resolve));
    // The first finishes only once the second has found the lock taken.
    const second = provisionPulumiCli({
      env,
      provisioners: [slow],
      log: (line) => {
        waits.push(line);
        release();
      },
    });
    const [a, b] = await Promise.all([first, second]);

    assert.equal(slow.calls, 1);
    assert.equal(a.binDir, b.binDir);
    assert.match(waits[0] ?? "", /another run is provisioning the Pulumi CLI/);
  });
});
