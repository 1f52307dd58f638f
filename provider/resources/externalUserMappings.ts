/**
 * The dynamic ResourceProvider behind ExternalUserMappings: the PostgreSQL rows of many users of
 * one IAM, in one resource. Inputs and outputs are maps keyed by userid, so that a preview's diff
 * (which the engine computes from the inputs, key by key) shows which users change.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { InvalidArgumentError, PartialMappingError } from "../errors";
import { sameMapping, type PostgresMapping } from "../userMapping";
import { applyMappings, describeFailures, hasFailures, named, sweepMappings, type MappingsOutcome } from "../userMappings";
import { iamUsers, managedUser, type Claim, type Managed } from "./deploymentClaims";
import { checkShape, isUnknown, requireComplete, toStruct, UNKNOWN, withHostProvider, type CheckFailure } from "./inputs";
import { ImmutaResourceProvider } from "./immutaResourceProvider";
import { checkMappingFields, effectiveUsername, iamIdSchema, mappingOf, userIdSchema } from "./mappingArgs";
import type { ExternalUserMappingsInputs, ExternalUserMappingsOutputs, UserMappingEntry, Refreshed, ResourceProviderOf, Unchecked } from "../types";

const KIND = "ExternalUserMappings";
/** Clashes with other resources named one by one; the rest are counted, as a copied resource clashes on every user. */
const CLASHES_NAMED = 20;

const topShape = {
  iamId: iamIdSchema,
  exclusive: z.boolean({ error: "must be true or false" }).default(false),
};

const ENTRY_FORMS = 'a PostgreSQL username (a string), { mode: "none" } or { mode: "unset" }';

/** The property path of a user's entry, as Pulumi writes property paths: `users["bob@example.com"]`. */
const entryPath = (userId: string) => `users[${JSON.stringify(userId)}]`;

export class ExternalUserMappingsProvider extends ImmutaResourceProvider implements ResourceProviderOf<ExternalUserMappingsInputs, ExternalUserMappingsOutputs> {
  async check(olds: Unchecked<ExternalUserMappingsInputs>, news: Unchecked<ExternalUserMappingsInputs>): Promise<{ inputs: Record<string, unknown>; failures: CheckFailure[] }> {
    const { inputs, failures } = checkArgs(news);
    const clashes = this.recordClaim(news, (name) => claimOf(name, inputs, olds), (managed) => (managed === undefined ? "exclusive" : entryPath(managed.entry)));
    const unnamed = clashes.length - CLASHES_NAMED;
    const counted = unnamed > 0 ? [{ property: "users", reason: `and ${unnamed} more users clash in the same way` }] : [];
    return { inputs, failures: [...failures, ...clashes.slice(0, CLASHES_NAMED), ...counted] };
  }

  async diff(id: string, olds: Partial<ExternalUserMappingsOutputs>, news: Unchecked<ExternalUserMappingsInputs>) {
    const replaces = isUnknown(news.iamId) || olds.iamId !== news.iamId ? ["iamId"] : [];
    const others = olds.otherMappedUsers ?? 0;
    const excluding = news.exclusive === true && others > 0;
    const changes = replaces.length > 0 || isUnknown(news.exclusive) || (olds.exclusive ?? false) !== news.exclusive || excluding || !sameEntries(olds.users ?? {}, news.users);
    if (excluding && replaces.length === 0) {
      // check() and diff() may not call Immuta, so the count is the last sweep's: a reviewer should know how old.
      this.log(
        `${KIND} ${id}: exclusive: true returns to unset ${others} other user${others === 1 ? "" : "s"} of IAM "${olds.iamId}" with a PostgreSQL username, ` +
          "as counted by the last pulumi up or refresh (pulumi preview --refresh counts again); the update acts on what Immuta holds then.",
      );
    }
    // Delete first: the old resource's delete returns its users to unset, which must not undo the new one's.
    return { changes, replaces, deleteBeforeReplace: true };
  }

  async create(inputs: Unchecked<ExternalUserMappingsInputs>): Promise<{ id: string; outs: ExternalUserMappingsOutputs }> {
    const args = declared(inputs);
    // The engine keys resources by URN; the id only has to say which IAM, and differ between resources of one.
    const id = `${args.iamId}/${randomBytes(4).toString("hex")}`;
    const outcome = await this.apply(id, args, []);
    return { id, outs: this.recorded(id, args, outcome, {}, inputs) };
  }

  async read(id: string, props: Partial<ExternalUserMappingsOutputs> = {}): Promise<Refreshed<ExternalUserMappingsInputs, ExternalUserMappingsOutputs>> {
    const iamId = iamOf(id, props);
    const recorded = props.users ?? {};
    const sweep = await sweepMappings(this.client(), iamId, Object.keys(recorded), this.settings().maxConcurrency);
    // A user gone from Immuta leaves the state, so the next preview shows it as one to add (which then fails, naming it).
    const outs = outputs({ iamId, exclusive: props.exclusive ?? false }, sweep.held, recorded, sweep.othersWithUsername.size);
    // Immuta is no longer as exclusive: true declared while other users have a username, which the next preview shows.
    const inputs: ExternalUserMappingsInputs = { iamId, users: outs.users, exclusive: outs.exclusive && outs.otherMappedUsers === 0 };
    return { id, props: outs, inputs: toStruct(inputs) };
  }

  async update(id: string, olds: Partial<ExternalUserMappingsOutputs>, news: Unchecked<ExternalUserMappingsInputs>): Promise<{ outs: ExternalUserMappingsOutputs }> {
    const args = declared(news);
    const previous = olds.users ?? {};
    const released = Object.keys(previous).filter((userId) => !Object.prototype.hasOwnProperty.call(args.users, userId));
    const outcome = await this.apply(id, args, released);
    return { outs: this.recorded(id, args, outcome, previous, news) };
  }

  async delete(id: string, props: Partial<ExternalUserMappingsOutputs>): Promise<void> {
    const iamId = iamOf(id, props);
    const outcome = await this.apply(id, { iamId, users: {}, exclusive: false }, Object.keys(props.users ?? {}));
    if (hasFailures(outcome.failures)) throw new Error(`Returning the users of ${KIND} ${id} to unset did not finish. ${describeFailures(iamId, outcome.failures)}`);
  }

  private async apply(id: string, args: ExternalUserMappingsInputs, released: readonly string[]): Promise<MappingsOutcome> {
    const wanted = new Map(Object.entries(args.users).map(([userId, entry]) => [userId, mappingOfEntry(entry)]));
    const outcome = await applyMappings(this.client(), { iamId: args.iamId, wanted, released, exclusive: args.exclusive }, this.settings().maxConcurrency);
    this.log(
      `${KIND} ${id}: wrote ${outcome.written} PostgreSQL row${outcome.written === 1 ? "" : "s"} of IAM "${args.iamId}" ` +
        `for ${wanted.size} users declared and ${released.length} no longer declared${args.exclusive ? ", exclusive" : ""}.`,
    );
    if (outcome.leftToIam.length > 0) this.log(`Left the PostgreSQL usernames of ${named([...outcome.leftToIam].sort())} as IAM "${args.iamId}" sets them; only the IAM can change them.`);
    return outcome;
  }

  /**
   * The outputs for what Immuta holds after an apply; when part of it failed, they are thrown with
   * the resource's id, so that the engine records what holds (the next up writes the rest).
   */
  private recorded(id: string, args: ExternalUserMappingsInputs, outcome: MappingsOutcome, previous: Readonly<Record<string, UserMappingEntry>>, inputs: Record<string, unknown>): ExternalUserMappingsOutputs {
    const outs = outputs(args, outcome.held, { ...previous, ...args.users }, outcome.othersWithUsername);
    if (hasFailures(outcome.failures)) throw new PartialMappingError(id, withHostProvider(outs, inputs), `${KIND} ${id}: ${describeFailures(args.iamId, outcome.failures)}`);
    return outs;
  }
}

/**
 * Outputs for what Immuta holds, in the order of `declared` (the entries as declared or last
 * recorded). When Immuta's username equals the declared one but for case, the declared spelling is
 * kept, so that a case-only difference never shows.
 */
function outputs(
  args: Pick<ExternalUserMappingsInputs, "iamId" | "exclusive">,
  held: ReadonlyMap<string, PostgresMapping>,
  declared: Readonly<Record<string, UserMappingEntry>>,
  otherMappedUsers: number,
): ExternalUserMappingsOutputs {
  const users: Record<string, UserMappingEntry> = {};
  const effectiveUsernames: Record<string, string | null> = {};
  for (const [userId, entry] of Object.entries(declared)) {
    const current = held.get(userId);
    if (current === undefined) continue;
    const prior = mappingOfEntry(entry);
    const mapping = sameMapping(current, prior) ? prior : current;
    users[userId] = entryOf(mapping);
    effectiveUsernames[userId] = effectiveUsername(userId, mapping);
  }
  return { iamId: args.iamId, users, exclusive: args.exclusive, effectiveUsernames, otherMappedUsers };
}

function entryOf(mapping: PostgresMapping): UserMappingEntry {
  return mapping.mode === "username" ? mapping.username : { mode: mapping.mode };
}

function mappingOfEntry(entry: UserMappingEntry): PostgresMapping {
  return typeof entry === "string" ? { mode: "username", username: entry } : mappingOf(entry);
}

/** Same users with the same rows, usernames compared case-insensitively; an unknown entry counts as a change. */
function sameEntries(olds: Readonly<Record<string, UserMappingEntry>>, news: unknown): boolean {
  if (!isPlainObject(news)) return false;
  const keys = Object.keys(news);
  if (keys.length !== Object.keys(olds).length) return false;
  return keys.every((userId) => {
    const [old, next] = [olds[userId], news[userId]];
    return old !== undefined && !isUnknown(next) && sameMapping(mappingOfEntry(old), mappingOfEntry(next as UserMappingEntry));
  });
}

/** The IAM from the recorded outputs, or else from the id `${iamId}/${suffix}` (IAM ids have no slash). */
function iamOf(id: string, props: Partial<ExternalUserMappingsOutputs>): string {
  return props.iamId ?? id.slice(0, id.lastIndexOf("/"));
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Every bad field and entry at once. */
function checkArgs(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { inputs, failures } = checkShape(topShape, news);
  const users = checkUsers(news.users, failures);
  return { inputs: { ...inputs, ...(users === undefined ? {} : { users }) }, failures };
}

/** The users map with each entry in its one form (or unknown), adding a failure for each bad userid or entry. */
function checkUsers(users: unknown, failures: CheckFailure[]): Record<string, UserMappingEntry | typeof UNKNOWN> | typeof UNKNOWN | undefined {
  if (isUnknown(users)) return UNKNOWN;
  if (!isPlainObject(users)) {
    failures.push({ property: "users", reason: `${users === undefined ? "is required" : "must be a map"}: from each Immuta userid to ${ENTRY_FORMS}` });
    return undefined;
  }
  const checked: Record<string, UserMappingEntry | typeof UNKNOWN> = {};
  for (const [userId, entry] of Object.entries(users)) {
    const path = entryPath(userId);
    const id = userIdSchema.safeParse(userId);
    if (!id.success) failures.push(...id.error.issues.map((issue) => ({ property: path, reason: `has a userid that ${issue.message}` })));
    const value = checkEntry(entry, path, failures);
    if (id.success && value !== undefined) checked[userId] = value;
  }
  return checked;
}

/** One entry, checked by the rules of ExternalUserMapping's mode and postgresUsername. */
function checkEntry(entry: unknown, path: string, failures: CheckFailure[]): UserMappingEntry | typeof UNKNOWN | undefined {
  if (isUnknown(entry)) return UNKNOWN;
  const written = typeof entry === "string";
  if (!written && !isPlainObject(entry)) {
    failures.push({ property: path, reason: `must be ${ENTRY_FORMS}` });
    return undefined;
  }
  const checked = checkMappingFields(written ? { postgresUsername: entry } : entry);
  // A username written as the entry itself is the entry; its failures are the entry's.
  failures.push(...checked.failures.map((failure) => ({ property: written ? path : `${path}.${failure.property}`, reason: failure.reason })));
  if (checked.failures.length > 0) return undefined;
  if (isUnknown(checked.inputs.mode) || isUnknown(checked.inputs.postgresUsername)) return UNKNOWN;
  return entryOf(mappingOf(checked.inputs));
}

/**
 * What the checked inputs manage, and what the old ones gave up: all their users when the IAM
 * changes (the resource is replaced), else the users dropped from the map (the update unsets them).
 * With exclusive: true it also claims every other user of the IAM.
 */
function claimOf(name: string, inputs: Record<string, unknown>, olds: Record<string, unknown>): Claim {
  const usersOf = (values: Record<string, unknown>): Managed[] =>
    isPlainObject(values.users) ? Object.keys(values.users).flatMap((userId) => managedUser({ iamId: values.iamId, userId }) ?? []) : [];
  const claim = { kind: KIND, name, listedIn: "users" };
  // Until both the IAM and the map are known, what the resource manages is not.
  if (!isPlainObject(inputs.users) || typeof inputs.iamId !== "string" || isUnknown(inputs.iamId)) return { ...claim, manages: [], givesUp: [], givesUpBy: "removal" };
  const manages = usersOf(inputs);
  const replaced = typeof olds.iamId === "string" && olds.iamId !== inputs.iamId;
  const kept = new Set(manages.map((managed) => managed.key));
  const givesUp = usersOf(olds).filter((managed) => replaced || !kept.has(managed.key));
  return { ...claim, manages, givesUp, givesUpBy: replaced ? "replacement" : "removal", exclusiveOver: inputs.exclusive === true ? iamUsers(inputs.iamId) : undefined };
}

function declared(inputs: Record<string, unknown>): ExternalUserMappingsInputs {
  const checked = checkArgs(inputs);
  const args = requireComplete<ExternalUserMappingsInputs>(KIND, checked);
  const unknown = Object.keys(args.users).filter((userId) => isUnknown(args.users[userId]));
  if (unknown.length > 0) throw new InvalidArgumentError(`Invalid ${KIND} arguments: ${unknown.map((userId) => `${entryPath(userId)} is still unknown`).join("; ")}.`);
  return args;
}
