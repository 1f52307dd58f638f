import * as assert from "node:assert/strict";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import {
  PluginRpcError,
  secret,
  serializeProvider,
  startPluginHost,
  unknown,
  type PluginHost,
  type PropertyMap,
} from "../support/pluginHost";

// The host resolves requires from the program folder; here that is the repository root (dist/tests/plugin/../../..).
const projectRoot = path.resolve(__dirname, "../../..");
const thingType = "pulumi-nodejs:dynamic:Thing";

interface Settings {
  url: string;
  apiKey: string;
  greeting: string;
}
interface Thing {
  name: string;
  size: number;
  /** Absent from the inputs that read() reports: configuration is not an input. */
  configured?: Settings;
}
interface ThingStore {
  things: Record<string, Thing>;
  nextId: number;
  /** Creates waiting for `rendezvous` peers: they only proceed once that many are in flight at once. */
  arrivals: (() => void)[];
}
interface ThingInputs {
  name: string;
  size?: number;
  rendezvous?: number;
  failure?: "before-create" | "not-ready";
}
interface ThingProvider extends pulumi.dynamic.ResourceProvider<ThingInputs, Thing> {
  settings?: Settings;
  store(): ThingStore;
}

// Serialised into __provider and run inside the host process, so it may use only its arguments, `this` and
// globals: the in-memory "service" lives on the host's globalThis.
const thingProvider: ThingProvider = {
  store() {
    const host = globalThis as { thingStore?: ThingStore };
    return (host.thingStore ??= { things: {}, nextId: 1, arrivals: [] });
  },
  configure(request) {
    this.settings = {
      url: request.config.require("immuta:url"),
      apiKey: request.config.require("immuta:apiKey"),
      greeting: request.config.require("greeting"),
    };
    return Promise.resolve();
  },
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (typeof news.name !== "string" || news.name.length === 0) {
      failures.push({ property: "name", reason: "name must be a non-empty string" });
    }
    const size = news.size ?? 1;
    const sizeIsUnknown = (size as unknown) === "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    if (!sizeIsUnknown && !(Number.isInteger(size) && size > 0)) {
      failures.push({ property: "size", reason: "size must be a positive integer" });
    }
    return { inputs: { ...news, size }, failures };
  },
  async diff(_id, olds, news) {
    if (typeof news.size !== "number") {
      return {};
    }
    const replaces = olds.name === news.name ? [] : ["name"];
    return { changes: replaces.length > 0 || olds.size !== news.size, replaces, deleteBeforeReplace: replaces.length > 0 };
  },
  async create(inputs) {
    const store = this.store();
    if (inputs.failure === "before-create") {
      throw new Error(`thing service rejected "${inputs.name}"`);
    }
    if (inputs.failure === "not-ready") {
      throw Object.assign(new Error(`thing "${inputs.name}" was created but never became ready`), {
        id: `half-${inputs.name}`,
        properties: { name: inputs.name, ready: false },
        reasons: ["readiness probe failed"],
      });
    }
    const peers = inputs.rendezvous;
    if (peers !== undefined) {
      await new Promise<void>((resolve) => {
        store.arrivals.push(resolve);
        if (store.arrivals.length === peers) {
          store.arrivals.splice(0).forEach((release) => release());
        }
      });
    }
    const id = `thing-${store.nextId++}`;
    const thing = { name: inputs.name, size: inputs.size as number, configured: this.settings };
    store.things[id] = thing;
    return { id, outs: thing };
  },
  async read(id) {
    const thing = this.store().things[id];
    return thing ? { id, props: thing, inputs: { name: thing.name, size: thing.size } } : {};
  },
  async update(id, _olds, news) {
    const store = this.store();
    store.things[id] = { ...store.things[id], name: news.name, size: news.size as number };
    return { outs: store.things[id] };
  },
  async delete(id) {
    const store = this.store();
    if (!store.things[id]) {
      throw new Error(`thing ${id} does not exist`);
    }
    delete store.things[id];
  },
};

const config = { "immuta:url": "http://127.0.0.1:9", "immuta:apiKey": { secret: "k3y" }, "plugin-test:greeting": "hello" };

describe("pluginHost: the real dynamic-provider host driven over gRPC", function () {
  let host: PluginHost;
  let providerText: string;
  let acceptSecrets: boolean;
  const urn = (name: string) => host.urn(thingType, name);
  const withProvider = (properties: PropertyMap): PropertyMap => ({ ...properties, __provider: providerText });

  before(async function () {
    providerText = await serializeProvider(thingProvider);
    host = await startPluginHost({ cwd: projectRoot, rpcTimeoutMs: 15_000 });
    ({ acceptSecrets } = await host.configure(config));
  });

  after(async function () {
    await host?.close();
  });

  async function createThing(name: string, size: number): Promise<{ id: string; inputs: PropertyMap; outputs: PropertyMap }> {
    const { inputs } = await host.check(urn(name), {}, withProvider({ name, size }));
    const { id, properties } = await host.create(urn(name), inputs);
    return { id, inputs, outputs: properties };
  }

  it("builds engine-shaped URNs", function () {
    assert.equal(host.urn(thingType, "a"), `urn:pulumi:test::plugin-test::${thingType}::a`);
  });

  it("configures like the engine: namespaced keys reach configure(), secrets unwrapped, acceptSecrets false", async function () {
    assert.equal(acceptSecrets, false);
    const { outputs } = await createThing("configured", 1);
    assert.deepEqual(outputs.configured, { url: "http://127.0.0.1:9", apiKey: "k3y", greeting: "hello" });
  });

  it("decodes Check inputs and failures", async function () {
    const ok = await host.check(urn("c"), {}, withProvider({ name: "c" }));
    assert.deepEqual(ok, { inputs: withProvider({ name: "c", size: 1 }), failures: [] });

    const bad = await host.check(urn("c"), {}, withProvider({ name: "", size: -2 }));
    assert.deepEqual(bad.failures, [
      { property: "name", reason: "name must be a non-empty string" },
      { property: "size", reason: "size must be a positive integer" },
    ]);
  });

  it("passes preview's unknown sentinel to check() as the string", async function () {
    const { inputs, failures } = await host.check(urn("u"), {}, withProvider({ name: unknown, size: unknown }));
    assert.equal(unknown, "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    assert.deepEqual(failures, []);
    assert.deepEqual(inputs, withProvider({ name: unknown, size: unknown }));
  });

  it("strips secret envelopes, however deep, before they reach the provider", async function () {
    const news = withProvider({ name: secret("hidden"), size: secret(2), tags: { owner: secret("ops"), list: [secret(1), 2] } });
    const { inputs, failures } = await host.check(urn("s"), {}, news);
    assert.deepEqual(failures, []);
    assert.deepEqual(inputs, withProvider({ name: "hidden", size: 2, tags: { owner: "ops", list: [1, 2] } }));

    const { properties } = await host.create(urn("s"), news);
    assert.equal(properties.name, "hidden");
    assert.equal(properties.size, 2);
  });

  it("decodes Diff changes, replaces and deleteBeforeReplace", async function () {
    const { id, inputs, outputs } = await createThing("d", 1);
    assert.deepEqual(await host.diff(urn("d"), id, outputs, inputs, inputs), { changes: "none", replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await host.diff(urn("d"), id, outputs, { ...inputs, size: 5 }, inputs), {
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(await host.diff(urn("d"), id, outputs, { ...inputs, name: "d2" }, inputs), {
      changes: "some",
      replaces: ["name"],
      deleteBeforeReplace: true,
    });
    assert.deepEqual(await host.diff(urn("d"), id, outputs, { ...inputs, size: unknown }), {
      changes: "unknown",
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("round-trips create, read, update, delete; Read of a gone resource decodes as id \"\"", async function () {
    const { id, inputs, outputs } = await createThing("r", 3);
    assert.match(id, /^thing-\d+$/);
    assert.equal(outputs.__provider, providerText);
    assert.equal(outputs.size, 3);

    const read = await host.read(urn("r"), id, outputs, inputs);
    assert.deepEqual(read, { id, properties: outputs, inputs: withProvider({ name: "r", size: 3 }) });

    const updated = await host.update(urn("r"), id, outputs, { ...inputs, size: 4 }, inputs);
    assert.equal(updated.properties.size, 4);
    assert.equal(updated.properties.__provider, providerText);
    assert.equal((await host.read(urn("r"), id, updated.properties)).properties.size, 4);

    await host.delete(urn("r"), id, updated.properties);
    assert.deepEqual(await host.read(urn("r"), id, updated.properties), {
      id: "",
      properties: withProvider({}),
      inputs: undefined,
    });
  });

  it("decodes a create error carrying an id into initFailure, and one without an id into a plain error", async function () {
    const broken = await host.create(urn("x"), withProvider({ name: "x", size: 1, failure: "not-ready" })).then(
      () => assert.fail("create should have failed"),
      (error: unknown) => error,
    );
    assert.ok(broken instanceof PluginRpcError);
    assert.equal(broken.code, 2);
    assert.equal(broken.details, 'thing "x" was created but never became ready');
    assert.deepEqual(broken.initFailure, { id: "half-x", properties: { name: "x", ready: false }, reasons: ["readiness probe failed"] });

    await assert.rejects(host.create(urn("y"), withProvider({ name: "y", size: 1, failure: "before-create" })), (error: unknown) => {
      assert.ok(error instanceof PluginRpcError);
      assert.equal(error.code, 2);
      assert.equal(error.details, 'thing service rejected "y"');
      assert.equal(error.initFailure, undefined);
      return true;
    });
  });

  it("serves five concurrent creates through one host", async function () {
    const names = ["p1", "p2", "p3", "p4", "p5"];
    const created = await Promise.all(names.map((name) => host.create(urn(name), withProvider({ name, size: 1, rendezvous: 5 }))));
    assert.deepEqual(created.map((c) => c.properties.name), names);
    assert.equal(new Set(created.map((c) => c.id)).size, 5);
  });

  it("decodes a Delete error and keeps what the host printed in output()", async function () {
    await assert.rejects(host.delete(urn("gone"), "thing-0", withProvider({ name: "gone", size: 1 })), {
      name: "PluginRpcError",
      code: 2,
      details: "thing thing-0 does not exist",
    });
    assert.match(host.output(), /Error: thing thing-0 does not exist: Error: thing thing-0 does not exist\n\s+at /);
  });
});

describe("pluginHost: lifecycle", function () {
  it("rejects with the host's stderr when it exits before printing its port", async function () {
    await assert.rejects(
      startPluginHost({ cwd: projectRoot, env: { NODE_OPTIONS: "--require ./no-such-preload.js" } }),
      /exited \(code 1\) before printing its port; stderr:[\s\S]*no-such-preload/,
    );
  });

  it("regression: a short RPC deadline no longer races the host's start-up (it failed 1 run in 2)", async function () {
    // A host that needs longer to start than the RPC deadline under test still starts.
    const host = await startPluginHost({ cwd: projectRoot, rpcTimeoutMs: 1, env: { NODE_OPTIONS: "--require ./tests/fixtures/slowStart.js" } });
    await host.close();
  });

  it("fails a call the host never answers at its deadline, and close() leaves no process", async function () {
    const providerText = await serializeProvider(thingProvider);
    const host = await startPluginHost({ cwd: projectRoot, rpcTimeoutMs: 1000 });
    try {
      await host.configure(config);
      await assert.rejects(host.create(host.urn(thingType, "lonely"), { name: "lonely", size: 1, rendezvous: 2, __provider: providerText }), {
        name: "PluginRpcError",
        code: 4,
      });
    } finally {
      await host.close();
    }
    await host.close();
    assert.throws(() => process.kill(host.pid, 0), { code: "ESRCH" });
  });
});
