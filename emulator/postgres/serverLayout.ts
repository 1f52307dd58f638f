import crypto from "node:crypto";

/**
 * Where the emulator keeps its things on a PostgreSQL server. On a cluster of its own (embedded)
 * it uses the plain names. On a server it does not own (EMULATOR_POSTGRES_URL) everything it
 * creates carries a namespace: its two databases and its user roles are prefixed, and the roles
 * it creates are marked (a COMMENT), so it never alters a role it did not create and can remove
 * exactly what it created.
 */
export interface ServerLayout {
  stateDatabase: string;
  lakebaseDatabase: string;
  /** The PostgreSQL name of a seeded user role. */
  userRole(seeded: string): string;
  /** A PostgreSQL role as the Lakebase stand-in shows it (its own user roles without their prefix). */
  shownAs(role: string): string;
  /** The COMMENT on roles this emulator created on a server it does not own; undefined on its own cluster. */
  marker: string | undefined;
  /** Remove the databases and roles on stop (a server it does not own, without a namespace to keep). */
  removeOnStop: boolean;
}

/** The COMMENT on a databricks_superuser an emulator created: any emulator may use it, the last one out removes it. */
export const SHARED_MARKER = "created by immuta-lakebase-emulator";

export const OWN_CLUSTER: ServerLayout = {
  stateDatabase: "immuta_emulator",
  lakebaseDatabase: "databricks_postgres",
  userRole: (seeded) => seeded,
  shownAs: (role) => role,
  marker: undefined,
  removeOnStop: false,
};

export const NAMESPACE_PATTERN = /^[a-z][a-z0-9_]{0,29}$/;

/** A namespace given is kept across runs (like a data directory); without one, a fresh one is removed on stop. */
export function sharedServerLayout(namespace: string | undefined): ServerLayout {
  const name = namespace ?? `emulator_${crypto.randomBytes(4).toString("hex")}`;
  const prefix = `${name}_`;
  return {
    stateDatabase: `${prefix}immuta`,
    lakebaseDatabase: `${prefix}databricks_postgres`,
    userRole: (seeded) => `${prefix}${seeded}`,
    shownAs: (role) => (role.startsWith(prefix) ? role.slice(prefix.length) : role),
    marker: `${SHARED_MARKER} (namespace ${name})`,
    removeOnStop: namespace === undefined,
  };
}
