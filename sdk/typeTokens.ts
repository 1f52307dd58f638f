// The Pulumi type tokens of the resources, as pulumi.dynamic.Resource builds them from a module
// and a type name: what state files, engine events and previews call them.

/** pulumi.dynamic.Resource's module for this package's resources. */
export const RESOURCE_MODULE = "immuta";

export const LAKEBASE_CONNECTION = "LakebaseConnection";
export const EXTERNAL_USER_MAPPING = "ExternalUserMapping";
export const EXTERNAL_USER_MAPPINGS = "ExternalUserMappings";

export const LAKEBASE_CONNECTION_TYPE = `pulumi-nodejs:dynamic/${RESOURCE_MODULE}:${LAKEBASE_CONNECTION}`;
export const EXTERNAL_USER_MAPPING_TYPE = `pulumi-nodejs:dynamic/${RESOURCE_MODULE}:${EXTERNAL_USER_MAPPING}`;
export const EXTERNAL_USER_MAPPINGS_TYPE = `pulumi-nodejs:dynamic/${RESOURCE_MODULE}:${EXTERNAL_USER_MAPPINGS}`;
