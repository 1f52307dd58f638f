/**
 * `pulumi-immuta-lakebase/provider`: the logic that runs inside Pulumi's dynamic-provider host.
 * The SDK's thin provider shims load this module at call time, so refresh and destroy always run
 * the installed version rather than a copy frozen in the state. What it exports is the package's
 * provider API (and so its semver surface): the provider objects, the shapes of their inputs and
 * outputs, and the errors they raise; the modules behind them are internal.
 */
import { DeploymentClaims } from "./resources/deploymentClaims";
import { ExternalUserMappingProvider } from "./resources/externalUserMapping";
import { ExternalUserMappingsProvider } from "./resources/externalUserMappings";
import { LakebaseConnectionProvider } from "./resources/lakebaseConnection";
import { progress } from "./lines";
import type * as types from "./types";

/** A host process serves one deployment: what its resources manage, across every kind. */
const claims = new DeploymentClaims();

/** One instance per process, shared by every resource of the kind (one client, one token). */
export const lakebaseConnection: types.ResourceProviderOf<types.LakebaseConnectionInputs, types.LakebaseConnectionOutputs> =
  new LakebaseConnectionProvider(progress, claims);
export const externalUserMapping: types.ResourceProviderOf<types.ExternalUserMappingInputs, types.ExternalUserMappingOutputs> =
  new ExternalUserMappingProvider(progress, claims);
export const externalUserMappings: types.ResourceProviderOf<types.ExternalUserMappingsInputs, types.ExternalUserMappingsOutputs> =
  new ExternalUserMappingsProvider(progress, claims);

export * from "./types";
export * from "./errors";
