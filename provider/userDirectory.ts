/**
 * Immuta's paged user list (`GET /bim/user`): the users of one IAM, page by page, so that many
 * users cost one request per page rather than one each; and exact look-ups on top of the list's
 * filters, which match any part of a userid or email and so would hand back `alice@example.com`
 * to someone asking for `al`.
 */
import type { ImmutaClient } from "./immuta/client";
import { paths, userPage, userPageQuery, type UserFilter, type UserView } from "./immuta/wire";

const PERMISSION = "USER_ADMIN";

/**
 * Up to this many values are looked up through the list's filter, one filtered sweep each; more are
 * found in one sweep of the whole IAM, which then costs fewer requests than the filtered ones.
 */
const FILTERED_LOOKUP_MAX = 10;

/**
 * Calls `visit` for every user of the IAM that the list holds (those `filter` narrows it to), one
 * page in memory at a time. Immuta may ignore the IAM filter, so hits of other IAMs are skipped here.
 * Offset paging over a list that changes meanwhile may skip or repeat a user: callers key what they
 * keep by userid, and look a user up on its own before calling it missing.
 */
export async function forEachUser(client: ImmutaClient, iamId: string, filter: UserFilter, visit: (user: UserView) => void): Promise<void> {
  for (let offset = 0; ; ) {
    const page = await client.request({
      operation: `Listing the users of IAM "${iamId}" from offset ${offset}`,
      method: "GET",
      path: paths.users(),
      query: userPageQuery(iamId, filter, offset),
      response: userPage,
      permission: PERMISSION,
    });
    for (const hit of page.hits) if (hit.iamid === iamId) visit(hit);
    offset += page.hits.length;
    if (page.hits.length === 0 || offset >= page.count) return;
  }
}

export interface FoundUser {
  readonly iamId: string;
  readonly userId: string;
  readonly email: string | null;
  readonly name: string | null;
}

export interface UserLookup {
  /** Each value asked for that exactly one user matches, keyed by the value as asked. */
  readonly found: Record<string, FoundUser>;
  /** The values no user matches exactly, in the order asked (a partial match is no match). */
  readonly notFound: string[];
  /** Emails that more than one user of the IAM has, with those users' userids. */
  readonly ambiguous: Record<string, string[]>;
}

/**
 * The users of the IAM with exactly these userids (compared as Immuta compares them, exactly) or
 * emails (compared case-insensitively, as mail systems and Immuta's own filter do).
 */
export async function lookUpUsers(client: ImmutaClient, iamId: string, by: "userId" | "email", values: readonly string[]): Promise<UserLookup> {
  const asked = [...new Set(values)];
  const normal = (value: string) => (by === "email" ? value.toLowerCase() : value);
  const keyOf = (user: UserView): string | undefined => (by === "email" ? emailOf(user)?.toLowerCase() : user.userid);
  const candidates = new Map<string, Map<string, FoundUser>>(asked.map((value) => [normal(value), new Map()]));
  const collect = (user: UserView) => {
    const key = keyOf(user);
    if (key !== undefined) candidates.get(key)?.set(user.userid, { iamId: user.iamid, userId: user.userid, email: emailOf(user) ?? null, name: nameOf(user) ?? null });
  };
  if (asked.length <= FILTERED_LOOKUP_MAX) {
    await Promise.all(asked.map((value) => forEachUser(client, iamId, by === "email" ? { email: value } : { userid: value }, collect)));
  } else {
    await forEachUser(client, iamId, {}, collect);
  }
  const lookup: UserLookup = { found: {}, notFound: [], ambiguous: {} };
  for (const value of asked) {
    const users = [...(candidates.get(normal(value))?.values() ?? [])];
    if (users.length === 0) lookup.notFound.push(value);
    else if (users.length === 1) lookup.found[value] = users[0];
    else lookup.ambiguous[value] = users.map((user) => user.userId).sort();
  }
  return lookup;
}

const textField = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const emailOf = (user: UserView) => textField(user.profile.email);
const nameOf = (user: UserView) => textField(user.profile.name);
