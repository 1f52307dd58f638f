import crypto from "node:crypto";
import type { Queryable } from "./database";

/** The user a valid bearer token stands for. */
export interface Caller {
  id: number;
  iamid: string;
  userid: string;
  name: string | null;
  email: string | null;
  permissions: string[];
}

/** Exchanges an API key for a bearer token valid `ttlSeconds`; undefined for an unknown key. */
export async function exchangeApiKey(db: Queryable, apiKey: string, ttlSeconds: number): Promise<string | undefined> {
  const token = crypto.randomBytes(32).toString("base64url");
  const result = await db.query(
    `INSERT INTO bearer_tokens (token, user_id, expires_at)
     SELECT $1, user_id, now() + make_interval(secs => $3) FROM api_keys WHERE api_key = $2`,
    [token, apiKey, ttlSeconds],
  );
  return result.rowCount === 0 ? undefined : token;
}

/** The caller behind an unexpired token. */
export async function findCaller(db: Queryable, token: string): Promise<Caller | undefined> {
  const result = await db.query<Caller>(
    `SELECT u.id, u.iamid, u.userid, u.profile->>'name' AS name, u.profile->>'email' AS email, u.permissions
       FROM bearer_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token = $1 AND t.expires_at > now()`,
    [token],
  );
  return result.rows[0];
}
