import * as pulumi from "@pulumi/pulumi";
import { resolveSettings } from "../provider/config";
import { immutaClientFor } from "../provider/immuta/client";
import { lookUpUsers } from "../provider/userDirectory";

export interface FindImmutaUsersArgs {
  /** The IAM whose users to look up. Default `bim` (Immuta's built-in IAM). */
  readonly iamId?: string;
  /** Userids to find, compared exactly (as Immuta compares them: `Alice` is not `alice`). Give these or `emails`. */
  readonly userIds?: readonly string[];
  /** E-mail addresses to find, compared case-insensitively. Give these or `userIds`. */
  readonly emails?: readonly string[];
}

export interface ImmutaUser {
  readonly iamId: string;
  readonly userId: string;
  readonly email: string | null;
  readonly name: string | null;
}

export interface ImmutaUserLookup {
  /** Each userid or email asked for that exactly one user matches, keyed by the value as asked. */
  readonly found: Readonly<Record<string, ImmutaUser>>;
  /** The values no user matches exactly, in the order asked: a partial match (`al` for `alice`) is no match. */
  readonly notFound: readonly string[];
  /** Emails that more than one user of the IAM has, with those users' userids: pick one by userid. */
  readonly ambiguous: Readonly<Record<string, readonly string[]>>;
}

/**
 * Looks users up in Immuta by exact userid or email, for programs that build mappings from a list
 * (a CSV of emails, say): Immuta's user list only filters by partial match, so this pages through
 * it and matches on the client. Runs in the program, at preview and up alike, with the stack's
 * `immuta:url` and `immuta:apiKey` (or IMMUTA_URL and IMMUTA_API_KEY); the caller decides what to do
 * with `notFound`, e.g. fail the program before anything is planned.
 */
export async function findImmutaUsers(args: FindImmutaUsersArgs): Promise<ImmutaUserLookup> {
  const { userIds, emails } = args;
  if ((userIds === undefined) === (emails === undefined)) throw new Error("findImmutaUsers: give either userIds or emails.");
  const iamId = args.iamId ?? "bim";
  if (iamId.trim() === "") throw new Error("findImmutaUsers: iamId must not be empty.");
  const client = immutaClientFor(resolveSettings({ get: (key) => pulumi.runtime.getConfig(key) }));
  return lookUpUsers(client, iamId, userIds !== undefined ? "userId" : "email", userIds ?? emails ?? []);
}
