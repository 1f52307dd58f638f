/**
 * Spawns the real dynamic-provider host shipped in @pulumi/pulumi and drives it over gRPC the way the Pulumi
 * engine does, so plugin tests run the exact code path of `pulumi up` without the CLI. The engine behaviour
 * it repeats is listed in ./engine.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as GrpcModule from "@grpc/grpc-js";
import type * as StructModule from "google-protobuf/google/protobuf/struct_pb";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import * as statusPb from "@pulumi/pulumi/proto/status_pb";
import {
  configureArgs,
  configureVariables,
  defaultProviderId,
  defaultProviderType,
  diffChanges,
  formatUrn,
  parseUrn,
  stripSecrets,
  type ConfigValue,
  type DiffChanges,
  type PropertyMap,
} from "./engine";

export { secret, unknown, type ConfigValue, type PropertyMap } from "./engine";

export interface CheckOutcome {
  inputs: PropertyMap;
  failures: { property: string; reason: string }[];
}
export interface DiffOutcome {
  changes: DiffChanges;
  replaces: string[];
  deleteBeforeReplace: boolean;
}
export interface CreateOutcome {
  id: string;
  properties: PropertyMap;
}
export interface ReadOutcome {
  id: string;
  properties: PropertyMap;
  inputs: PropertyMap | undefined;
}
export interface InitFailure {
  id: string;
  properties: PropertyMap;
  reasons: string[];
}

export interface PluginHost {
  readonly project: string;
  readonly stack: string;
  /** The host's process id, so a test can prove close() left nothing behind. */
  readonly pid: number;
  urn(type: string, name: string): string;
  configure(config: Record<string, string | ConfigValue>): Promise<{ acceptSecrets: boolean }>;
  /** `oldOutputs`: what the engine sends beside the old inputs (`olds`) on an update; {} on create. */
  check(urn: string, olds: PropertyMap, news: PropertyMap, oldOutputs?: PropertyMap): Promise<CheckOutcome>;
  diff(urn: string, id: string, oldOutputs: PropertyMap, news: PropertyMap, oldInputs?: PropertyMap): Promise<DiffOutcome>;
  create(urn: string, inputs: PropertyMap): Promise<CreateOutcome>;
  read(urn: string, id: string, properties: PropertyMap, inputs?: PropertyMap): Promise<ReadOutcome>;
  update(urn: string, id: string, oldOutputs: PropertyMap, news: PropertyMap, oldInputs?: PropertyMap): Promise<{ properties: PropertyMap }>;
  delete(urn: string, id: string, properties: PropertyMap, oldInputs?: PropertyMap): Promise<void>;
  /** Everything the host printed so far: stdout after the port line, and stderr. */
  output(): string;
  /**
   * Everything the host printed, once it matches `pattern`: a line printed before an RPC answered may
   * come through its pipe after the answer. Fails after `timeoutMs` with what was printed.
   */
  printed(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Closes the client, stops the host and waits until it has exited. Safe to call twice. */
  close(): Promise<void>;
}

export interface PluginHostOptions {
  /** The program folder: the host resolves `require`s in `__provider` from here, as under the CLI. */
  cwd: string;
  project?: string;
  stack?: string;
  env?: NodeJS.ProcessEnv;
  /** Deadline of each RPC (default 60 s). */
  rpcTimeoutMs?: number;
  /**
   * Deadline for the host to start and print its port (default 30 s): apart from the RPC deadline,
   * because a test that shortens that one must not race the host's start-up (about 1 s here).
   */
  startTimeoutMs?: number;
}

// The message classes, Struct and grpc-js must be the very instances @pulumi/pulumi's generated code uses.
const pulumiRoot = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
function requireFromPulumi<T>(module: string): T {
  return require(require.resolve(module, { paths: [pulumiRoot] })) as T;
}
const grpc = requireFromPulumi<typeof GrpcModule>("@grpc/grpc-js");
const { Struct } = requireFromPulumi<typeof StructModule>("google-protobuf/google/protobuf/struct_pb");

const statusDetailsKey = "grpc-status-details-bin";
const initFailureTypeName = "pulumirpc.ErrorResourceInitFailed";
const closeGraceMs = 3000;

export class PluginRpcError extends Error {
  readonly code: number;
  readonly details: string;
  readonly initFailure?: InitFailure;

  constructor(rpc: string, error: GrpcModule.ServiceError) {
    const status = grpc.status[error.code] ?? "UNKNOWN_STATUS";
    const hint =
      error.code === grpc.status.DEADLINE_EXCEEDED
        ? "; the host never answered (a host bug or a provider promise that never settles): see host.output()"
        : "";
    super(`${rpc} failed with gRPC ${status} (${error.code}): ${error.details}${hint}`);
    this.name = "PluginRpcError";
    this.code = error.code;
    this.details = error.details;
    this.initFailure = initFailureFrom(error.metadata);
  }
}

/** The host packs ErrorResourceInitFailed (a create/update error carrying `id`) into a google.rpc.Status trailer. */
function initFailureFrom(metadata: GrpcModule.Metadata | undefined): InitFailure | undefined {
  const [encoded] = metadata?.get(statusDetailsKey) ?? [];
  if (!Buffer.isBuffer(encoded)) {
    return undefined;
  }
  for (const detail of statusPb.Status.deserializeBinary(encoded).getDetailsList()) {
    const failure = detail.unpack(providerPb.ErrorResourceInitFailed.deserializeBinary, initFailureTypeName);
    if (failure) {
      return { id: failure.getId(), properties: fromStruct(failure.getProperties()) ?? {}, reasons: failure.getReasonsList() };
    }
  }
  return undefined;
}

function toStruct(rpc: string, field: string, properties: PropertyMap): StructModule.Struct {
  try {
    return Struct.fromJavaScript(properties as Record<string, StructModule.JavaScriptValue>);
  } catch (error) {
    throw new Error(`${rpc}: cannot encode ${field} as a protobuf Struct (${(error as Error).message}); property maps must hold JSON values only (no undefined, Date, BigInt or Buffer)`);
  }
}

function fromStruct(struct: StructModule.Struct | undefined): PropertyMap | undefined {
  return struct?.toJavaScript();
}

/** Exactly the `__provider` text pulumi.dynamic.Resource stores for this provider object. */
export async function serializeProvider(provider: object): Promise<string> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  if (serialized.containsSecrets) {
    throw new Error("serializeProvider: the provider captures a secret Output, so Pulumi would store __provider as a secret; read secrets in configure() instead of capturing them");
  }
  return serialized.text;
}

// A test that forgets close() must not leave a host running after mocha exits.
const liveHosts = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of liveHosts) {
    child.kill("SIGKILL");
  }
});

function hostEntryPoint(cwd: string): string {
  try {
    return require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js", { paths: [cwd] });
  } catch {
    throw new Error(`startPluginHost: @pulumi/pulumi is not installed under ${cwd}; the host runs from the program folder, so pass a cwd with node_modules/@pulumi/pulumi`);
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Waits for the first stdout line (the port) and keeps every later byte of stdout and stderr in `output`. */
function readPort(child: ChildProcess, timeoutMs: number, output: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    let pending = "";
    let stderr = "";
    let settled = false;
    const settle = (error: Error | undefined, port?: number) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (error) {
        reject(error);
      } else {
        resolve(port as number);
      }
    };
    const timer = setTimeout(
      () => settle(new Error(`startPluginHost: the host printed no port within ${timeoutMs} ms; stderr so far:\n${stderr}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      if (settled) {
        output.push(chunk.toString());
        return;
      }
      pending += chunk.toString();
      const newline = pending.indexOf("\n");
      if (newline < 0) {
        return;
      }
      const line = pending.slice(0, newline).trim();
      output.push(pending.slice(newline + 1));
      const port = Number(line);
      if (/^\d+$/.test(line) && port > 0) {
        settle(undefined, port);
      } else {
        settle(new Error(`startPluginHost: expected the host's port as its first stdout line, got "${line}"; stderr so far:\n${stderr}`));
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      output.push(chunk.toString());
    });
    child.once("error", (error) => settle(new Error(`startPluginHost: cannot start ${process.execPath}: ${error.message}`)));
    child.once("exit", (code, signal) =>
      settle(new Error(`startPluginHost: the host exited (${signal ?? `code ${code}`}) before printing its port; stderr:\n${stderr}`)),
    );
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (exited(child)) {
    liveHosts.delete(child);
    return;
  }
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const escalation = setTimeout(() => child.kill("SIGKILL"), closeGraceMs);
  await exit;
  clearTimeout(escalation);
  liveHosts.delete(child);
}

interface TargetedRequest {
  setUrn(value: string): unknown;
  setName(value: string): unknown;
  setType(value: string): unknown;
}

/** The engine names the resource in every request, not only in the URN. */
function target<R extends TargetedRequest>(request: R, urn: string): R {
  const { type, name } = parseUrn(urn);
  request.setUrn(urn);
  request.setName(name);
  request.setType(type);
  return request;
}

/** Rule 1 of ./engine.ts: what the engine sends to a plugin that answered acceptSecrets=false. */
const send = (rpc: string, field: string, properties: PropertyMap) => toStruct(rpc, field, stripSecrets(properties));

/**
 * The requests the engine sends a dynamic-provider host, field for field as recorded from the real
 * CLI (tests/fixtures/grpc/lifecycle.json; tests/plugin/engineTraffic.test.ts holds us to it). Not
 * sent: resourceStatusAddress/Token, an engine service the dynamic host never calls.
 */
export const engineRequests = {
  configure(stack: string, project: string, config: Record<string, string | ConfigValue>): providerPb.ConfigureRequest {
    const request = new providerPb.ConfigureRequest()
      .setArgs(toStruct("Configure", "args", configureArgs(config)))
      .setAcceptsecrets(true)
      .setAcceptresources(true)
      .setSendsOldInputs(true)
      .setSendsOldInputsToDelete(true)
      .setId(defaultProviderId)
      .setUrn(formatUrn(stack, project, defaultProviderType, "default"))
      .setName("default")
      .setType(defaultProviderType);
    const variables = request.getVariablesMap();
    for (const [key, value] of Object.entries(configureVariables(config))) variables.set(key, value);
    return request;
  },

  check(urn: string, olds: PropertyMap, news: PropertyMap, oldOutputs: PropertyMap = {}): providerPb.CheckRequest {
    return target(new providerPb.CheckRequest(), urn)
      .setOlds(send("Check", "olds", olds))
      .setNews(send("Check", "news", news))
      .setOldOutputs(send("Check", "old_outputs", oldOutputs))
      .setRandomseed(crypto.randomBytes(32));
  },

  diff(urn: string, id: string, oldOutputs: PropertyMap, news: PropertyMap, oldInputs?: PropertyMap): providerPb.DiffRequest {
    const request = target(new providerPb.DiffRequest(), urn).setId(id).setOlds(send("Diff", "olds", oldOutputs)).setNews(send("Diff", "news", news));
    return oldInputs ? request.setOldInputs(send("Diff", "old_inputs", oldInputs)) : request;
  },

  create(urn: string, inputs: PropertyMap): providerPb.CreateRequest {
    return target(new providerPb.CreateRequest(), urn).setProperties(send("Create", "properties", inputs));
  },

  read(urn: string, id: string, properties: PropertyMap, inputs?: PropertyMap): providerPb.ReadRequest {
    const request = target(new providerPb.ReadRequest(), urn).setId(id).setProperties(send("Read", "properties", properties));
    return inputs ? request.setInputs(send("Read", "inputs", inputs)) : request;
  },

  update(urn: string, id: string, oldOutputs: PropertyMap, news: PropertyMap, oldInputs?: PropertyMap): providerPb.UpdateRequest {
    const request = target(new providerPb.UpdateRequest(), urn).setId(id).setOlds(send("Update", "olds", oldOutputs)).setNews(send("Update", "news", news));
    return oldInputs ? request.setOldInputs(send("Update", "old_inputs", oldInputs)) : request;
  },

  delete(urn: string, id: string, properties: PropertyMap, oldInputs?: PropertyMap): providerPb.DeleteRequest {
    const request = target(new providerPb.DeleteRequest(), urn).setId(id).setProperties(send("Delete", "properties", properties));
    return oldInputs ? request.setOldInputs(send("Delete", "old_inputs", oldInputs)) : request;
  },
};

type UnaryInvoker<Response> = (
  metadata: GrpcModule.Metadata,
  options: Partial<GrpcModule.CallOptions>,
  callback: (error: GrpcModule.ServiceError | null, response: Response) => void,
) => unknown;

export async function startPluginHost(options: PluginHostOptions): Promise<PluginHost> {
  const project = options.project ?? "plugin-test";
  const stack = options.stack ?? "test";
  const rpcTimeoutMs = options.rpcTimeoutMs ?? 60_000;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const child = spawn(process.execPath, [hostEntryPoint(options.cwd), "127.0.0.1:0"], {
    cwd: options.cwd,
    env: {
      ...process.env,
      PULUMI_NODEJS_PROJECT: project,
      PULUMI_PROJECT: project,
      PULUMI_NODEJS_STACK: stack,
      PULUMI_STACK: stack,
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  liveHosts.add(child);
  const output: string[] = [];
  let port: number;
  try {
    port = await readPort(child, startTimeoutMs, output);
  } catch (error) {
    await stop(child);
    throw error;
  }
  const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

  function unary<Response>(rpc: string, invoke: UnaryInvoker<Response>): Promise<Response> {
    return new Promise((resolve, reject) => {
      invoke(new grpc.Metadata(), { deadline: Date.now() + rpcTimeoutMs }, (error, response) =>
        error ? reject(new PluginRpcError(rpc, error)) : resolve(response),
      );
    });
  }

  return {
    project,
    stack,
    pid: child.pid as number,

    urn: (type, name) => formatUrn(stack, project, type, name),

    async configure(config) {
      const response = await unary<providerPb.ConfigureResponse>("Configure", (m, o, cb) => client.configure(engineRequests.configure(stack, project, config), m, o, cb));
      return { acceptSecrets: response.getAcceptsecrets() };
    },

    async check(urn, olds, news, oldOutputs) {
      const response = await unary<providerPb.CheckResponse>("Check", (m, o, cb) => client.check(engineRequests.check(urn, olds, news, oldOutputs), m, o, cb));
      return {
        inputs: fromStruct(response.getInputs()) ?? {},
        failures: response.getFailuresList().map((failure) => ({ property: failure.getProperty(), reason: failure.getReason() })),
      };
    },

    async diff(urn, id, oldOutputs, news, oldInputs) {
      const response = await unary<providerPb.DiffResponse>("Diff", (m, o, cb) => client.diff(engineRequests.diff(urn, id, oldOutputs, news, oldInputs), m, o, cb));
      return {
        changes: diffChanges(response.getChanges()),
        replaces: response.getReplacesList(),
        deleteBeforeReplace: response.getDeletebeforereplace(),
      };
    },

    async create(urn, inputs) {
      const response = await unary<providerPb.CreateResponse>("Create", (m, o, cb) => client.create(engineRequests.create(urn, inputs), m, o, cb));
      return { id: response.getId(), properties: fromStruct(response.getProperties()) ?? {} };
    },

    async read(urn, id, properties, inputs) {
      const response = await unary<providerPb.ReadResponse>("Read", (m, o, cb) => client.read(engineRequests.read(urn, id, properties, inputs), m, o, cb));
      return {
        id: response.getId(),
        properties: fromStruct(response.getProperties()) ?? {},
        inputs: fromStruct(response.getInputs()),
      };
    },

    async update(urn, id, oldOutputs, news, oldInputs) {
      const response = await unary<providerPb.UpdateResponse>("Update", (m, o, cb) => client.update(engineRequests.update(urn, id, oldOutputs, news, oldInputs), m, o, cb));
      return { properties: fromStruct(response.getProperties()) ?? {} };
    },

    async delete(urn, id, properties, oldInputs) {
      await unary("Delete", (m, o, cb) => client.delete(engineRequests.delete(urn, id, properties, oldInputs), m, o, cb));
    },

    output: () => output.join(""),

    printed(pattern, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const streams = [child.stdout, child.stderr];
        const done = (error?: Error) => {
          clearTimeout(timer);
          for (const stream of streams) stream?.off("data", check);
          if (error) reject(error);
          else resolve(output.join(""));
        };
        // Registered after readPort's listeners, so a chunk is in `output` by the time this runs.
        const check = () => pattern.test(output.join("")) && done();
        const timer = setTimeout(() => done(new Error(`the host printed nothing matching ${pattern} within ${timeoutMs} ms; it printed:\n${output.join("")}`)), timeoutMs);
        for (const stream of streams) stream?.on("data", check);
        check();
      });
    },

    async close() {
      client.close();
      await stop(child);
    },
  };
}
