import crypto from "node:crypto";
import type { Queryable } from "../state/database";

export const TOKEN_LIFETIME_SECONDS = 3600;

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
}

/**
 * A new OAuth access token for the service principal on every request, as Databricks issues them.
 * Each one is also a PostgreSQL password for the principal until it expires (the Lakebase login
 * proxy accepts every unexpired one); only its hash is kept.
 */
export async function issueDatabricksToken(db: Queryable, clientId: string, lifetimeSeconds = TOKEN_LIFETIME_SECONDS): Promise<IssuedToken> {
  const token = crypto.randomBytes(48).toString("base64url");
  await db.query("DELETE FROM databricks_access_tokens WHERE expires_at <= now()");
  await db.query(`INSERT INTO databricks_access_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`, [
    tokenHash(token),
    clientId,
    lifetimeSeconds,
  ]);
  return { accessToken: token, expiresIn: Math.floor(lifetimeSeconds) };
}

/** Whether `token` was issued to `clientId` and has not expired. */
export async function isValidDatabricksToken(db: Queryable, clientId: string, token: string): Promise<boolean> {
  const result = await db.query("SELECT 1 FROM databricks_access_tokens WHERE token_hash = $1 AND client_id = $2 AND expires_at > now()", [tokenHash(token), clientId]);
  return result.rowCount !== 0;
}

function tokenHash(token: string): string {
  return crypto.createHash("sha256").update(token).digest("hex");
}
