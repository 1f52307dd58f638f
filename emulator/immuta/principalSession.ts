import pg from "pg";
import { DATABRICKS_SUPERUSER } from "../lakebase/lakebaseNames";
import type { ConnectionSettings } from "../state/connections";
import { fetchDatabricksToken } from "./databricksTokenClient";
import { PrincipalRefusal } from "./principalRefusal";

/** Where and as whom Immuta logs in to a Lakebase database: a connection's settings but the OAuth scope. */
export type PrincipalTarget = Omit<ConnectionSettings, "scope">;

const CONNECT_TIMEOUT_MS = 10_000;

/** Logs in to PostgreSQL as the service principal, with a fresh token as the password (no TLS: loopback). */
export async function openPrincipalSession(target: PrincipalTarget): Promise<pg.Client> {
  const token = await fetchDatabricksToken(target.workspaceUrl, target.clientId, target.clientSecret);
  const client = new pg.Client({
    host: target.hostname,
    port: target.port,
    database: target.database,
    user: target.clientId,
    password: token,
    ssl: false,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // A server-side disconnect must not crash the emulator; the next query reports it.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new PrincipalRefusal(`could not log in to PostgreSQL at ${target.hostname}:${target.port} (${describeLoginFailure(error)})`);
  }
  return client;
}

/** Registration's check: the principal can log in, holds CREATEROLE and is a member of databricks_superuser. */
export async function verifyPrincipal(target: PrincipalTarget): Promise<void> {
  const client = await openPrincipalSession(target);
  try {
    const result = await client.query<{ createRole: boolean; superuserMember: boolean }>(
      `SELECT r.rolcreaterole AS "createRole",
              CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)
                   THEN pg_has_role(current_user, $1, 'MEMBER') ELSE false END AS "superuserMember"
         FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`,
      [DATABRICKS_SUPERUSER],
    );
    const privileges = result.rows[0] ?? { createRole: false, superuserMember: false };
    const missing = [
      ...(privileges.createRole ? [] : ["lacks CREATEROLE"]),
      ...(privileges.superuserMember ? [] : [`is not a member of ${DATABRICKS_SUPERUSER}`]),
    ];
    if (missing.length > 0) {
      throw new PrincipalRefusal(`the service principal ${target.clientId} ${missing.join(" and ")} in database ${target.database}`);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describeLoginFailure(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === "28P01") return "password authentication failed";
  // PostgreSQL's own messages name roles and databases, never passwords.
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && message !== undefined) return message;
  return code ?? message ?? "connection failed";
}
