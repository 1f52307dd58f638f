import crypto from "node:crypto";
import type { Queryable } from "./database";

/** The user behind an API key or a valid bearer token, and the key it stands for (rate limits count per key). */
export interface Caller {
  id: number;
  iamid: string;
  userid: string;
  name: string | null;
  email: string | null;
  permissions: string[];
  apiKey: string;
}

const CALLER_COLUMNS = `u.id, u.iamid, u.userid, u.profile->>'name' AS name, u.profile->>'email' AS email, u.permissions`;

/** The owner of an API key; undefined for an unknown key. */
export async function findKeyOwner(db: Queryable, apiKey: string): Promise<Caller | undefined> {
  const result = await db.query<Caller>(
    `SELECT ${CALLER_COLUMNS}, k.api_key AS "apiKey" FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.api_key = $1`,
    [apiKey],
  );
  return result.rows[0];
}

/** A bearer token for the key's owner, valid `ttlSeconds`. */
export async function issueBearerToken(db: Queryable, owner: Caller, ttlSeconds: number): Promise<string> {
  const token = crypto.randomBytes(32).toString("base64url");
  await db.query(`INSERT INTO bearer_tokens (token, user_id, api_key, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, [
    token,
    owner.id,
    owner.apiKey,
    ttlSeconds,
  ]);
  return token;
}

/** The caller behind an unexpired token. */
export async function findCaller(db: Queryable, token: string): Promise<Caller | undefined> {
  const result = await db.query<Caller>(
    `SELECT ${CALLER_COLUMNS}, t.api_key AS "apiKey"
       FROM bearer_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token = $1 AND t.expires_at > now()`,
    [token],
  );
  return result.rows[0];
}
