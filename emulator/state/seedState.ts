import type pg from "pg";
import { checkSeeds, type Seeds } from "../seeds";
import { inTransaction } from "./database";

/**
 * The seeds this state database runs with. A fresh database takes `seeds` and is filled from
 * them; one that already holds state keeps the seeds it was created with (so a restart on the
 * same data directory keeps its keys, principals, users and connections).
 */
export async function adoptSeeds(pool: pg.Pool, seeds: Seeds): Promise<Seeds> {
  return inTransaction(pool, async (client) => {
    await client.query("LOCK TABLE seeds IN EXCLUSIVE MODE");
    const stored = await client.query<{ seeds: unknown }>("SELECT seeds FROM seeds");
    if (stored.rows[0] !== undefined) {
      return checkSeeds(stored.rows[0].seeds, "The seeds stored in the emulator's state database are invalid; remove the data directory");
    }
    await client.query("INSERT INTO seeds (seeds) VALUES ($1)", [JSON.stringify(seeds)]);
    await writeSeededState(client, seeds);
    return seeds;
  });
}

/** Back to the seeds: every user, key, token, connection, object and job is replaced. */
export async function restoreSeededState(pool: pg.Pool, seeds: Seeds): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("TRUNCATE iams, users, api_keys, bearer_tokens, connections, objects, jobs RESTART IDENTITY CASCADE");
    await writeSeededState(client, seeds);
  });
}

async function writeSeededState(client: pg.PoolClient, seeds: Seeds): Promise<void> {
  for (const iam of seeds.iams) {
    await client.query("INSERT INTO iams (id, display_name, type, mapped_profile_fields) VALUES ($1, $2, $3, $4)", [
      iam.id,
      iam.displayName,
      iam.type,
      iam.mappedProfileFields,
    ]);
  }
  for (const user of seeds.users) {
    await client.query("INSERT INTO users (iamid, userid, permissions, profile) VALUES ($1, $2, $3, $4)", [
      user.iamid,
      user.userid,
      user.permissions,
      JSON.stringify(user.profile),
    ]);
  }
  for (const key of Object.values(seeds.apiKeys)) {
    await client.query("INSERT INTO api_keys (api_key, user_id) SELECT $1, id FROM users WHERE iamid = $2 AND userid = $3", [
      key.key,
      key.iamid,
      key.userid,
    ]);
  }
}
