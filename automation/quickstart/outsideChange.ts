// The drift the demo and the end-to-end tests create: an admin edits, in Immuta, a connection and a
// user mapping that the quickstart stack manages, and Immuta's own crawl then changes the mapping.
import type { EmulatorInfo } from "../../emulator";
import type { ImmutaConsole, PostgresUsername, UserRef } from "./immutaConsole";
import { QUICKSTART_DEFAULTS } from "./settings";

/** What the quickstart declares for the two things that change. */
export interface ManagedValues {
  readonly hostname: string;
  readonly postgresUsername: PostgresUsername;
}

export interface OutsideChange {
  readonly connectionKey: string;
  readonly user: UserRef;
  readonly declared: ManagedValues;
  /** What the admin maps the user to: a name PostgreSQL does not know. */
  readonly mistypedUsername: string;
  /** What Immuta holds afterwards: the new hostname, and the user switched to `none` by the crawl. */
  readonly edited: ManagedValues;
}

/** The hostname swaps between two loopback names of the same PostgreSQL; the username-mapped user ends up `none`. */
export function plannedOutsideChange(emulator: EmulatorInfo): OutsideChange {
  const hostname = emulator.lakebase.hostname;
  return {
    connectionKey: QUICKSTART_DEFAULTS.connectionName,
    user: { iamId: QUICKSTART_DEFAULTS.iamId, userId: QUICKSTART_DEFAULTS.usernameUser },
    declared: { hostname, postgresUsername: QUICKSTART_DEFAULTS.postgresUsername },
    mistypedUsername: `${QUICKSTART_DEFAULTS.postgresUsername}_typo`,
    edited: { hostname: hostname === "localhost" ? "127.0.0.1" : "localhost", postgresUsername: null },
  };
}

/**
 * The admin maps the user to a username PostgreSQL does not know, then edits the hostname; the
 * crawl that the edit starts finds no such role and switches the user to `none`, as Immuta does.
 * Both edits have settled when this returns, so nothing races the refresh that follows.
 */
export async function makeOutsideChange(immuta: ImmutaConsole, change: OutsideChange): Promise<void> {
  await immuta.setPostgresUsername(change.user, change.mistypedUsername);
  await immuta.setConnectionHostname(change.connectionKey, change.edited.hostname);
  const held = await heldValues(immuta, change);
  if (held.postgresUsername !== change.edited.postgresUsername) {
    throw new Error(`Immuta's crawl did not switch ${change.user.userId} to none: the PostgreSQL username is ${describeUsername(held.postgresUsername)}`);
  }
}

/** What Immuta holds now for the two edited things. */
export async function heldValues(immuta: ImmutaConsole, change: OutsideChange): Promise<ManagedValues> {
  const [hostname, postgresUsername] = await Promise.all([immuta.connectionHostname(change.connectionKey), immuta.postgresUsername(change.user)]);
  return { hostname, postgresUsername };
}

export function describeUsername(username: PostgresUsername): string {
  if (username === undefined) return "unset";
  return username === null ? "none" : `"${username}"`;
}
