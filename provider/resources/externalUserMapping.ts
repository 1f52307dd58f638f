/**
 * The dynamic ResourceProvider behind ExternalUserMapping: the PostgreSQL row of one Immuta user's
 * External User Mapping.
 */
import { z } from "zod";
import { clearMapping, readMapping, sameMapping, setMapping, type PostgresMapping, type UserRef } from "../userMapping";
import { managedUser } from "./deploymentClaims";
import { byteLength, checkShape, isUnknown, requireComplete, requiredString, toStruct, type CheckFailure } from "./inputs";
import { ImmutaResourceProvider } from "./immutaResourceProvider";

export const MAPPING_MODES = ["username", "unset", "none"] as const;
export type MappingMode = (typeof MAPPING_MODES)[number];

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

const argsShape = {
  // An Immuta userid is a username or an e-mail address, which is at most 254 characters (RFC 5321).
  userId: requiredString("the Immuta userid (the username or email the user's IAM knows)")
    .min(1, "must not be empty")
    .max(254, "must be at most 254 characters, the longest e-mail address")
    .superRefine(pathSegment),
  // IAM ids are short identifiers an admin picks (bim, okta, …); 64 leaves room for any of them.
  iamId: requiredString("the id of the IAM holding the user")
    .min(1, "must not be empty")
    .max(64, "must be at most 64 characters")
    .regex(/^[^/]+$/, "must not contain a slash")
    .superRefine(pathSegment)
    .default("bim"),
  mode: z.enum(MAPPING_MODES, { error: `must be one of ${MAPPING_MODES.join(", ")}` }).optional(),
  postgresUsername: requiredString("the PostgreSQL username")
    .min(1, "must not be empty")
    .refine((name) => name === "" || name.trim() !== "", "must not be only whitespace")
    .superRefine(byteLength(63, "a PostgreSQL identifier"))
    .optional(),
};

/** Checked inputs: `postgresUsername` is present exactly when mode is `username`. */
export interface ExternalUserMappingInputs {
  readonly userId: string;
  readonly iamId: string;
  readonly mode: MappingMode;
  readonly postgresUsername?: string;
}

export interface ExternalUserMappingOutputs {
  readonly userId: string;
  readonly iamId: string;
  readonly mode: MappingMode;
  readonly postgresUsername: string | null;
  /** The PostgreSQL username Immuta uses: the mapped one, the Immuta userid for unset, null for none. */
  readonly effectiveUsername: string | null;
}

export class ExternalUserMappingProvider extends ImmutaResourceProvider {
  async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ inputs: Record<string, unknown>; failures: CheckFailure[] }> {
    const { inputs, failures } = checkArgs(news);
    return { inputs, failures: [...failures, ...this.recordClaim("ExternalUserMapping", "userId", news, managedUser(inputs), managedUser(olds))] };
  }

  async diff(_id: string, olds: Partial<ExternalUserMappingOutputs>, news: Record<string, unknown>) {
    const replaces = (["userId", "iamId"] as const).filter((field) => isUnknown(news[field]) || olds[field] !== news[field]);
    const changes = replaces.length > 0 || isUnknown(news.mode) || isUnknown(news.postgresUsername) || !sameMapping(mappingOf(olds), mappingOf(news));
    // Delete first: the old mapping's delete resets a user to unset, which must not undo the new
    // mapping when the two name the same user (a userId that differs only in case, say).
    return { changes, replaces, deleteBeforeReplace: true };
  }

  async create(inputs: Record<string, unknown>): Promise<{ id: string; outs: ExternalUserMappingOutputs }> {
    const args = declared(inputs);
    const user = { iamId: args.iamId, userId: args.userId };
    const held = await setMapping(this.client(), user, mappingOf(args));
    return { id: idOf(user), outs: outputs(user, held, args) };
  }

  async read(id: string, props: Partial<ExternalUserMappingOutputs>) {
    const user = userOf(id, props);
    const found = await readMapping(this.client(), user);
    if (!found) return { id: "", props: {} };
    const outs = outputs(user, found.mapping, props);
    return { id: idOf(user), props: outs, inputs: inputsOf(outs) };
  }

  async update(_id: string, _olds: Partial<ExternalUserMappingOutputs>, news: Record<string, unknown>): Promise<{ outs: ExternalUserMappingOutputs }> {
    const args = declared(news);
    const user = { iamId: args.iamId, userId: args.userId };
    const held = await setMapping(this.client(), user, mappingOf(args));
    return { outs: outputs(user, held, args) };
  }

  async delete(id: string, props: Partial<ExternalUserMappingOutputs>): Promise<void> {
    await clearMapping(this.client(), userOf(id, props), this.log);
  }
}

const idOf = (user: UserRef) => `${user.iamId}/${user.userId}`;

/** The user from the recorded outputs, or else from the id `${iamId}/${userId}` (IAM ids have no slash, userids may). */
function userOf(id: string, props: Partial<ExternalUserMappingOutputs>): UserRef {
  if (props.userId && props.iamId) return { iamId: props.iamId, userId: props.userId };
  const slash = id.indexOf("/");
  return slash < 0 ? { iamId: "bim", userId: id } : { iamId: id.slice(0, slash), userId: id.slice(slash + 1) };
}

function mappingOf(values: { mode?: unknown; postgresUsername?: unknown }): PostgresMapping {
  if (values.mode === "username" && typeof values.postgresUsername === "string") return { mode: "username", username: values.postgresUsername };
  return values.mode === "none" ? { mode: "none" } : { mode: "unset" };
}

/**
 * Outputs for what Immuta holds. When Immuta's username equals the declared (or last recorded)
 * one but for case, the declared spelling is kept, so that a case-only difference never shows.
 */
function outputs(user: UserRef, held: PostgresMapping, declared: { mode?: unknown; postgresUsername?: unknown }): ExternalUserMappingOutputs {
  const prior = mappingOf(declared);
  const mapping = sameMapping(held, prior) ? prior : held;
  const username = mapping.mode === "username" ? mapping.username : null;
  return toStruct({
    userId: user.userId,
    iamId: user.iamId,
    mode: mapping.mode,
    postgresUsername: username,
    effectiveUsername: mapping.mode === "unset" ? user.userId : username,
  });
}

function inputsOf(outs: ExternalUserMappingOutputs): ExternalUserMappingInputs {
  return toStruct({ userId: outs.userId, iamId: outs.iamId, mode: outs.mode, postgresUsername: outs.postgresUsername ?? undefined });
}

/** Every bad field at once, with the rules that tie mode and postgresUsername together. */
function checkArgs(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { inputs, failures } = checkShape(argsShape, news);
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

function declared(inputs: Record<string, unknown>): ExternalUserMappingInputs {
  return requireComplete("ExternalUserMapping", checkArgs(inputs));
}
