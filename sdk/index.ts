/** `pulumi-immuta-lakebase`: what Pulumi programs import. */
export { LakebaseConnection, type LakebaseConnectionArgs } from "./lakebaseConnection";
export { ExternalUserMapping, type ExternalUserMappingArgs, type MappingMode } from "./externalUserMapping";
export { ExternalUserMappings, type ExternalUserMappingsArgs, type UserMappingEntry, type HeldUserMapping } from "./externalUserMappings";
export { findImmutaUsers, type FindImmutaUsersArgs, type ImmutaUser, type ImmutaUserLookup } from "./findImmutaUsers";
export { lakebaseConnectionProvider, externalUserMappingProvider, externalUserMappingsProvider } from "./shim";
export { LAKEBASE_CONNECTION_TYPE, EXTERNAL_USER_MAPPING_TYPE, EXTERNAL_USER_MAPPINGS_TYPE } from "./typeTokens";
