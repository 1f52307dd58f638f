import { POSTGRESQL_USER_KEY, type ProfileFields } from "../immuta/profile";
import type { Queryable } from "./database";

export interface Iam {
  id: string;
  displayName: string;
  type: string;
  mappedProfileFields: string[];
}

export interface UserRecord {
  id: number;
  iamid: string;
  userid: string;
  permissions: string[];
  disabled: boolean;
  profile: ProfileFields;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserSearch {
  userid?: string;
  email?: string;
  name?: string;
  size: number;
  offset: number;
}

const USER_COLUMNS = `id, iamid, userid, permissions, disabled, profile, created_at AS "createdAt", updated_at AS "updatedAt"`;

const IAM_COLUMNS = `id, display_name AS "displayName", type, mapped_profile_fields AS "mappedProfileFields"`;

export async function listIams(db: Queryable): Promise<Iam[]> {
  return (await db.query<Iam>(`SELECT ${IAM_COLUMNS} FROM iams ORDER BY id`)).rows;
}

export async function findIam(db: Queryable, iamid: string): Promise<Iam | undefined> {
  return (await db.query<Iam>(`SELECT ${IAM_COLUMNS} FROM iams WHERE id = $1`, [iamid])).rows[0];
}

export async function findUser(db: Queryable, iamid: string, userid: string): Promise<UserRecord | undefined> {
  const result = await db.query<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE iamid = $1 AND userid = $2`, [iamid, userid]);
  return result.rows[0];
}

/** Partial, case-insensitive matches on every given filter; `count` counts all matches. */
export async function searchUsers(db: Queryable, search: UserSearch): Promise<{ users: UserRecord[]; count: number }> {
  const where = `strpos(lower(userid), lower(coalesce($1, ''))) > 0
    AND strpos(lower(coalesce(profile->>'email', '')), lower(coalesce($2, ''))) > 0
    AND strpos(lower(coalesce(profile->>'name', '')), lower(coalesce($3, ''))) > 0`;
  const filters = [search.userid ?? null, search.email ?? null, search.name ?? null];
  const page = await db.query<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE ${where} ORDER BY id LIMIT $4 OFFSET $5`, [
    ...filters,
    search.size,
    search.offset,
  ]);
  const total = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM users WHERE ${where}`, filters);
  return { users: page.rows, count: total.rows[0]?.count ?? 0 };
}

/** Undefined when the user already exists. */
export async function createUser(db: Queryable, iamid: string, userid: string, profile: ProfileFields): Promise<UserRecord | undefined> {
  const result = await db.query<UserRecord>(
    `INSERT INTO users (iamid, userid, permissions, profile) VALUES ($1, $2, '{}', $3)
     ON CONFLICT (iamid, userid) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [iamid, userid, JSON.stringify(profile)],
  );
  return result.rows[0];
}

export async function deleteUser(db: Queryable, iamid: string, userid: string): Promise<boolean> {
  const result = await db.query("DELETE FROM users WHERE iamid = $1 AND userid = $2", [iamid, userid]);
  return result.rowCount !== 0;
}

export async function replaceProfile(db: Queryable, id: number, profile: ProfileFields): Promise<UserRecord> {
  const result = await db.query<UserRecord>(`UPDATE users SET profile = $2, updated_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`, [
    id,
    JSON.stringify(profile),
  ]);
  const updated = result.rows[0];
  if (updated === undefined) throw new Error(`user ${id} disappeared while its profile was being replaced`);
  return updated;
}

/**
 * Immuta's automatic "None": a user whose PostgreSQL username (the explicit mapping, or the
 * Immuta userid when unset) matches no PostgreSQL role, case-insensitively, is switched to none.
 * Returns how many users were switched.
 */
export async function switchUnmatchedPostgresUsersToNone(db: Queryable, roleNames: string[]): Promise<number> {
  const result = await db.query(
    `UPDATE users
        SET profile = jsonb_set(profile, ARRAY['externalUserIds', $2::text], 'null'::jsonb), updated_at = now()
      WHERE (NOT (profile->'externalUserIds' ? $2::text) AND lower(userid) <> ALL ($1::text[]))
         OR (jsonb_typeof(profile->'externalUserIds'->$2::text) = 'string'
             AND lower(profile->'externalUserIds'->>$2::text) <> ALL ($1::text[]))`,
    [roleNames.map((name) => name.toLowerCase()), POSTGRESQL_USER_KEY],
  );
  return result.rowCount ?? 0;
}
