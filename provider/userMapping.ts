/**
 * Reading and writing the PostgreSQL row of an Immuta user's External User Mapping. The profile
 * PUT replaces the whole profile, so a write sends back the profile exactly as read, with only the
 * PostgreSQL key changed; and it is retried by reading again, never by re-sending what was read.
 */
import { IamManagedUsernameError, ImmutaApiError, UserNotFoundError } from "./errors";
import { ifFound, type ImmutaClient } from "./immuta/client";
import { decodePostgresMapping, isIamManagedRefusal, paths, profile as profileShape, userView, withPostgresMapping, type PostgresMapping, type UserView } from "./immuta/wire";

export type { PostgresMapping } from "./immuta/wire";

const PERMISSION = "USER_ADMIN";

export interface UserRef {
  readonly iamId: string;
  readonly userId: string;
}

export interface UserMapping {
  readonly user: UserRef;
  readonly mapping: PostgresMapping;
}

/** The user's mapping, or undefined when the user (or its IAM) no longer exists. */
export async function readMapping(client: ImmutaClient, user: UserRef): Promise<UserMapping | undefined> {
  const view = await readUser(client, user);
  return view && { user, mapping: decodePostgresMapping(view.profile) };
}

/**
 * Sets the mapping; reads the user first and writes only when Immuta differs (usernames compare
 * case-insensitively, as Immuta matches them). Returns the mapping Immuta now holds. A failed
 * write is retried by reading again, so that it sends the profile as it is then, not as it was
 * before the backoff (another change made meanwhile survives), and a write whose answer was lost
 * but which took effect is not made again.
 */
export function setMapping(client: ImmutaClient, user: UserRef, wanted: PostgresMapping): Promise<PostgresMapping> {
  return client.retrying(async (attempt) => {
    // The read is safe to repeat, so it is retried on its own; the write is retried only through this unit.
    const view = await readUser(client, user);
    if (!view) throw notFound(user);
    const current = decodePostgresMapping(view.profile);
    if (sameMapping(current, wanted)) return current;
    try {
      await client.request(
        {
          operation: `Setting the PostgreSQL username of Immuta user "${user.userId}" (IAM ${user.iamId}) to ${describeMapping(wanted)}`,
          method: "PUT",
          path: paths.profile(user.iamId, user.userId),
          body: withPostgresMapping(view.profile, wanted),
          response: profileShape,
          permission: PERMISSION,
        },
        attempt,
      );
    } catch (error) {
      throw translate(error, user);
    }
    return wanted;
  });
}

/** How a return to unset ended: done, not needed as the user is gone, or left to the IAM that sets the username. */
export type Release = "unset" | "gone" | "left to the IAM";

/**
 * Back to unset (Immuta falls back to the Immuta username). A user that is gone needs nothing; a
 * username that the user's IAM sets is left to the IAM (so that destroy is never blocked by it).
 */
export async function releaseMapping(client: ImmutaClient, user: UserRef): Promise<Release> {
  try {
    await setMapping(client, user, { mode: "unset" });
    return "unset";
  } catch (error) {
    if (error instanceof IamManagedUsernameError) return "left to the IAM";
    if (error instanceof UserNotFoundError) return "gone";
    throw error;
  }
}

/** releaseMapping, saying so when the IAM keeps the username. */
export async function clearMapping(client: ImmutaClient, user: UserRef, log: (message: string) => void): Promise<void> {
  if ((await releaseMapping(client, user)) === "left to the IAM") log(`Left the PostgreSQL username of "${user.userId}" as IAM "${user.iamId}" sets it; only the IAM can change it.`);
}

export function sameMapping(a: PostgresMapping, b: PostgresMapping): boolean {
  if (a.mode === "username" && b.mode === "username") return a.username.toLowerCase() === b.username.toLowerCase();
  return a.mode === b.mode;
}

function describeMapping(mapping: PostgresMapping): string {
  switch (mapping.mode) {
    case "username":
      return `"${mapping.username}"`;
    case "unset":
      return "unset (fall back to the Immuta username)";
    case "none":
      return "none (the user does not exist in PostgreSQL)";
  }
}

function readUser(client: ImmutaClient, user: UserRef): Promise<UserView | undefined> {
  return ifFound(client.request({ operation: `Reading Immuta user "${user.userId}" (IAM ${user.iamId})`, method: "GET", path: paths.user(user.iamId, user.userId), response: userView }));
}

function notFound(user: UserRef): UserNotFoundError {
  return new UserNotFoundError(
    `Immuta has no user "${user.userId}" in IAM "${user.iamId}". Check userId (the user's id as its IAM knows it: a username or an email, ` +
      `matched exactly, so its case counts too) and iamId (default "bim", the built-in IAM; an external IdP has its own IAM id, listed by GET /bim/iam).`,
  );
}

function translate(error: unknown, user: UserRef): unknown {
  if (!(error instanceof ImmutaApiError)) return error;
  if (error.status === 404) return notFound(user);
  if (isIamManagedRefusal(error.status, error.immutaMessage)) {
    return new IamManagedUsernameError(
      `The PostgreSQL username of Immuta user "${user.userId}" is set by the profile schema of IAM "${user.iamId}", so Immuta does not allow editing it ` +
        `(${error.immutaMessage}). Change the mapped attribute in the IAM's profile schema (App Settings → Identity Management → ${user.iamId} → Profile Schema) ` +
        "or in the identity provider, and remove this ExternalUserMapping.",
    );
  }
  return error;
}
