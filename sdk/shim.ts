import type * as pulumi from "@pulumi/pulumi";

/** The provider objects exported by `pulumi-immuta-lakebase/provider`. */
export type ProviderKind = "lakebaseConnection" | "externalUserMapping" | "externalUserMappings";

const METHODS = ["check", "diff", "create", "read", "update", "delete"] as const;

/**
 * The object handed to pulumi.dynamic.Resource, and so serialised into every resource's state as
 * `__provider`. It holds nothing but the kind and two functions: configure(), which the host calls
 * synchronously right after deserialising this object and before any other method, loads the
 * installed provider at call time, resolved from the host's working directory (the Pulumi program's
 * folder), and installs the other methods (closures made inside the host, never serialised), each
 * loading it again so that a failed load is reported by every call. So the stored text is small
 * (under 2 KB, though stored twice per resource), holds no secret and no machine path, and does not
 * change when the logic does: refresh and destroy run the installed logic, not a copy frozen in
 * the state.
 *
 * Before configure() every other method is one shared function that fails loudly, naming the fix:
 * without it a call would meet no method at all (a TypeError, or a host silently echoing the state).
 * A method of its own for each, loading the provider, would be friendlier but costs about 150 bytes
 * of serialised wrapper apiece, which the 2 KB budget does not hold.
 */
export function providerShim(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
  const notConfigured = (): never => {
    throw new Error(
      `pulumi-immuta-lakebase: the ${kind} provider was called before configure(). The Pulumi engine always configures it first; ` +
        "code that drives the provider directly must first call `await provider.configure({ config: { get: () => undefined } })`.",
    );
  };
  const shim = {
    configure(this: Record<string, unknown>, req: pulumi.dynamic.ConfigureRequest): Promise<void> {
      const load = () => require("module").createRequire(process.cwd() + "/")("pulumi-immuta-lakebase/provider")[kind];
      for (const method of METHODS) {
        this[method] = (...args: unknown[]) => load()[method](...args);
      }
      return load().configure(req);
    },
    ...Object.fromEntries(METHODS.map((method) => [method, notConfigured])),
  };
  return shim as unknown as pulumi.dynamic.ResourceProvider;
}

export const lakebaseConnectionProvider = providerShim("lakebaseConnection");
export const externalUserMappingProvider = providerShim("externalUserMapping");
export const externalUserMappingsProvider = providerShim("externalUserMappings");
