/**
 * Checks, before Immuta is asked to register anything, that the service principal can log in to
 * the Lakebase PostgreSQL with its OAuth token and holds what Immuta needs there: membership in
 * `databricks_superuser` and CREATEROLE (the README's "Preflight errors and what they mean").
 */
import { Client } from "pg";
import { PreflightError, type PreflightFailure } from "../errors";
import { workspaceToken, type ServicePrincipal } from "../databricks/oauth";
import { isLoopbackHost } from "../urls";

export interface LakebaseDatabase {
  readonly hostname: string;
  readonly port: number;
  readonly database: string;
}

export interface PreflightResult {
  readonly loginRole: string;
  readonly serverVersion: string;
  readonly isSuperuserMember: boolean;
  readonly hasCreateRole: boolean;
  readonly failures: readonly PreflightFailure[];
}

const PRIVILEGES_SQL = `
  SELECT current_user AS login_role,
         current_setting('server_version') AS server_version,
         CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'databricks_superuser')
              THEN pg_has_role(current_user, 'databricks_superuser', 'MEMBER') ELSE false END AS is_superuser_member,
         (SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user) AS has_create_role`;

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Logs in as the principal and reports what it lacks; throws PreflightError only when it cannot log in. */
export async function inspectPrivileges(db: LakebaseDatabase, sp: ServicePrincipal, timeoutMs = 30_000): Promise<PreflightResult> {
  const password = await workspaceToken(sp, timeoutMs);
  const client = new Client({
    host: db.hostname,
    port: db.port,
    database: db.database,
    user: sp.clientId,
    password,
    ssl: isLoopbackHost(db.hostname) ? false : { rejectUnauthorized: true },
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: "pulumi-immuta-lakebase preflight",
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new PreflightError([loginFailure(db, sp, error)], describe(db));
  }
  try {
    const { rows } = await client.query<{ login_role: string; server_version: string; is_superuser_member: boolean; has_create_role: boolean }>(PRIVILEGES_SQL);
    const row = rows[0];
    const failures: PreflightFailure[] = [];
    const role = quoteIdent(sp.clientId);
    if (!row.is_superuser_member) {
      failures.push({
        check: "databricks_superuser",
        problem: `The service principal ${sp.clientId} is not a member of databricks_superuser in ${describe(db)}.`,
        fix: `GRANT databricks_superuser TO ${role}; (as the database owner), or give the role the DATABRICKS_SUPERUSER membership in the Lakebase roles page.`,
      });
    }
    if (!row.has_create_role) {
      failures.push({
        check: "CREATEROLE",
        problem: `The service principal ${sp.clientId} lacks CREATEROLE in ${describe(db)}, which Immuta needs to manage users' roles.`,
        fix: `ALTER ROLE ${role} CREATEROLE; (as the database owner), or enable CREATEROLE for the role in the Lakebase roles page.`,
      });
    }
    return { loginRole: row.login_role, serverVersion: row.server_version, isSuperuserMember: row.is_superuser_member, hasCreateRole: row.has_create_role, failures };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Throws one PreflightError naming every missing privilege and the SQL that grants it. */
export async function assertPrivileges(db: LakebaseDatabase, sp: ServicePrincipal, timeoutMs?: number): Promise<PreflightResult> {
  const result = await inspectPrivileges(db, sp, timeoutMs);
  if (result.failures.length > 0) throw new PreflightError(result.failures, describe(db));
  return result;
}

function describe(db: LakebaseDatabase): string {
  return `database ${db.database} at ${db.hostname}:${db.port}`;
}

function loginFailure(db: LakebaseDatabase, sp: ServicePrincipal, error: unknown): PreflightFailure {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const message = error instanceof Error ? error.message : String(error);
  if (code === "28P01" || code === "28000") {
    return {
      check: "login",
      problem: `The service principal ${sp.clientId} could not log in to ${describe(db)} with its OAuth token (${message}).`,
      fix:
        `Usually the principal has no Lakebase role yet. As the database owner run SELECT databricks_create_role(${quoteLiteral(sp.clientId)}, 'SERVICE_PRINCIPAL'); ` +
        "(a plain CREATE ROLE does not work: the role must be an OAuth identity), or add the principal on the Lakebase roles page. " +
        "Also check that workspaceUrl is the workspace that owns this database: tokens from another workspace are refused.",
    };
  }
  if (code === "3D000") {
    return { check: "login", problem: `The database ${db.database} does not exist at ${db.hostname}:${db.port}.`, fix: "Set database to an existing database (the default Lakebase database is databricks_postgres)." };
  }
  return {
    check: "login",
    problem: `Could not connect to ${describe(db)} (${code || message}).`,
    fix: "Check hostname and port (Lakebase listens on 5432 and requires TLS) and that this machine can reach the database.",
  };
}
