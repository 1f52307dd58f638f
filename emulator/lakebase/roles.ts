import crypto from "node:crypto";
import pg from "pg";
import type { ServerLayout } from "../postgres/serverLayout";
import { SHARED_MARKER } from "../postgres/serverLayout";
import type { Seeds } from "../seeds";
import type { Queryable } from "../state/database";
import { DATABRICKS_SUPERUSER } from "./lakebaseNames";

const { escapeIdentifier: ident, escapeLiteral: literal } = pg;

interface RoleShape {
  name: string;
  /** The seed field that names it, for a refusal. */
  field: string;
  attributes: string;
  superuserMember: boolean;
}

/**
 * Creates or restores the Lakebase roles: databricks_superuser, one role per service principal
 * (named by its client id) and the user roles. Attributes and databricks_superuser membership are
 * set to what the seeds say; a principal's password is one only the Lakebase login proxy knows
 * (clients log in with Databricks tokens, through the proxy). Roles that tests created are left
 * alone; on a server the emulator does not own, so is every role it did not create (a seeded role
 * that already exists there is refused).
 */
export async function applyLakebaseRoles(db: Queryable, seeds: Seeds, layout: ServerLayout): Promise<void> {
  const createdSuperuser = await ensureRole(db, DATABRICKS_SUPERUSER);
  if (layout.marker === undefined) {
    await db.query(`ALTER ROLE ${ident(DATABRICKS_SUPERUSER)} NOLOGIN NOSUPERUSER`);
    // Earlier versions granted these cluster-wide; the principal's rights now stop at its database (grantLakebaseDatabase).
    await db.query(`REVOKE pg_read_all_data, pg_write_all_data FROM ${ident(DATABRICKS_SUPERUSER)}`);
  } else if (createdSuperuser) {
    await db.query(`COMMENT ON ROLE ${ident(DATABRICKS_SUPERUSER)} IS ${literal(SHARED_MARKER)}`);
  }
  const { good, lacksCreateRole, lacksSuperuser } = seeds.servicePrincipals;
  const principals: RoleShape[] = [
    { name: good.clientId, field: "servicePrincipals.good.clientId", attributes: "LOGIN CREATEROLE", superuserMember: true },
    { name: lacksCreateRole.clientId, field: "servicePrincipals.lacksCreateRole.clientId", attributes: "LOGIN NOCREATEROLE", superuserMember: true },
    { name: lacksSuperuser.clientId, field: "servicePrincipals.lacksSuperuser.clientId", attributes: "LOGIN CREATEROLE", superuserMember: false },
  ];
  const users: RoleShape[] = seeds.lakebase.userRoles.map((name, index) => ({
    name: layout.userRole(name),
    field: `lakebase.userRoles.${index}`,
    attributes: "NOLOGIN NOCREATEROLE",
    superuserMember: false,
  }));
  for (const role of [...principals, ...users]) {
    // PostgreSQL would silently cut a longer name, and then match no seed.
    if (Buffer.byteLength(role.name) > 63) throw new Error(`${role.field}: the role name ${role.name} is longer than PostgreSQL's 63 bytes`);
    const created = await ensureRole(db, role.name);
    if (layout.marker !== undefined) {
      if (created) await db.query(`COMMENT ON ROLE ${ident(role.name)} IS ${literal(layout.marker)}`);
      else if ((await roleComment(db, role.name)) !== layout.marker) {
        throw new Error(`${role.field}: the role ${role.name} already exists on that PostgreSQL server and was not created by this emulator; it is left alone`);
      }
    }
    await db.query(`ALTER ROLE ${ident(role.name)} ${role.attributes} NOSUPERUSER NOCREATEDB NOREPLICATION NOBYPASSRLS INHERIT`);
    await db.query(`${role.superuserMember ? "GRANT" : "REVOKE"} ${ident(DATABRICKS_SUPERUSER)} ${role.superuserMember ? "TO" : "FROM"} ${ident(role.name)}`);
  }
  for (const principal of principals) {
    await db.query("INSERT INTO principal_passwords (client_id, password) VALUES ($1, $2) ON CONFLICT (client_id) DO NOTHING", [
      principal.name,
      crypto.randomBytes(24).toString("hex"),
    ]);
    const password = await principalPassword(db, principal.name);
    await db.query(`ALTER ROLE ${ident(principal.name)} PASSWORD ${literal(password ?? "")} VALID UNTIL 'infinity'`);
  }
}

/** The PostgreSQL password of a seeded service principal's role; undefined for any other role. */
export async function principalPassword(db: Queryable, role: string): Promise<string | undefined> {
  const result = await db.query<{ password: string }>("SELECT password FROM principal_passwords WHERE client_id = $1", [role]);
  return result.rows[0]?.password;
}

/**
 * Removes what the emulator created on a server it does not own: the roles carrying its marker, and
 * databricks_superuser when an emulator created it and no role is left in it. A role that still owns
 * something elsewhere stays, and is named in the log.
 */
export async function dropCreatedRoles(db: Queryable, layout: ServerLayout, log: (line: string) => void): Promise<void> {
  if (layout.marker === undefined) return;
  const ours = await db.query<{ rolname: string }>(
    `SELECT r.rolname FROM pg_catalog.pg_roles r
       JOIN pg_catalog.pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_catalog.pg_authid'::regclass
      WHERE d.description = $1`,
    [layout.marker],
  );
  for (const { rolname } of ours.rows) await dropRole(db, rolname, log);
  const superuser = await db.query(
    `SELECT 1 FROM pg_catalog.pg_roles r
      WHERE r.rolname = $1 AND pg_catalog.shobj_description(r.oid, 'pg_authid') = $2
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.roleid = r.oid)`,
    [DATABRICKS_SUPERUSER, SHARED_MARKER],
  );
  if (superuser.rowCount !== 0) await dropRole(db, DATABRICKS_SUPERUSER, log);
}

async function dropRole(db: Queryable, name: string, log: (line: string) => void): Promise<void> {
  try {
    await db.query(`DROP ROLE IF EXISTS ${ident(name)}`);
  } catch (error) {
    log(`left the role ${name} in place: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function roleComment(db: Queryable, name: string): Promise<string | null> {
  const result = await db.query<{ comment: string | null }>(
    "SELECT pg_catalog.shobj_description(oid, 'pg_authid') AS comment FROM pg_catalog.pg_roles WHERE rolname = $1",
    [name],
  );
  return result.rows[0]?.comment ?? null;
}

/** True when this call created the role. */
async function ensureRole(db: Queryable, name: string): Promise<boolean> {
  const existing = await db.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [name]);
  if (existing.rowCount !== 0) return false;
  try {
    await db.query(`CREATE ROLE ${ident(name)}`);
    return true;
  } catch (error) {
    // Another emulator on the same server created it first.
    if ((error as { code?: string }).code !== "42710") throw error;
    return false;
  }
}
