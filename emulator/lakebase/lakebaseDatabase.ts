import pg from "pg";
import { withDatabase } from "../postgres/connectionUrl";
import { ensureDatabase } from "../postgres/ensureDatabase";
import type { Seeds } from "../seeds";
import { LAKEBASE_DATABASE } from "./lakebaseNames";

const { escapeIdentifier: ident } = pg;

/** Creates databricks_postgres with the seeded schemas and tables (idempotent: existing ones are kept). */
export async function ensureLakebaseDatabase(adminUrl: string, seeds: Seeds): Promise<void> {
  await ensureDatabase(adminUrl, LAKEBASE_DATABASE);
  const client = new pg.Client({ connectionString: withDatabase(adminUrl, LAKEBASE_DATABASE) });
  await client.connect();
  try {
    for (const [schema, tables] of Object.entries(seeds.lakebase.schemas)) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
      for (const table of tables) {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${ident(schema)}.${ident(table)} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
        );
      }
    }
  } finally {
    await client.end();
  }
}
