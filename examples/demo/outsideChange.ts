// The drift the demo and the e2e tests create: an admin edits, in Immuta, a connection and a user
// mapping that the quickstart stack manages.
import type { EmulatorInfo } from "../../emulator";
import { QUICKSTART_DEFAULTS } from "../quickstart/settings";
import type { ImmutaConsole, PostgresUsername, UserRef } from "./immutaConsole";

/** What the quickstart declares for the two things the admin edits. */
export interface ManagedValues {
  readonly hostname: string;
  readonly postgresUsername: PostgresUsername;
}

export interface OutsideChange {
  readonly connectionKey: string;
  readonly user: UserRef;
  readonly declared: ManagedValues;
  readonly edited: ManagedValues;
}

/** The hostname swaps between two loopback names of the same PostgreSQL; the username-mapped user becomes `none`. */
export function plannedOutsideChange(emulator: EmulatorInfo): OutsideChange {
  const hostname = emulator.lakebase.hostname;
  return {
    connectionKey: QUICKSTART_DEFAULTS.connectionName,
    user: { iamId: QUICKSTART_DEFAULTS.iamId, userId: QUICKSTART_DEFAULTS.usernameUser },
    declared: { hostname, postgresUsername: QUICKSTART_DEFAULTS.postgresUsername },
    // `none` rather than another username: a crawl (which the hostname edit starts) would turn a
    // username PostgreSQL does not know into `none` on its own, racing the refresh.
    edited: { hostname: hostname === "localhost" ? "127.0.0.1" : "localhost", postgresUsername: null },
  };
}

export async function makeOutsideChange(immuta: ImmutaConsole, change: OutsideChange): Promise<void> {
  await immuta.setConnectionHostname(change.connectionKey, change.edited.hostname);
  await immuta.setPostgresUsername(change.user, change.edited.postgresUsername);
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
