/**
 * The dynamic ResourceProvider behind ExternalUserMapping: the PostgreSQL row of one Immuta user's
 * External User Mapping.
 */
import { clearMapping, readMapping, sameMapping, setMapping, type PostgresMapping, type UserRef } from "../userMapping";
import { claimOfOne, managedUser } from "./deploymentClaims";
import { checkShape, isUnknown, requireComplete, toStruct, type CheckFailure } from "./inputs";
import { ImmutaResourceProvider } from "./immutaResourceProvider";
import { checkMappingFields, effectiveUsername, iamIdSchema, mappingOf, userIdSchema } from "./mappingArgs";
import type { ExternalUserMappingInputs, ExternalUserMappingOutputs, Refreshed, ResourceProviderOf, Unchecked } from "../types";

const userShape = { userId: userIdSchema, iamId: iamIdSchema };

export class ExternalUserMappingProvider extends ImmutaResourceProvider implements ResourceProviderOf<ExternalUserMappingInputs, ExternalUserMappingOutputs> {
  async check(olds: Unchecked<ExternalUserMappingInputs>, news: Unchecked<ExternalUserMappingInputs>): Promise<{ inputs: Record<string, unknown>; failures: CheckFailure[] }> {
    const { inputs, failures } = checkArgs(news);
    const claim = (name: string) => claimOfOne("ExternalUserMapping", name, managedUser(inputs), managedUser(olds));
    return { inputs, failures: [...failures, ...this.recordClaim(news, claim, () => "userId")] };
  }

  async diff(_id: string, olds: Partial<ExternalUserMappingOutputs>, news: Unchecked<ExternalUserMappingInputs>) {
    const replaces = (["userId", "iamId"] as const).filter((field) => isUnknown(news[field]) || olds[field] !== news[field]);
    const changes = replaces.length > 0 || isUnknown(news.mode) || isUnknown(news.postgresUsername) || !sameMapping(mappingOf(olds), mappingOf(news));
    // Delete first: the old mapping's delete resets a user to unset, which must not undo the new
    // mapping when the two name the same user (a userId that differs only in case, say).
    return { changes, replaces, deleteBeforeReplace: true };
  }

  async create(inputs: Unchecked<ExternalUserMappingInputs>): Promise<{ id: string; outs: ExternalUserMappingOutputs }> {
    const args = declared(inputs);
    const user = { iamId: args.iamId, userId: args.userId };
    const held = await setMapping(this.client(), user, mappingOf(args));
    return { id: idOf(user), outs: outputs(user, held, args) };
  }

  async read(id: string, props: Partial<ExternalUserMappingOutputs> = {}): Promise<Refreshed<ExternalUserMappingInputs, ExternalUserMappingOutputs>> {
    const user = userOf(id, props);
    const found = await readMapping(this.client(), user);
    if (!found) return { id: "", props: {} };
    const outs = outputs(user, found.mapping, props);
    return { id: idOf(user), props: outs, inputs: inputsOf(outs) };
  }

  async update(_id: string, _olds: Partial<ExternalUserMappingOutputs>, news: Unchecked<ExternalUserMappingInputs>): Promise<{ outs: ExternalUserMappingOutputs }> {
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
    effectiveUsername: effectiveUsername(user.userId, mapping),
  });
}

function inputsOf(outs: ExternalUserMappingOutputs): ExternalUserMappingInputs {
  return toStruct({ userId: outs.userId, iamId: outs.iamId, mode: outs.mode, postgresUsername: outs.postgresUsername ?? undefined });
}

/** Every bad field at once, with the rules that tie mode and postgresUsername together. */
function checkArgs(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const user = checkShape(userShape, news);
  const mapping = checkMappingFields(news);
  return { inputs: { ...user.inputs, ...mapping.inputs }, failures: [...user.failures, ...mapping.failures] };
}

function declared(inputs: Record<string, unknown>): ExternalUserMappingInputs {
  return requireComplete("ExternalUserMapping", checkArgs(inputs));
}
