import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { getMonitor } from "@pulumi/pulumi/runtime/settings";
import { MISSING_IMMUTA_URL, QUICKSTART_PROJECT as PROJECT } from "../../automation/quickstart/settings";
import { RESOURCE_NAME_INPUT } from "../../provider/resources/resourceName";
import { EXTERNAL_USER_MAPPING_TYPE as MAPPING_TYPE, LAKEBASE_CONNECTION_TYPE as CONNECTION_TYPE } from "../../sdk";

// The entry point the root Pulumi.yaml runs; it runs the program that the demo and the e2e tests run inline.
const PROGRAM_DIR = path.resolve(__dirname, "../../examples/quickstart");

const FAKE_API_KEY = "imk_fake_quickstart_api_key_0123456789";
const FAKE_CLIENT_SECRET = "dose_fake_quickstart_client_secret_9876543210";

/** Plain fake stack config: enough for the program, no emulator behind it. */
function fakeConfig(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const config: Record<string, string | undefined> = {
    "immuta:url": "https://tenant.immuta.example",
    "immuta:apiKey": FAKE_API_KEY,
    [`${PROJECT}:lakebaseHostname`]: "instance-1234abcd.database.cloud.databricks.example",
    [`${PROJECT}:workspaceUrl`]: "https://dbc-1234abcd-5678.cloud.databricks.example",
    [`${PROJECT}:clientId`]: "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f",
    [`${PROJECT}:clientSecret`]: FAKE_CLIENT_SECRET,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(config).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const SECRET_KEYS = ["immuta:apiKey", `${PROJECT}:clientSecret`];

interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** From the registration request itself: the mock's newResource is not given the resource options. */
  readonly additionalSecretOutputs: readonly string[];
  readonly dependencies: readonly string[];
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
}

interface QuickstartRun {
  readonly registrations: Registration[];
  readonly outputs: Promise<Record<string, unknown>>;
}

/** What the mock provider answers: the inputs, plus the outputs the real provider computes. */
function mockOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  if (args.type === CONNECTION_TYPE) return { ...inputs, connectionKey: inputs.displayName, state: "active", objectCount: 7 };
  if (args.type === MAPPING_TYPE) {
    const effectiveUsername = inputs.mode === "username" ? inputs.postgresUsername : inputs.mode === "unset" ? inputs.userId : null;
    return { ...inputs, iamId: inputs.iamId ?? "bim", effectiveUsername };
  }
  return inputs;
}

/**
 * Runs the compiled quickstart under mocks, as the Pulumi language host would: fresh mocks and
 * config first, then the program module loaded anew inside a stack.
 */
async function runQuickstart(config: Record<string, string>): Promise<QuickstartRun> {
  const inputsByUrnName = new Map<string, { type: string; inputs: Record<string, unknown> }>();
  const requests: RegisterRequest[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        inputsByUrnName.set(`${args.type}::${args.name}`, { type: args.type, inputs: args.inputs as Record<string, unknown> });
        return { id: args.type === MAPPING_TYPE ? `bim/${String(args.inputs.userId)}` : `${args.name}-id`, state: mockOutputs(args) };
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    "test",
  );
  const monitor = getMonitor() as unknown as { registerResource(request: RegisterRequest, callback: unknown): unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    requests.push(request);
    return register(request, callback);
  };
  pulumi.runtime.setAllConfig(config, SECRET_KEYS);
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(PROGRAM_DIR + path.sep)) delete require.cache[file];
  }
  const outputs = pulumi.runtime.runInPulumiStack(async () => require(PROGRAM_DIR) as Record<string, unknown>);
  const registrations = async (): Promise<Registration[]> => {
    await outputs.catch(() => undefined);
    await pulumi.runtime.disconnect();
    return requests
      .filter((request) => request.getType() !== "pulumi:pulumi:Stack")
      .map((request) => {
        const registered = inputsByUrnName.get(`${request.getType()}::${request.getName()}`);
        assert.ok(registered, `the mock saw no resource ${request.getName()}`);
        return {
          type: request.getType(),
          name: request.getName(),
          inputs: registered.inputs,
          additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
          dependencies: request.getDependenciesList(),
        };
      });
  };
  return { registrations: await registrations(), outputs: outputs as Promise<Record<string, unknown>> };
}

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

function byName(registrations: readonly Registration[], name: string): Registration {
  const found = registrations.find((registration) => registration.name === name);
  assert.ok(found, `no resource named ${name} among ${registrations.map((r) => r.name).join(", ")}`);
  return found;
}

/** The arguments a resource declares: without the provider text and the name the provider's check() reads. */
function declaredInputs(registration: Registration): Record<string, unknown> {
  const { __provider: _provider, [RESOURCE_NAME_INPUT]: _name, ...inputs } = registration.inputs;
  return inputs;
}

describe("the quickstart program under setMocks", () => {
  const saved = process.env.IMMUTA_URL;
  beforeEach(() => delete process.env.IMMUTA_URL);
  after(() => {
    if (saved === undefined) delete process.env.IMMUTA_URL;
    else process.env.IMMUTA_URL = saved;
  });

  describe("with the default settings", () => {
    let run: QuickstartRun;
    before(async () => {
      run = await runQuickstart(fakeConfig());
    });

    it("declares one LakebaseConnection and three ExternalUserMappings with their type tokens", () => {
      const summary = run.registrations.map(({ type, name }) => `${type} ${name}`).sort();
      assert.deepEqual(summary, [`${MAPPING_TYPE} none-mapping`, `${MAPPING_TYPE} unset-mapping`, `${MAPPING_TYPE} username-mapping`, `${CONNECTION_TYPE} lakebase`]);
    });

    it("passes the connection settings from config, with the default connection name", () => {
      const { clientSecret, ...plain } = declaredInputs(byName(run.registrations, "lakebase"));
      assert.deepEqual(plain, {
        displayName: "lakebase_quickstart",
        hostname: "instance-1234abcd.database.cloud.databricks.example",
        workspaceUrl: "https://dbc-1234abcd-5678.cloud.databricks.example",
        clientId: "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f",
      });
      assert.ok(isSecretEnvelope(clientSecret), "clientSecret reaches the engine as a secret");
      assert.equal(clientSecret.value, FAKE_CLIENT_SECRET);
    });

    it("tells each resource's provider its Pulumi name, as check() gets no URN from the host", () => {
      assert.deepEqual(
        run.registrations.map((registration) => [registration.name, registration.inputs[RESOURCE_NAME_INPUT]]),
        run.registrations.map((registration) => [registration.name, registration.name]),
      );
    });

    it("asks the engine to keep clientSecret secret in the outputs", () => {
      assert.ok(byName(run.registrations, "lakebase").additionalSecretOutputs.includes("clientSecret"));
    });

    it("maps the emulator's seeded users, one per mode", () => {
      assert.deepEqual(declaredInputs(byName(run.registrations, "username-mapping")), {
        userId: "bob@example.com",
        iamId: "bim",
        mode: "username",
        postgresUsername: "bob",
      });
      assert.deepEqual(declaredInputs(byName(run.registrations, "unset-mapping")), { userId: "alice@example.com", iamId: "bim", mode: "unset" });
      assert.deepEqual(declaredInputs(byName(run.registrations, "none-mapping")), { userId: "carol@example.com", iamId: "bim", mode: "none" });
    });

    it("applies the mappings after the connection", () => {
      const connectionUrn = `urn:pulumi:test::${PROJECT}::pulumi:pulumi:Stack$${CONNECTION_TYPE}::lakebase`;
      for (const name of ["username-mapping", "unset-mapping", "none-mapping"]) {
        assert.deepEqual(byName(run.registrations, name).dependencies, [connectionUrn], name);
      }
    });

    it("stores a small, plain-text __provider without any credential in every resource", () => {
      for (const registration of run.registrations) {
        const provider = registration.inputs.__provider;
        assert.equal(typeof provider, "string", `${registration.name}: __provider must not be a secret (it would mean a captured credential)`);
        const text = provider as string;
        assert.ok(Buffer.byteLength(text) <= 2048, `${registration.name}: ${Buffer.byteLength(text)} bytes`);
        for (const credential of [FAKE_API_KEY, FAKE_CLIENT_SECRET]) assert.ok(!text.includes(credential), `${registration.name}: __provider holds a credential`);
      }
    });

    it("exports the connection key, its state, the crawl's object count and each mapping's effective username", async () => {
      assert.deepEqual(await run.outputs, {
        connectionKey: "lakebase_quickstart",
        state: "active",
        objectCount: 7,
        effectiveUsernames: { username: "bob", unset: "alice@example.com", none: null },
      });
    });
  });

  it("uses the optional settings when they are set", async () => {
    const { registrations } = await runQuickstart(
      fakeConfig({
        [`${PROJECT}:connectionName`]: "finance_lakebase",
        [`${PROJECT}:lakebasePort`]: "6543",
        [`${PROJECT}:lakebaseDatabase`]: "finance",
        [`${PROJECT}:iamId`]: "okta",
        [`${PROJECT}:usernameUser`]: "oscar@corp.example.com",
        [`${PROJECT}:postgresUsername`]: "oscar",
        [`${PROJECT}:unsetUser`]: "erin@example.com",
        [`${PROJECT}:noneUser`]: "dave@example.com",
      }),
    );
    const connection = declaredInputs(byName(registrations, "lakebase"));
    assert.equal(connection.displayName, "finance_lakebase");
    assert.equal(connection.port, 6543);
    assert.equal(connection.database, "finance");
    assert.deepEqual(declaredInputs(byName(registrations, "username-mapping")), { userId: "oscar@corp.example.com", iamId: "okta", mode: "username", postgresUsername: "oscar" });
    assert.deepEqual(declaredInputs(byName(registrations, "unset-mapping")), { userId: "erin@example.com", iamId: "okta", mode: "unset" });
    assert.deepEqual(declaredInputs(byName(registrations, "none-mapping")), { userId: "dave@example.com", iamId: "okta", mode: "none" });
  });

  it("stops before declaring anything when immuta:url is unset, saying how to set it", async () => {
    const run = await runQuickstart(fakeConfig({ "immuta:url": undefined }));
    await assert.rejects(run.outputs, (error: Error) => error.message === MISSING_IMMUTA_URL);
    assert.match(MISSING_IMMUTA_URL, /pulumi config set immuta:url https:\/\/<tenant>\.immuta\.com/);
    assert.deepEqual(run.registrations, []);
  });

  it("accepts IMMUTA_URL from the environment instead of immuta:url, as the provider does", async () => {
    process.env.IMMUTA_URL = "https://tenant.immuta.example";
    const run = await runQuickstart(fakeConfig({ "immuta:url": undefined }));
    assert.equal(run.registrations.length, 4);
    assert.equal((await run.outputs).connectionKey, "lakebase_quickstart");
  });

  it("names a missing required setting and how to set it", async () => {
    const run = await runQuickstart(fakeConfig({ [`${PROJECT}:lakebaseHostname`]: undefined }));
    await assert.rejects(run.outputs, /Missing required configuration variable 'immuta-lakebase-quickstart:lakebaseHostname'[\s\S]*pulumi config set/);
    assert.deepEqual(run.registrations, []);
  });
});
