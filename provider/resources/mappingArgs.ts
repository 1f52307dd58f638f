/**
 * The argument rules both mapping resources share: how a userid and an IAM id must look to become
 * segments of a request path, and how a mode and a PostgreSQL username go together. One mapping
 * declares one user with them (ExternalUserMapping), many mappings one user per entry
 * (ExternalUserMappings), and both report the same failure for the same slip.
 */
import { z } from "zod";
import { MAPPING_MODES, type MappingMode } from "../types";
import type { PostgresMapping } from "../userMapping";
import { byteLength, checkShape, isUnknown, requiredString, UNKNOWN, type CheckFailure } from "./inputs";


/** C0 and C1 control characters (NUL has its own rule) and the Unicode line separators. */
const CONTROL_CHARACTER = /[\u0001-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * userId and iamId each become one segment of the request path /bim/iam/{iamId}/user/{userId}:
 * "." and ".." would be resolved away and address another path, and whitespace at either end or a
 * line break is a slip that Immuta would take literally, as a different user.
 */
function pathSegment(value: string, ctx: z.RefinementCtx): void {
  if (value === "." || value === "..") ctx.addIssue({ code: "custom", message: `must not be "${value}", which in a request path addresses another Immuta resource` });
  else if (CONTROL_CHARACTER.test(value)) ctx.addIssue({ code: "custom", message: "must not contain a line break, tab or other control character" });
  else if (/^\s|\s$/.test(value)) ctx.addIssue({ code: "custom", message: "must not begin or end with whitespace" });
}

// An Immuta userid is a username or an e-mail address, which is at most 254 characters (RFC 5321).
export const userIdSchema = requiredString("the Immuta userid (the username or email the user's IAM knows)")
  .min(1, "must not be empty")
  .max(254, "must be at most 254 characters, the longest e-mail address")
  .superRefine(pathSegment);

// IAM ids are short identifiers an admin picks (bim, okta, …); 64 leaves room for any of them.
export const iamIdSchema = requiredString("the id of the IAM holding the user")
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[^/]+$/, "must not contain a slash")
  .superRefine(pathSegment)
  .default("bim");

const mappingShape = {
  mode: z.enum(MAPPING_MODES, { error: `must be one of ${MAPPING_MODES.join(", ")}` }).optional(),
  postgresUsername: requiredString("the PostgreSQL username")
    .min(1, "must not be empty")
    .refine((name) => name === "" || name.trim() !== "", "must not be only whitespace")
    .superRefine(byteLength(63, "a PostgreSQL identifier"))
    .optional(),
};

/** Checked mode and username: `postgresUsername` is present exactly when mode is `username` (or either is unknown). */
export interface CheckedMapping {
  readonly mode?: MappingMode | typeof UNKNOWN;
  readonly postgresUsername?: string;
}

/**
 * `mode` and `postgresUsername` of `news`, every bad one reported: mode defaults to `username` when
 * a username is given, and the username is required for that mode and forbidden for the others.
 */
export function checkMappingFields(news: Record<string, unknown>): { inputs: CheckedMapping; failures: CheckFailure[] } {
  const { inputs, failures } = checkShape(mappingShape, news);
  const username = inputs.postgresUsername;
  const mode = inputs.mode ?? (username !== undefined ? "username" : undefined);
  const reported = (property: string) => failures.some((f) => f.property === property);
  if (mode === undefined) {
    if (!reported("mode") && !reported("postgresUsername")) {
      failures.push({ property: "mode", reason: `is required when postgresUsername is not set: one of ${MAPPING_MODES.join(", ")}` });
    }
  } else if (!isUnknown(mode)) {
    if (mode === "username" && username === undefined && !reported("postgresUsername")) {
      failures.push({ property: "postgresUsername", reason: 'is required when mode is "username"' });
    }
    if (mode !== "username" && username !== undefined) {
      failures.push({ property: "postgresUsername", reason: `must not be set when mode is "${mode}" (${mode === "unset" ? "Immuta falls back to the Immuta username" : "the user has no PostgreSQL account"})` });
    }
  }
  return { inputs: { ...inputs, ...(mode === undefined ? {} : { mode }) }, failures };
}

/** The mapping that checked (or recorded) fields declare; anything incomplete reads as unset. */
export function mappingOf(values: { mode?: unknown; postgresUsername?: unknown }): PostgresMapping {
  if (values.mode === "username" && typeof values.postgresUsername === "string") return { mode: "username", username: values.postgresUsername };
  return values.mode === "none" ? { mode: "none" } : { mode: "unset" };
}

/** The PostgreSQL username Immuta uses: the mapped one, the Immuta userid for unset, none for none. */
export function effectiveUsername(userId: string, mapping: PostgresMapping): string | null {
  if (mapping.mode === "username") return mapping.username;
  return mapping.mode === "unset" ? userId : null;
}
