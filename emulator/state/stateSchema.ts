import type pg from "pg";

/** The emulator's own state (what Immuta would keep), in its own database next to the Lakebase stand-in. */
const DDL = `
CREATE TABLE IF NOT EXISTS seeds (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seeds jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS iams (
  id text PRIMARY KEY,
  display_name text NOT NULL,
  type text NOT NULL,
  mapped_profile_fields text[] NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
  id serial PRIMARY KEY,
  iamid text NOT NULL REFERENCES iams (id) ON DELETE CASCADE,
  userid text NOT NULL,
  permissions text[] NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  profile jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (iamid, userid)
);
CREATE TABLE IF NOT EXISTS api_keys (
  api_key text PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS bearer_tokens (
  token text PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL
);
-- Added after the first release: a state database kept from then gains it (its old tokens expire within the hour).
ALTER TABLE bearer_tokens ADD COLUMN IF NOT EXISTS api_key text NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS connections (
  connection_key text PRIMARY KEY,
  technology text NOT NULL,
  hostname text NOT NULL,
  port integer NOT NULL,
  database text NOT NULL,
  authentication_type text NOT NULL,
  workspace_url text NOT NULL,
  client_id text NOT NULL,
  client_secret text NOT NULL,
  scope text NOT NULL,
  is_active boolean NOT NULL,
  creator jsonb NOT NULL,
  updater jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS objects (
  path text[] PRIMARY KEY,
  connection_key text NOT NULL REFERENCES connections (connection_key) ON DELETE CASCADE,
  state text NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_by_connection ON objects (connection_key);
CREATE TABLE IF NOT EXISTS jobs (
  id serial PRIMARY KEY,
  bulk_id text NOT NULL,
  connection_key text NOT NULL,
  state text NOT NULL,
  output jsonb
);
CREATE INDEX IF NOT EXISTS jobs_by_bulk_id ON jobs (bulk_id);
-- One token per principal was the first design; the proxy accepts every unexpired token instead.
DROP TABLE IF EXISTS databricks_tokens;
CREATE TABLE IF NOT EXISTS databricks_access_tokens (
  token_hash text PRIMARY KEY,
  client_id text NOT NULL,
  expires_at timestamptz NOT NULL
);
-- The password the Lakebase login proxy logs in to PostgreSQL with, as each principal.
CREATE TABLE IF NOT EXISTS principal_passwords (
  client_id text PRIMARY KEY,
  password text NOT NULL
);
CREATE TABLE IF NOT EXISTS emulator_settings (
  name text PRIMARY KEY,
  value jsonb NOT NULL
);
`;

export async function ensureStateSchema(pool: pg.Pool): Promise<void> {
  await pool.query(DDL);
}
