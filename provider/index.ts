/**
 * `pulumi-immuta-lakebase/provider`: the logic that runs inside Pulumi's dynamic-provider host.
 * The SDK's thin provider shims load this module at call time, so refresh and destroy always run
 * the installed version rather than a copy frozen in the state.
 */
import { DeploymentClaims } from "./resources/deploymentClaims";
import { ExternalUserMappingProvider } from "./resources/externalUserMapping";
import { ExternalUserMappingsProvider } from "./resources/externalUserMappings";
import { progress } from "./lines";
import { LakebaseConnectionProvider } from "./resources/lakebaseConnection";

/** A host process serves one deployment: what its resources manage, across every kind. */
const claims = new DeploymentClaims();

/** One instance per process, shared by every resource of the kind (one client, one token). */
export const lakebaseConnection = new LakebaseConnectionProvider(progress, claims);
export const externalUserMapping = new ExternalUserMappingProvider(progress, claims);
export const externalUserMappings = new ExternalUserMappingsProvider(progress, claims);

export { LakebaseConnectionProvider, type LakebaseConnectionInputs, type LakebaseConnectionOutputs } from "./resources/lakebaseConnection";
export { ExternalUserMappingProvider, MAPPING_MODES, type MappingMode, type ExternalUserMappingInputs, type ExternalUserMappingOutputs } from "./resources/externalUserMapping";
export { ExternalUserMappingsProvider, type ExternalUserMappingsInputs, type ExternalUserMappingsOutputs, type UserMappingEntry } from "./resources/externalUserMappings";
export { resolveSettings, type ProviderSettings, type ConfigSource } from "./config";
export { ImmutaClient, immutaClientFor } from "./immuta/client";
export { workspaceToken, type ServicePrincipal } from "./databricks/oauth";
export { inspectPrivileges, assertPrivileges, type LakebaseDatabase, type PreflightResult } from "./lakebase/preflight";
export { registerConnection, readConnection, updateConnection, deregisterConnection, type ConnectionDeclaration, type LiveConnection } from "./connection";
export { readMapping, setMapping, clearMapping, type PostgresMapping, type UserRef } from "./userMapping";
export { lookUpUsers, type UserLookup, type FoundUser } from "./userDirectory";
export * from "./errors";
