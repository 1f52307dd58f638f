// What this package's resources mean to a reviewer: their names, which changes destroy data, which
// properties are secret whatever the event holds, and which resources the engine keeps for itself.
import { EXTERNAL_USER_MAPPING_TYPE, EXTERNAL_USER_MAPPINGS_TYPE, LAKEBASE_CONNECTION_TYPE } from "../../sdk/typeTokens";
import type { PlanAction } from "./plan";

const TYPE_LABELS: Readonly<Record<string, string>> = {
  [LAKEBASE_CONNECTION_TYPE]: "LakebaseConnection",
  [EXTERNAL_USER_MAPPING_TYPE]: "ExternalUserMapping",
  [EXTERNAL_USER_MAPPINGS_TYPE]: "ExternalUserMappings",
};

export const CONNECTION_REMOVAL_REASON = "deregistering a connection removes its data sources from Immuta";

/**
 * Masked whatever the event holds: a state written before the value was wrapped as a secret would
 * otherwise carry it in plain text.
 */
export const SECRET_PROPERTY_NAMES: ReadonlySet<string> = new Set(["clientSecret"]);

/** `LakebaseConnection`, `ExternalUserMapping`, `ExternalUserMappings`, or the raw type for anything else. */
export function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type;
}

/** Why this change destroys something a reviewer cares about, or null when it does not. */
export function destructiveReason(type: string, action: PlanAction): string | null {
  return type === LAKEBASE_CONNECTION_TYPE && (action === "replace" || action === "delete") ? CONNECTION_REMOVAL_REASON : null;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * The stack and providers are the engine's bookkeeping, not things a reviewer approves: the stack is
 * "created" with the first resource, and the default provider of dynamic resources takes the whole
 * stack config as its inputs, so every config change shows it as an update and a destroy as a
 * delete, though nothing outside Pulumi changes.
 */
export function isEngineBookkeeping(type: string): boolean {
  return type === STACK_TYPE || type.startsWith("pulumi:providers:");
}
