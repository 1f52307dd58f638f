/**
 * The part of the Pulumi engine that a dynamic-provider test must repeat itself when it drives the host
 * without the CLI. Each rule below is something the engine does before or after a provider RPC; a
 * harness that skipped one would let a provider pass tests that it fails under `pulumi up`
 * (facts: /work/shared/reference/pulumi-dynamic.md §1.3-§1.5, §4b). Each was checked against the gRPC
 * traffic of a real CLI (tests/fixtures/grpc/lifecycle.json, held to it by tests/plugin/engineTraffic.test.ts).
 *
 * 1. The dynamic-provider host answers Configure with acceptSecrets=false, so the engine marshals every
 *    property map it sends to Check/Diff/Create/Read/Update/Delete with secrets stripped: a provider never
 *    sees a secret envelope there ({@link stripSecrets}, recursive).
 * 2. Configure carries the whole stack config twice: in `args` with namespaced keys ("immuta:url") and
 *    secret envelopes, which the host unwraps itself ({@link configureArgs}), and in the legacy `variables`
 *    map as plain strings under "pulumi-nodejs:config:<key>" ({@link configureVariables}). It also names the
 *    default provider (urn, name "default", type, id) and says the engine sends old inputs to Diff, Update
 *    and Delete.
 * 3. `__provider` travels inside every property map because the SDK put it into the resource's inputs and the
 *    host copied it into its outputs. The engine never adds it, so neither does the harness: the caller does.
 *    Check on create receives `olds = {}` and `old_outputs = {}` (empty, not absent); on an update, the old
 *    inputs and the old outputs. Every Check carries a random seed.
 * 4. Diff and Update receive the old OUTPUTS as `olds`; Read and Delete receive them as `properties`.
 *    Old inputs go in `old_inputs` (Diff, Update, Delete) and `inputs` (Read).
 * 5. Preview passes values it cannot know yet as the {@link unknown} sentinel string to Check and Diff.
 * 6. Every RPC has a deadline: some host bugs never call back (e.g. Configure without args).
 * 7. DiffResponse.changes 0/1/2 means unknown/none/some ({@link diffChanges}).
 * 8. A replacement follows the provider's Diff: create the new resource, then delete the old one, unless
 *    Diff set deleteBeforeReplace (the mappings do: two mappings of one user must not coexist).
 *
 * Not repeated, because the dynamic host answers them Unimplemented or ignores them: Handshake,
 * GetPluginInfo, CheckConfig, DiffConfig, Cancel, and the resource-status address on Create/Read/Update/Delete.
 */
import * as pulumi from "@pulumi/pulumi";

export type PropertyMap = Record<string, unknown>;

/** A secret stack config value, as `pulumi config set --secret` stores it. */
export interface ConfigValue {
  secret: string;
}

export type DiffChanges = "unknown" | "none" | "some";

/** What preview sends in place of a value that depends on an unknown output. */
export const unknown: string = pulumi.runtime.unknownValue;

export function secret(value: unknown): PropertyMap {
  return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
}

function isSecretEnvelope(value: object): value is { value?: unknown } {
  return (value as PropertyMap)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

function stripValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(stripValue);
  }
  if (value === null || typeof value !== "object") {
    return value;
  }
  if (isSecretEnvelope(value)) {
    return stripValue(value.value);
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, stripValue(inner)]));
}

/** Rule 1: the property map as the engine sends it to a plugin that does not accept secrets. */
export function stripSecrets(properties: PropertyMap): PropertyMap {
  return stripValue(properties) as PropertyMap;
}

/** Rule 2: the Configure args the engine sends for a stack config. */
export function configureArgs(config: Record<string, string | ConfigValue>): PropertyMap {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : secret(value.secret)]),
  );
}

/** Rule 2: the legacy `variables` map of Configure: every config value in plain text. */
export function configureVariables(config: Record<string, string | ConfigValue>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [`pulumi-nodejs:config:${key}`, typeof value === "string" ? value : value.secret]));
}

/** Rule 2: the provider resource that dynamic resources use, which the engine creates for them. */
export const defaultProviderType = "pulumi:providers:pulumi-nodejs";
/** The engine gives the default provider a UUID when it first creates it; any fixed one stands in. */
export const defaultProviderId = "6a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

const diffChangesByCode: Record<number, DiffChanges> = { 0: "unknown", 1: "none", 2: "some" };

/** Rule 7. */
export function diffChanges(code: number): DiffChanges {
  const changes = diffChangesByCode[code];
  if (changes === undefined) {
    throw new Error(`DiffResponse.changes is ${code}, which is not a DiffChanges value (0, 1 or 2); the host's proto is newer than this harness`);
  }
  return changes;
}

/** The URN the engine gives a resource; the type and name inside it are also sent as separate request fields. */
export function formatUrn(stack: string, project: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) {
    throw new Error(`"${urn}" is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>); build it with host.urn(type, name)`);
  }
  return { type: parts[2], name: parts.slice(3).join("::") };
}
