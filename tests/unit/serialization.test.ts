import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { externalUserMappingProvider, externalUserMappingsProvider, lakebaseConnectionProvider } from "../../sdk";

/** Exactly what pulumi.dynamic.Resource stores in `__provider`. */
async function serialise(provider: object) {
  return pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
}

describe("the serialised provider shim", () => {
  for (const [name, provider] of [["LakebaseConnection", lakebaseConnectionProvider], ["ExternalUserMapping", externalUserMappingProvider], ["ExternalUserMappings", externalUserMappingsProvider]] as const) {
    it(`${name}: at most 2 KB, no secret, no machine path`, async () => {
      const { text, containsSecrets } = await serialise(provider);
      assert.equal(containsSecrets, false);
      assert.ok(Buffer.byteLength(text) <= 2048, `${Buffer.byteLength(text)} bytes`);
      for (const machinePath of [process.cwd(), os.homedir(), os.tmpdir(), __dirname]) assert.ok(!text.includes(machinePath), `contains ${machinePath}`);
      assert.doesNotMatch(text, /apiKey|clientSecret|Bearer/);
      assert.match(text, /require\("module"\)\.createRequire\(process\.cwd\(\) \+ "\/"\)\("pulumi-immuta-lakebase\/provider"\)/);
      assert.deepEqual(text.match(/require\([^)]*\)/g), ['require("module")'], "no module is captured, so the logic is never frozen into the state");
    });
  }

  it("is the same text for two builds whose provider logic differs", async () => {
    const built = path.resolve(__dirname, "../../sdk/shim.js");
    const texts: string[] = [];
    for (const logic of ["first", "second"]) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `shim-${logic}-`));
      try {
        fs.mkdirSync(path.join(root, "sdk"));
        fs.mkdirSync(path.join(root, "provider"));
        fs.copyFileSync(built, path.join(root, "sdk", "shim.js"));
        fs.writeFileSync(path.join(root, "provider", "index.js"), `exports.lakebaseConnection = { version: ${JSON.stringify(logic)} };\n`);
        const shim = require(path.join(root, "sdk", "shim.js")) as typeof import("../../sdk/shim");
        const { text } = await serialise(shim.lakebaseConnectionProvider);
        assert.ok(!text.includes(root));
        texts.push(text);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
    assert.equal(texts[0], texts[1]);
  });

  it("installs the provider's methods when the host configures it, before any other call", async () => {
    const { text } = await serialise(lakebaseConnectionProvider);
    const module = { exports: {} as { handler: () => Record<string, unknown> } };
    new Function("module", "exports", "require", text)(module, module.exports, require);
    const shim = module.exports.handler() as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const placeholders = shim.check;
    const configured = shim.configure({ config: { get: () => undefined } });
    assert.notEqual(shim.check, placeholders, "configure() replaced the placeholders");
    assert.deepEqual(Object.keys(shim).sort(), ["check", "configure", "create", "delete", "diff", "read", "update"]);
    await configured;
    const checked = (await shim.check({}, { displayName: "x" })) as { failures: { property: string }[] };
    assert.ok(checked.failures.some((f) => f.property === "hostname"), "check() ran the installed provider logic");
  });

  it("regression: a method called before configure() fails naming the fix, where it used to be a TypeError (check is not a function)", async () => {
    const { text } = await serialise(externalUserMappingProvider);
    const module = { exports: {} as { handler: () => Record<string, (...args: unknown[]) => unknown> } };
    new Function("module", "exports", "require", text)(module, module.exports, require);
    const shim = module.exports.handler();
    assert.deepEqual(Object.keys(shim).sort(), ["check", "configure", "create", "delete", "diff", "read", "update"]);
    for (const method of ["check", "diff", "create", "read", "update", "delete"]) {
      assert.throws(() => shim[method]?.({}, {}), /the externalUserMapping provider was called before configure\(\).*call `await provider\.configure/, method);
    }
  });
});
