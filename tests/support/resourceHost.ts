import * as path from "node:path";
import type { Emulator } from "../../emulator";
import { externalUserMappingProvider, externalUserMappingsProvider, lakebaseConnectionProvider } from "../../sdk";
import { requestLog } from "./emulator";
import { serializeProvider, startPluginHost, type ConfigValue, type PluginHost, type PropertyMap } from "./pluginHost";

/** The repository root: the program folder the host runs in, from which it resolves the package. */
export const PROJECT_ROOT = path.resolve(__dirname, "../../..");

export { LAKEBASE_CONNECTION_TYPE as CONNECTION_TYPE, EXTERNAL_USER_MAPPING_TYPE as MAPPING_TYPE, EXTERNAL_USER_MAPPINGS_TYPE as MAPPINGS_TYPE } from "../../sdk";

/** A real dynamic-provider host configured, like the engine does, with the emulator as Immuta. */
export async function hostFor(em: Emulator, config: Record<string, string | ConfigValue> = {}): Promise<PluginHost> {
  const host = await startPluginHost({ cwd: PROJECT_ROOT });
  await host.configure({ "immuta:url": em.immutaUrl, "immuta:apiKey": { secret: em.apiKey }, ...config });
  return host;
}

/** The `__provider` texts that pulumi.dynamic.Resource stores for each resource type. */
export async function providerTexts(): Promise<{ connection: string; mapping: string; mappings: string }> {
  return {
    connection: await serializeProvider(lakebaseConnectionProvider),
    mapping: await serializeProvider(externalUserMappingProvider),
    mappings: await serializeProvider(externalUserMappingsProvider),
  };
}

/** The highest request sequence number so far, to count the requests a step makes. */
export async function lastSeq(em: Emulator): Promise<number> {
  return Math.max(0, ...(await requestLog(em)).map((entry) => entry.seq));
}

/** Check as the engine does on create (olds = {}), failing the test on any failure. */
export async function checked(host: PluginHost, urn: string, news: PropertyMap): Promise<PropertyMap> {
  const { inputs, failures } = await host.check(urn, {}, news);
  if (failures.length > 0) throw new Error(`unexpected check failures: ${JSON.stringify(failures)}`);
  return inputs;
}
