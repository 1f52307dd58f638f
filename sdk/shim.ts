import type * as pulumi from "@pulumi/pulumi";

/** The provider objects exported by `pulumi-immuta-lakebase/provider`. */
export type ProviderKind = "lakebaseConnection" | "externalUserMapping";

/**
 * The object handed to pulumi.dynamic.Resource, and so serialised into every resource's state as
 * `__provider`. It holds nothing but the kind and one function: at call time it loads the
 * installed provider, resolved from the host's working directory (the Pulumi program's folder),
 * which finds the package installed there or, through its own `exports`, this repository. So the
 * stored text is small (under 2 KB, though stored twice per resource), holds no secret and no
 * machine path, and does not change when the logic does: refresh and destroy run the installed
 * logic rather than a stale copy frozen in the state.
 *
 * Only configure() is serialised: the dynamic-provider host calls it synchronously right after
 * deserialising this object and before any other method, and it installs the other methods there
 * (as closures made inside the host, which are never serialised). Each installed method loads the
 * provider again, so a failed load is reported by every call rather than once.
 */
export function providerShim(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
  const shim = {
    configure(this: Record<string, unknown>, req: pulumi.dynamic.ConfigureRequest): Promise<void> {
      const load = () => require("module").createRequire(process.cwd() + "/")("pulumi-immuta-lakebase/provider")[kind];
      for (const method of ["check", "diff", "create", "read", "update", "delete"]) {
        this[method] = (...args: unknown[]) => load()[method](...args);
      }
      return load().configure(req);
    },
  };
  return shim as unknown as pulumi.dynamic.ResourceProvider;
}

export const lakebaseConnectionProvider = providerShim("lakebaseConnection");
export const externalUserMappingProvider = providerShim("externalUserMapping");
