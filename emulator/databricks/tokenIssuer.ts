import crypto from "node:crypto";
import type pg from "pg";
import { setPrincipalPassword } from "../lakebase/roles";
import { inTransaction } from "../state/database";

export const TOKEN_LIFETIME_SECONDS = 3600;
/** A token with more than this left is handed out again rather than replaced. */
const REUSE_MARGIN_SECONDS = 300;

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
}

/**
 * An OAuth access token for the service principal, which is also its PostgreSQL password until
 * it expires (as Lakebase accepts it), so PostgreSQL itself enforces the login.
 */
export async function issueDatabricksToken(pool: pg.Pool, clientId: string): Promise<IssuedToken> {
  return inTransaction(pool, async (client) => {
    // One token per principal at a time: concurrent requests must not overwrite each other's password.
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [clientId]);
    const current = await client.query<{ token: string; secondsLeft: number }>(
      `SELECT token, floor(extract(epoch FROM expires_at - now()))::int AS "secondsLeft"
         FROM databricks_tokens WHERE client_id = $1 AND expires_at > now() + make_interval(secs => $2)`,
      [clientId, REUSE_MARGIN_SECONDS],
    );
    const reusable = current.rows[0];
    if (reusable !== undefined) return { accessToken: reusable.token, expiresIn: reusable.secondsLeft };
    const token = crypto.randomBytes(48).toString("base64url");
    const expiresAt = new Date(Date.now() + TOKEN_LIFETIME_SECONDS * 1000);
    await setPrincipalPassword(client, clientId, { token, expiresAt });
    await client.query(
      `INSERT INTO databricks_tokens (client_id, token, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (client_id) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at`,
      [clientId, token, expiresAt],
    );
    return { accessToken: token, expiresIn: TOKEN_LIFETIME_SECONDS };
  });
}
