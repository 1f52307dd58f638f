/**
 * The PostgreSQL rows of many users of one IAM. One sweep of the paged user list tells what Immuta
 * holds for all of them; then each user whose row differs is written on its own (Immuta has no bulk
 * write), a few at a time, so that an operation costs a request per page plus two per change.
 *
 * Where a write's profile comes from: each write is setMapping's, which reads that one user again
 * right before it PUTs the profile back. The page the sweep read holds the same profile, but
 * sending it back could undo a change made since: with thousands of users the writes run for
 * minutes after the page was read, and an admin's edit or an identity-provider sync landing in
 * between would be overwritten by the PUT, which replaces the whole profile. The fresh read also
 * finds a write that landed although its answer was lost, which is then not made again. It costs
 * one GET per user that changes; a user already as declared costs nothing beyond the sweep.
 */
import { eachAtMost } from "./concurrency";
import { IamManagedUsernameError, UserNotFoundError } from "./errors";
import type { ImmutaClient } from "./immuta/client";
import { decodePostgresMapping } from "./immuta/wire";
import { forEachUser } from "./userDirectory";
import { readMapping, releaseMapping, sameMapping, setMapping, type PostgresMapping } from "./userMapping";

/** At most this many userids are named in one message; the rest are counted. */
const NAMED_MAX = 20;

export interface IamMappings {
  /** What Immuta holds for each of the users asked about that it has. */
  readonly held: Map<string, PostgresMapping>;
  /** The users asked about that Immuta does not have, in the order asked. */
  readonly missing: string[];
  /** Users of the IAM not asked about whose PostgreSQL row holds a username. */
  readonly othersWithUsername: Set<string>;
}

/**
 * One sweep of the IAM's users: the rows of `userIds` and which other users have a username.
 * A user the list did not show is looked up on its own before it is called missing, since offset
 * paging over a list that changes meanwhile can skip one.
 */
export async function sweepMappings(client: ImmutaClient, iamId: string, userIds: Iterable<string>, concurrency: number): Promise<IamMappings> {
  const asked = new Set(userIds);
  const held = new Map<string, PostgresMapping>();
  const othersWithUsername = new Set<string>();
  await forEachUser(client, iamId, {}, (user) => {
    const mapping = decodePostgresMapping(user.profile);
    if (asked.has(user.userid)) held.set(user.userid, mapping);
    else if (mapping.mode === "username") othersWithUsername.add(user.userid);
  });
  const unlisted = [...asked].filter((userId) => !held.has(userId));
  const found = await eachAtMost(concurrency, unlisted, (userId) => readMapping(client, { iamId, userId }));
  found.forEach((read, i) => read && held.set(unlisted[i], read.mapping));
  return { held, missing: unlisted.filter((userId) => !held.has(userId)), othersWithUsername };
}

export interface MappingsChange {
  readonly iamId: string;
  /** The row each declared user must have. */
  readonly wanted: ReadonlyMap<string, PostgresMapping>;
  /** Users declared before and not any more: back to unset. */
  readonly released: readonly string[];
  /** Also return to unset every other user of the IAM whose row holds a username. */
  readonly exclusive: boolean;
}

export interface MappingsOutcome {
  /** What Immuta now holds for each declared user, and for each released one still mapped (its release failed). */
  readonly held: Map<string, PostgresMapping>;
  /** Other users of the IAM whose row still holds a username. */
  readonly othersWithUsername: number;
  /** Rows changed. */
  readonly written: number;
  /** Users released whose username their IAM sets, left as they are. */
  readonly leftToIam: string[];
  /** What failed, to be told in one message (empty when everything holds). */
  readonly failures: MappingFailures;
}

export interface MappingFailures {
  /** Declared users whose username their IAM sets, so that Immuta refuses to change it. */
  readonly iamManaged: string[];
  /** Other users that exclusive could not return to unset, for the same reason. */
  readonly iamManagedOthers: string[];
  /** Declared users deleted from Immuta while this ran. */
  readonly gone: string[];
  /** Other failures: the first one's message, and how many users it and its like stopped. */
  readonly other: { readonly error: Error; readonly users: string[] } | undefined;
  /** Users not tried because a failure of the kind above stopped the run. */
  readonly notTried: number;
}

type Task = { readonly userId: string; readonly kind: "set"; readonly mapping: PostgresMapping } | { readonly userId: string; readonly kind: "release" | "exclude" };

/**
 * Brings the IAM's rows to `change` after one sweep, writing only where Immuta differs. Declared
 * users that Immuta does not have fail it before anything is written. A failure of one user (gone
 * meanwhile, or its username set by its IAM) does not stop the others; any other failure (Immuta
 * unreachable, throttling beyond the retries) stops new writes and lets those under way finish.
 * Either way the outcome says what Immuta holds, for the caller to record.
 */
export async function applyMappings(client: ImmutaClient, change: MappingsChange, concurrency: number): Promise<MappingsOutcome> {
  const { iamId, wanted } = change;
  const sweep = await sweepMappings(client, iamId, [...wanted.keys(), ...change.released], concurrency);
  const missing = sweep.missing.filter((userId) => wanted.has(userId));
  if (missing.length > 0) throw missingUsers(iamId, missing, wanted.size);

  const held = new Map<string, PostgresMapping>();
  const tasks: Task[] = [];
  for (const [userId, mapping] of wanted) {
    const current = sweep.held.get(userId) as PostgresMapping;
    held.set(userId, current);
    if (!sameMapping(current, mapping)) tasks.push({ userId, kind: "set", mapping });
  }
  for (const userId of change.released) {
    const current = sweep.held.get(userId);
    if (current === undefined || current.mode === "unset" || wanted.has(userId)) continue;
    held.set(userId, current);
    tasks.push({ userId, kind: "release" });
  }
  const others = new Set(sweep.othersWithUsername);
  if (change.exclusive) for (const userId of others) tasks.push({ userId, kind: "exclude" });

  const failures: { -readonly [K in keyof MappingFailures]: MappingFailures[K] } = { iamManaged: [], iamManagedOthers: [], gone: [], other: undefined, notTried: 0 };
  // A function rather than a test of failures.other in place: the writes under way set it meanwhile.
  const stopped = () => failures.other !== undefined;
  const leftToIam: string[] = [];
  let written = 0;
  await eachAtMost(concurrency, tasks, async (task) => {
    if (stopped()) {
      failures.notTried += 1;
      return;
    }
    try {
      if (task.kind === "set") {
        held.set(task.userId, await setMapping(client, { iamId, userId: task.userId }, task.mapping));
        written += 1;
        return;
      }
      if (task.kind === "release") {
        const release = await releaseMapping(client, { iamId, userId: task.userId });
        if (release === "left to the IAM") leftToIam.push(task.userId);
        if (release === "unset") written += 1;
        held.delete(task.userId);
      } else {
        await setMapping(client, { iamId, userId: task.userId }, { mode: "unset" });
        others.delete(task.userId);
        written += 1;
      }
    } catch (error) {
      if (error instanceof IamManagedUsernameError) (task.kind === "exclude" ? failures.iamManagedOthers : failures.iamManaged).push(task.userId);
      else if (error instanceof UserNotFoundError) {
        // Deleted since the sweep: one that was being excluded is simply gone.
        if (task.kind === "exclude") others.delete(task.userId);
        else failures.gone.push(task.userId);
      } else if (failures.other === undefined) failures.other = { error: error instanceof Error ? error : new Error(String(error)), users: [task.userId] };
      else failures.other.users.push(task.userId);
    }
  });
  return { held, othersWithUsername: others.size, written, leftToIam, failures };
}

export function hasFailures(failures: MappingFailures): boolean {
  return failures.iamManaged.length > 0 || failures.iamManagedOthers.length > 0 || failures.gone.length > 0 || failures.other !== undefined;
}

/** One message for everything that failed, naming the users (sorted: the writes ran concurrently). */
export function describeFailures(iamId: string, failures: MappingFailures): string {
  const sorted = (userIds: readonly string[]) => named([...userIds].sort());
  const schema = `the profile schema of IAM "${iamId}" sets them, so Immuta does not allow editing them`;
  const where = `Change the mapped attribute in the IAM's profile schema (App Settings → Identity Management → ${iamId} → Profile Schema) or in the identity provider`;
  const parts: string[] = [];
  if (failures.iamManaged.length > 0) parts.push(`Cannot set the PostgreSQL usernames of ${sorted(failures.iamManaged)}: ${schema}. ${where}, and remove them from users.`);
  if (failures.iamManagedOthers.length > 0) parts.push(`exclusive: true cannot return ${sorted(failures.iamManagedOthers)} to unset: ${schema}. ${where}, or set exclusive: false.`);
  if (failures.gone.length > 0) parts.push(`Immuta no longer has ${sorted(failures.gone)} in IAM "${iamId}" (deleted while this ran): remove them from users.`);
  if (failures.other !== undefined) {
    const stopped = failures.notTried > 0 ? `, and ${failures.notTried} more were not tried after that` : "";
    parts.push(`Writing the mapping of ${sorted(failures.other.users)} failed${stopped}: ${failures.other.error.message}`);
  }
  return `${parts.join(" ")} The next pulumi up writes what is still missing, repeating no write that landed.`;
}

function missingUsers(iamId: string, missing: readonly string[], declared: number): UserNotFoundError {
  const hint =
    missing.length === declared && declared > 1
      ? `None of the ${declared} users is in IAM "${iamId}": check iamId (default "bim", the built-in IAM; an external IdP has its own IAM id, listed by GET /bim/iam).`
      : `Check each userid (the user's id as its IAM knows it, compared exactly: a username or an email); findImmutaUsers looks users up by email.`;
  return new UserNotFoundError(`Immuta has no ${named([...missing].sort())} in IAM "${iamId}", so nothing was changed. ${hint}`);
}

/** `user "a"`, `users "a", "b" and "c"`, or the first NAMED_MAX and a count of the rest. */
export function named(userIds: readonly string[]): string {
  const quoted = userIds.slice(0, NAMED_MAX).map((userId) => JSON.stringify(userId));
  const rest = userIds.length - quoted.length;
  if (userIds.length === 1) return `user ${quoted[0]}`;
  if (rest > 0) return `users ${quoted.join(", ")} and ${rest} more`;
  return `users ${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}
