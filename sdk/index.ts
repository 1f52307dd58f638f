/** `pulumi-immuta-lakebase`: what Pulumi programs import. */
export { LakebaseConnection, type LakebaseConnectionArgs } from "./lakebaseConnection";
export { ExternalUserMapping, type ExternalUserMappingArgs, type MappingMode } from "./externalUserMapping";
export { lakebaseConnectionProvider, externalUserMappingProvider } from "./shim";
export { LAKEBASE_CONNECTION_TYPE, EXTERNAL_USER_MAPPING_TYPE } from "./typeTokens";
