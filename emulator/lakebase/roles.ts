import crypto from "node:crypto";
import pg from "pg";
import type { Seeds } from "../seeds";
import type { Queryable } from "../state/database";
import { DATABRICKS_SUPERUSER } from "./lakebaseNames";

const { escapeIdentifier: ident, escapeLiteral: literal } = pg;

interface RoleShape {
  name: string;
  attributes: string;
  superuserMember: boolean;
}

/**
 * Creates or restores the Lakebase roles: databricks_superuser, one role per service principal
 * (named by its client id) and the user roles. Attributes and databricks_superuser membership are
 * set to what the seeds say; a principal's password is one only the Lakebase login proxy knows
 * (clients log in with Databricks tokens, through the proxy).
 * Roles that tests created are left alone.
 */
export async function applyLakebaseRoles(db: Queryable, seeds: Seeds): Promise<void> {
  await ensureRole(db, DATABRICKS_SUPERUSER);
  await db.query(`ALTER ROLE ${ident(DATABRICKS_SUPERUSER)} NOLOGIN NOSUPERUSER`);
  await db.query(`GRANT pg_read_all_data, pg_write_all_data TO ${ident(DATABRICKS_SUPERUSER)}`);
  const { good, lacksCreateRole, lacksSuperuser } = seeds.servicePrincipals;
  const principals: RoleShape[] = [
    { name: good.clientId, attributes: "LOGIN CREATEROLE", superuserMember: true },
    { name: lacksCreateRole.clientId, attributes: "LOGIN NOCREATEROLE", superuserMember: true },
    { name: lacksSuperuser.clientId, attributes: "LOGIN CREATEROLE", superuserMember: false },
  ];
  const users: RoleShape[] = seeds.lakebase.userRoles.map((name) => ({ name, attributes: "NOLOGIN NOCREATEROLE", superuserMember: false }));
  for (const role of [...principals, ...users]) {
    await ensureRole(db, role.name);
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

async function ensureRole(db: Queryable, name: string): Promise<void> {
  const existing = await db.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [name]);
  if (existing.rowCount !== 0) return;
  try {
    await db.query(`CREATE ROLE ${ident(name)}`);
  } catch (error) {
    // Another emulator on the same server created it first.
    if ((error as { code?: string }).code !== "42710") throw error;
  }
}
