/** `pulumi-immuta-lakebase`: what Pulumi programs import. */
export { LakebaseConnection, type LakebaseConnectionArgs } from "./lakebaseConnection";
export { ExternalUserMapping, type ExternalUserMappingArgs, type MappingMode } from "./externalUserMapping";
export { lakebaseConnectionProvider, externalUserMappingProvider } from "./shim";
