import pg from "pg";
import { withDatabase } from "../postgres/connectionUrl";
import { ensureDatabase } from "../postgres/ensureDatabase";
import type { Seeds } from "../seeds";
import { DATABRICKS_SUPERUSER } from "./lakebaseNames";

const { escapeIdentifier: ident } = pg;

/**
 * Creates the Lakebase database with the seeded schemas and tables (idempotent: existing ones are
 * kept) and gives databricks_superuser its rights there, and only there: what Lakebase's
 * databricks_superuser holds on its instance, without PostgreSQL's cluster-wide pg_read_all_data,
 * which would reach every other database on the server.
 */
export async function ensureLakebaseDatabase(adminUrl: string, database: string, seeds: Seeds): Promise<void> {
  await ensureDatabase(adminUrl, database);
  const client = new pg.Client({ connectionString: withDatabase(adminUrl, database) });
  await client.connect();
  try {
    const superuser = ident(DATABRICKS_SUPERUSER);
    await client.query(`GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${ident(database)} TO ${superuser}`);
    for (const [schema, tables] of Object.entries({ public: [], ...seeds.lakebase.schemas })) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
      for (const table of tables) {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${ident(schema)}.${ident(table)} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
        );
      }
      await client.query(`GRANT ALL ON SCHEMA ${ident(schema)} TO ${superuser}`);
      await client.query(`GRANT ALL ON ALL TABLES IN SCHEMA ${ident(schema)} TO ${superuser}`);
      await client.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA ${ident(schema)} TO ${superuser}`);
      // Tables the admin creates there later (as tests do) are databricks_superuser's to use too.
      await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${ident(schema)} GRANT ALL ON TABLES TO ${superuser}`);
    }
  } finally {
    await client.end();
  }
}
